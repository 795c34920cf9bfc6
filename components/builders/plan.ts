// The plan of one run: every object a fine-tune job declares, as pure manifests in the order they
// are declared, with what each needs from the others (which Secret a fetch reads, which volumes a
// claim is). The FineTuneJob component only turns it into resources and wires their order; the
// benchmark's floor builds the same plan.
import type * as pulumi from "@pulumi/pulumi";
import type { VolumeRole } from "../names";
import type { Job } from "../schema/job";
import type { StagingResources } from "../schema/staging";
import type { InstructLabTrainer } from "../schema/trainer";
import { fetchOf, type StackCredentials, type StagingImages } from "../sources";
import type { Backend, TrainingJobManifest } from "./backend";
import { type BatchJobManifest, buildPrepareJob, buildStagingJob } from "./dataJobs";
import { type HeldJobs, keepsSpec } from "./keptJobs";
import { type KeptRun, keptRun, keptRunWarning, recordAnnotations, runSpecRecord } from "./keptRuns";
import type { ClusterObject } from "./ownership";
import { buildStagingPolicy, buildTrainingPolicy, type NetworkPolicyManifest } from "./security";
import { buildPersistentVolumeClaim, type PersistentVolumeClaimManifest } from "./storage";

/** What a run's plan is made from. */
export interface RunPlanInputs {
  /** The job name. */
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  /** The validated job config. */
  readonly job: Job;
  /** The operator generation that runs it. */
  readonly backend: Backend;
  /** The staging images the stack names, and what staging pods request. */
  readonly staging: StagingImages & { readonly resources: StagingResources };
  /** Which of the stack's credentials Secrets exist. */
  readonly credentials: Readonly<Record<StackCredentials, boolean>>;
  /** Whether the pods pull their images with the namespace's registry credentials. */
  readonly imagePullSecrets: boolean;
  /** Whether NetworkPolicies confine the job's traffic. */
  readonly networkPolicy: boolean;
  /** Whether the program waits for the training job itself (see `programWaits`). */
  readonly programWaits: boolean;
  /** The data Jobs the cluster holds (builders/keptJobs.ts). @default none: nothing is kept */
  readonly held?: HeldJobs;
  /** The stack's identity, as its objects record it (`finetune/stack`). @default none: nothing is kept */
  readonly owner?: string;
  /** The training job the cluster holds under the run's name (builders/keptRuns.ts). @default none */
  readonly heldRun?: ClusterObject;
  /** The record of what the config says of the run (`runConfigRecord`). @default none: not recorded, nothing kept */
  readonly runConfig?: string;
  /** The job's config key, which the warning of a kept run names. @default the job name */
  readonly configKey?: string;
}

/** A run's children, in the order they are declared. */
export interface RunPlan {
  /** The job's NetworkPolicies: its training pods', and its staging pods' when it stages. */
  readonly networkPolicies: readonly {
    readonly child: "training" | "staging";
    readonly manifest: NetworkPolicyManifest;
  }[];
  /** The claims the job creates, with whether destroy keeps them. */
  readonly claims: readonly {
    readonly role: VolumeRole;
    readonly manifest: PersistentVolumeClaimManifest;
    readonly retain: boolean;
    readonly protect: boolean;
  }[];
  /** One staging Job per volume whose source is fetched, with the credentials its fetch reads. */
  readonly staging: readonly {
    readonly role: "model" | "dataset";
    readonly manifest: BatchJobManifest;
    readonly credentials?: StackCredentials;
  }[];
  /** The data preparation Job of an InstructLab run that processes its data. */
  readonly prepare?: BatchJobManifest;
  /** The training job, as the backend spells it, with its record annotations (builders/keptRuns.ts). */
  readonly training: TrainingJobManifest;
  /** Whether the training job the cluster holds keeps its spec (`KEPT_SPEC`), and how. */
  readonly keptRun?: KeptRun;
  /** What the user is told of a kept training job, when anything (`keptRunWarning`). */
  readonly keptNote?: string;
  /** The names of the staging and preparation Jobs that keep the spec the cluster holds (`KEPT_SPEC`). */
  readonly kept: ReadonlySet<string>;
}

const ROLES: readonly VolumeRole[] = ["model", "dataset", "output"];

/**
 * Whether the program waits for a job itself rather than the provider: every awaited run that is
 * judged, so that the wait can tell the run's pods, fail fast on a stuck container and say why a
 * run failed (components/cluster/watchRun.ts); a queued job's admission is read from its Workload.
 */
export function programWaits(job: Job, judgeRun: boolean): boolean {
  return job.wait !== "none" && judgeRun;
}

/** Whether a job's data is processed by a preparation Job before training (InstructLab's `processData`). */
export function preparesData(job: Job): boolean {
  return (
    job.trainer.type === "instructlab" &&
    job.trainer.processData &&
    job.model !== undefined &&
    job.dataset !== undefined
  );
}

/** Whether a job declares a staging or preparation Job. */
export function hasDataJobs(job: Job): boolean {
  return job.model?.fetch !== undefined || job.dataset?.fetch !== undefined || preparesData(job);
}

/** The plan of one run. */
export function planRun(inputs: RunPlanInputs): RunPlan {
  const { name, namespace, job, imagePullSecrets } = inputs;
  const fetched = [job.model?.fetch, job.dataset?.fetch].filter((f) => f !== undefined);
  const staging = inputs.networkPolicy ? buildStagingPolicy(name, namespace, fetched) : undefined;
  const networkPolicies = inputs.networkPolicy
    ? [
        { child: "training" as const, manifest: buildTrainingPolicy(name, namespace) },
        ...(staging ? [{ child: "staging" as const, manifest: staging }] : []),
      ]
    : [];
  const claims = ROLES.flatMap((role) => {
    const volume = job[role];
    if (volume?.kind !== "new") return [];
    return [
      {
        role,
        manifest: buildPersistentVolumeClaim(name, role, volume, namespace),
        retain: volume.retain,
        protect: volume.protect,
      },
    ];
  });
  const stagingJobs = (["model", "dataset"] as const).flatMap((role) => {
    const volume = job[role];
    if (volume?.fetch === undefined) return [];
    const fetch = fetchOf(volume.fetch);
    const manifest = buildStagingJob({
      job: name,
      role,
      volume,
      source: volume.fetch,
      image: fetch.image(inputs.staging, job.image),
      namespace,
      secrets: inputs.credentials,
      securityContext: job.securityContext,
      imagePullSecrets,
      resources: inputs.staging.resources,
    });
    return [{ role, manifest, ...(fetch.credentials !== undefined ? { credentials: fetch.credentials } : {}) }];
  });
  const prepare =
    preparesData(job) && job.model && job.dataset
      ? buildPrepareJob({
          name,
          namespace,
          job: { ...job, trainer: job.trainer as InstructLabTrainer, model: job.model, dataset: job.dataset },
          imagePullSecrets,
        })
      : undefined;
  const built = inputs.backend.build({
    name,
    namespace,
    job,
    hfToken: inputs.credentials.hfToken,
    imagePullSecrets,
    programWaits: inputs.programWaits,
  });
  const { held, owner, runConfig } = inputs;
  const trainingSpec = runSpecRecord(built.spec);
  const kept = owner !== undefined && runConfig !== undefined ? keptRun(inputs.heldRun, runConfig, owner) : undefined;
  const training =
    runConfig === undefined
      ? built
      : ({
          ...built,
          metadata: {
            ...built.metadata,
            annotations: { ...built.metadata.annotations, ...recordAnnotations(runConfig, trainingSpec, kept) },
          },
        } as TrainingJobManifest);
  const keptData = new Set(
    [...stagingJobs.map((s) => s.manifest), ...(prepare ? [prepare] : [])]
      .filter((m) => held !== undefined && owner !== undefined && keepsSpec(held.get(m.metadata.name), m, owner))
      .map((m) => m.metadata.name),
  );
  const keptNote = keptRunWarning(
    inputs.configKey ?? name,
    `${built.kind} ${inputs.heldRun?.metadata?.namespace ?? ""}/${name}`,
    kept,
    trainingSpec,
  );
  return {
    networkPolicies,
    claims,
    staging: stagingJobs,
    ...(prepare ? { prepare } : {}),
    training,
    ...(kept !== undefined ? { keptRun: kept } : {}),
    ...(keptNote !== undefined ? { keptNote } : {}),
    kept: keptData,
  };
}
