// One fine-tune run: its new PersistentVolumeClaims, the Jobs that stage its data and prepare
// it (once, before training), and its training job (a PyTorchJob or a TrainJob, as the backend
// spells it), with the lifecycle options that make `pulumi preview` honest about reruns and
// `pulumi destroy` careful with checkpoints. What the run is made of is its plan
// (builders/plan.ts); how it is judged when the wait ends is cluster/judge.ts's. This component
// turns the plan into resources, orders them, and wires the wait and the judgement.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Backend, TrainingJobStatus } from "./builders/backend";
import type { BatchJobManifest } from "./builders/dataJobs";
import { KEPT_SPEC } from "./builders/keptJobs";
import type { QueueStatus } from "./builders/kueue";
import { planRun, programWaits } from "./builders/plan";
import type { JobCondition } from "./builders/run";
import { type PulumiCommand, runningCommand } from "./cluster/command";
import type { HeldRuns } from "./cluster/heldJobs";
import { watchJobPods } from "./cluster/jobPods";
import { judgeRun } from "./cluster/judge";
import type { ClusterReader } from "./cluster/reader";
import { type RunSummary, summarizeRun } from "./cluster/runSummary";
import { type WatchRequest, type WatchResult, watchRun } from "./cluster/watchRun";
import { durationSeconds, type Job, type StagingConfig, withoutFrames } from "./config";
import { CHECKPOINT_SUBDIR, childResourceName, claimName, type VolumeRole } from "./names";
import type { StackCredentials } from "./sources";

/** Arguments of a `FineTuneJob`. */
export interface FineTuneJobArgs {
  /** The namespace, as an Output of the Namespace resource so that jobs are created after it. */
  readonly namespace: pulumi.Input<string>;
  /** The validated job config. */
  readonly job: Job;
  /** The operator generation that runs the job, and how it spells it (builders/backends.ts). */
  readonly backend: Backend;
  /** How staging Jobs fetch sources. */
  readonly staging: StagingConfig;
  /**
   * The Hugging Face token Secret, when the stack has a token: pods read it as `HF_TOKEN`.
   * @default no token
   */
  readonly hfTokenSecret?: pulumi.Resource;
  /**
   * The S3 credentials Secret, when the stack has credentials: s3:// staging reads it.
   * @default no credentials
   */
  readonly s3Secret?: pulumi.Resource;
  /**
   * The training operator install: the PyTorchJob needs its CRD and webhook.
   * @default none (the operator is already there)
   */
  readonly operator?: pulumi.Resource;
  /**
   * The LocalQueue the job is submitted to, when the stack declares it.
   * @default none (the queue exists already, or the job has none)
   */
  readonly queue?: pulumi.Resource;

  /**
   * What the job's pods need before they start (ServiceAccount, registry credentials Secret).
   * @default none
   */
  readonly podPrerequisites?: pulumi.Resource[];
  /**
   * Whether the pods pull their images with the namespace's registry credentials.
   * @default false
   */
  readonly imagePullSecrets?: boolean;
  /**
   * Confine the job's traffic with NetworkPolicies: training pods reach each other only, staging
   * pods their sources' ports only.
   * @default false
   */
  readonly networkPolicy?: boolean;
  /**
   * Judge the run from the status seen when the wait ended (a failed run fails the deploy). Off when
   * nothing is awaited (`cluster.skipAwait`).
   * @default true
   */
  readonly judgeRun?: boolean;
  /**
   * The Pulumi CLI command running the program. In a destroy the runs are neither waited for nor
   * judged: the engine deletes them only once the program has ended.
   * @default read from the program's ancestors (cluster/command.ts)
   */
  readonly command?: PulumiCommand;
  /**
   * The job's config key, which messages name (`finetune:jobs.granite`).
   * @default the job name
   */
  readonly configKey?: string;
  /**
   * The kubeconfig context, for the `kubectl logs` command in the outputs.
   * @default the current context
   */
  readonly context?: string;
  /**
   * Reads the cluster: the program waits for a run itself, reading the job, its pods and, for a
   * queued job, its Workload (components/cluster/watchRun.ts).
   */
  readonly cluster: () => Promise<ClusterReader>;
  /**
   * The jobs of the runs the cluster held when the program started: a staging or preparation Job
   * that completed or is running keeps its spec until its sources or tokens change
   * (builders/keptJobs.ts); a training job, until the config it was made from changes
   * (builders/keptRuns.ts).
   * @default none (every job is declared as the program writes it now)
   */
  readonly held?: HeldRuns;
  /** The record of what the config says of the run (builders/keptRuns.ts). @default none: not recorded */
  readonly runConfig?: string;
  /** The stack's identity, as its objects record it (`finetune/stack`). @default none (nothing is kept) */
  readonly owner?: string;
  /** The stack's secret values, which no line or error about the run may show. @default none */
  readonly secrets?: () => readonly string[];
}

/**
 * Options of a resource that is one run of something: any change to its spec is a new run, so it
 * is replaced (deleted first: its name is fixed) rather than patched under running pods.
 */
function runOptions(): pulumi.CustomResourceOptions {
  return { replaceOnChanges: ["spec"], deleteBeforeReplace: true };
}

/**
 * Options of a staging or preparation Job: one run of a data step, which keeps the spec of the Job
 * the cluster holds when the plan says so (builders/keptJobs.ts).
 */
function dataJobOptions(manifest: BatchJobManifest, kept: ReadonlySet<string>): pulumi.CustomResourceOptions {
  return { ...runOptions(), ...(kept.has(manifest.metadata.name) ? { ignoreChanges: [...KEPT_SPEC] } : {}) };
}

/** The training job resource with the `status` output it is given (see below). */
type TrainingJobResource = k8s.apiextensions.CustomResource & {
  readonly status: pulumi.Output<TrainingJobStatus | undefined>;
};

/** A fine-tune job: its PVCs, data staging and preparation Jobs, and training job. */
export class FineTuneJob extends pulumi.ComponentResource {
  /** The training job's name. */
  public readonly jobName: pulumi.Output<string>;
  /** The namespace it runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** The PVC that receives the checkpoints. */
  public readonly outputClaim: pulumi.Output<string>;
  /** Where the checkpoints are inside the output claim. */
  public readonly checkpointPath: pulumi.Output<string>;
  /** The training job's status conditions as seen when `pulumi up` returned. */
  public readonly conditions: pulumi.Output<JobCondition[]>;
  /** The command that follows the first trainer pod's logs. */
  public readonly logs: pulumi.Output<string>;
  /**
   * The conditions, judged: they resolve when the run reached what `wait` asks for and reject,
   * failing the deploy with the job's reason, when it failed or did not. A preview warns instead.
   * Export it (the stack does): a rejected Output fails `pulumi up` only when the engine awaits it.
   */
  public readonly outcome: pulumi.Output<JobCondition[]>;
  /**
   * The run's account when `pulumi up` returned (start, end, duration, restarts, GPU-hours), from
   * what the program's wait read; undefined when the program does not wait for the run.
   */
  public readonly run: pulumi.Output<RunSummary | undefined>;
  /** For a job with a queue: its name and where the job stood in it when `pulumi up` returned. */
  public readonly queue: pulumi.Output<({ readonly name: string } & QueueStatus) | undefined>;

  constructor(name: string, args: FineTuneJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:FineTuneJob", name, {}, opts);
    const { job, namespace, backend } = args;
    const hfSecret = args.hfTokenSecret ? [args.hfTokenSecret] : [];
    const prerequisites = args.podPrerequisites ?? [];
    // The program waits for an awaited run itself (components/cluster/watchRun.ts).
    const waits = programWaits(job, args.judgeRun !== false);
    const queued = job.queue !== undefined;
    const destroy = (args.command ?? runningCommand()) === "destroy";
    const watchEnv = {
      reader: args.cluster,
      onPassingError: (message: string) => pulumi.log.info(message, this),
      onLine: (line: string) => pulumi.log.info(line, this),
      ...(args.secrets !== undefined ? { secrets: args.secrets } : {}),
    };
    // A run this update creates or changes is waited for and told; an unchanged one is waited for
    // only when it is not yet where its wait ends (its last wait timed out or was interrupted); a
    // preview looks once.
    const watch = async (uid: string, ns: string, how: "changed" | "unchanged" | "once"): Promise<WatchResult> => {
      const request: WatchRequest = {
        backend,
        namespace: ns,
        name,
        uid,
        mode: job.wait as WatchRequest["mode"],
        timeoutSeconds: durationSeconds(job.timeout ?? "1h"),
        queued,
        once: how === "once",
        unchanged: how === "unchanged",
      };
      try {
        // A preview's one look tells nothing: only its judgement is said.
        return await watchRun(how === "once" ? { ...watchEnv, onLine: undefined } : watchEnv, request);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return {
          status: undefined,
          queue: { state: "unknown" },
          error: `${backend.kind} ${ns}/${name} was created, but the program could not read the cluster to wait for it (${why})`,
        };
      }
    };
    // A run this update creates or changes is waited for in a hook of its job, which the engine
    // runs after the provider's create or update and before the job's outputs resolve, as it would
    // the provider's own wait; a run it leaves unchanged is waited for below, if it needs to be. A
    // queued job is waited for below at every update instead, told as new: Kueue may admit it, or
    // not, whether it changed or not.
    let waited: Promise<WatchResult> | undefined;
    const afterChange = async (hook: pulumi.ResourceHookArgs) => {
      const metadata = (hook.newOutputs as { metadata?: { uid?: string; namespace?: string } } | undefined)?.metadata;
      if (metadata?.uid === undefined || metadata.namespace === undefined) return;
      waited = watch(metadata.uid, metadata.namespace, "changed");
      await waited;
    };
    // Named after the job, as the engine records a hook's name in the state of the resource it is bound to.
    const hook = waits && !queued ? new pulumi.ResourceHook(`finetune-wait-${name}`, afterChange) : undefined;
    const hooks = hook !== undefined ? { afterCreate: [hook], afterUpdate: [hook] } : undefined;
    const plan = planRun({
      name,
      namespace,
      job,
      backend,
      staging: args.staging,
      credentials: { hfToken: args.hfTokenSecret !== undefined, s3Credentials: args.s3Secret !== undefined },
      imagePullSecrets: args.imagePullSecrets ?? false,
      networkPolicy: args.networkPolicy ?? false,
      programWaits: waits,
      ...(args.held !== undefined ? { held: args.held.data } : {}),
      ...(args.held?.training.has(name) ? { heldRun: args.held.training.get(name) } : {}),
      ...(args.owner !== undefined ? { owner: args.owner } : {}),
      ...(args.runConfig !== undefined ? { runConfig: args.runConfig } : {}),
      ...(args.configKey !== undefined ? { configKey: args.configKey } : {}),
    });
    // A kept run made before records, or written differently by this release, is said.
    if (plan.keptNote !== undefined && !destroy) pulumi.log.warn(plan.keptNote, this);

    for (const { child, manifest } of plan.networkPolicies) {
      new k8s.networking.v1.NetworkPolicy(childResourceName(name, child), manifest, { parent: this });
    }
    const claims: Partial<Record<VolumeRole, k8s.core.v1.PersistentVolumeClaim>> = {};
    for (const { role, manifest, retain, protect } of plan.claims) {
      claims[role] = new k8s.core.v1.PersistentVolumeClaim(childResourceName(name, role), manifest, {
        parent: this,
        retainOnDelete: retain,
        protect,
      });
    }
    const claimsOf = (...roles: VolumeRole[]) => roles.flatMap((r) => (claims[r] ? [claims[r]] : []));

    // Staging: one Job per volume whose source must be fetched, waited for to completion, after the
    // Secret its fetch reads; then data preparation, once per run, after staging.
    const dataTimeouts = { create: args.staging.timeout, update: args.staging.timeout };
    const credentialSecrets: Record<StackCredentials, pulumi.Resource[]> = {
      hfToken: hfSecret,
      s3Credentials: args.s3Secret ? [args.s3Secret] : [],
    };
    const stagingJobs = plan.staging.map(
      ({ role, manifest, credentials }) =>
        new k8s.batch.v1.Job(childResourceName(name, `stage-${role}`), manifest, {
          parent: this,
          dependsOn: [
            ...claimsOf(role),
            ...(credentials !== undefined ? credentialSecrets[credentials] : []),
            ...prerequisites,
          ],
          customTimeouts: dataTimeouts,
          ...dataJobOptions(manifest, plan.kept),
        }),
    );
    const prepare = plan.prepare
      ? new k8s.batch.v1.Job(childResourceName(name, "prepare"), plan.prepare, {
          parent: this,
          dependsOn: [...claimsOf("model", "dataset"), ...stagingJobs, ...prerequisites],
          customTimeouts: dataTimeouts,
          ...dataJobOptions(plan.prepare, plan.kept),
        })
      : undefined;
    // While the provider waits for a staging or preparation Job (it blocks training until the data
    // is there), the program says each failed attempt, until the Job's wait ends well. Said under
    // the component: a diagnostic of a resource is sent only once its registration has ended.
    if (args.judgeRun !== false && !destroy && !pulumi.runtime.isDryRun()) {
      const dataJobs = [
        ...plan.staging.map(({ manifest }, i) => ({ manifest, resource: stagingJobs[i] })),
        ...(plan.prepare && prepare ? [{ manifest: plan.prepare, resource: prepare }] : []),
      ];
      for (const { manifest, resource } of dataJobs) {
        const { name: jobName, namespace: jobNamespace } = manifest.metadata;
        pulumi.output(jobNamespace).apply((ns) => {
          const watch = watchJobPods(
            {
              reader: args.cluster,
              onFailure: (lines) => pulumi.log.warn(lines.join("\n"), this),
              ...(args.secrets !== undefined ? { secrets: args.secrets } : {}),
            },
            { namespace: ns, job: jobName },
          );
          resource.metadata.apply(() => watch.stop());
        });
      }
    }

    const trainingJob = new k8s.apiextensions.CustomResource(
      childResourceName(name, backend.resourceSuffix),
      // `status` is declared so that the provider's view of it becomes an output.
      { ...plan.training, status: undefined },
      {
        parent: this,
        dependsOn: [
          ...claimsOf("model", "dataset", "output"),
          ...stagingJobs,
          ...(prepare ? [prepare] : []),
          ...(args.operator ? [args.operator] : []),
          ...(args.queue ? [args.queue] : []),
          ...hfSecret,
          ...prerequisites,
        ],
        ...runOptions(),
        ...(plan.keptRun !== undefined ? { ignoreChanges: [...KEPT_SPEC] } : {}),
        ...(hooks !== undefined ? { hooks } : {}),
      },
    ) as TrainingJobResource;

    this.jobName = trainingJob.metadata.name;
    this.namespace = trainingJob.metadata.namespace;
    this.outputClaim = pulumi.output(job.output.kind === "existing" ? job.output.claimName : claimName(name, "output"));
    this.checkpointPath = pulumi.output(CHECKPOINT_SUBDIR);
    const watched = waits
      ? pulumi
          .all([trainingJob.metadata.uid, this.namespace])
          .apply(async ([uid, ns]): Promise<WatchResult | undefined> => {
            // A destroy does not wait for, or judge, the run it is about to delete; a new run in a
            // preview has no UID yet.
            if (destroy || uid === undefined) return undefined;
            if (waited !== undefined) return waited;
            // Unchanged or queued, or a preview (which changes nothing, so looks once).
            return watch(uid, ns, pulumi.runtime.isDryRun() ? "once" : queued ? "changed" : "unchanged");
          })
      : pulumi.output<WatchResult | undefined>(undefined);
    // What the program read, when it waits; else what the provider left in the state. (The state's
    // status of a job the program waits for is the one it was created with, and a preview does not
    // even know that much.)
    const status: pulumi.Output<TrainingJobStatus | undefined> = waits
      ? watched.apply((seen) => seen?.status)
      : trainingJob.status;
    this.queue =
      job.queue === undefined
        ? pulumi.output(undefined)
        : watched.apply((seen) => ({ name: job.queue as string, ...(seen?.queue ?? { state: "unknown" as const }) }));
    this.conditions = status.apply((st) =>
      (st?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        ...(c.message !== undefined ? { message: c.message } : {}),
      })),
    );
    this.run = watched.apply((seen) =>
      seen === undefined || seen.lookedAt === undefined
        ? undefined
        : summarizeRun({
            run: backend.readStatus(seen.status),
            pods: seen.pods ?? [],
            gpus: job.gpusPerNode * job.nodes,
            lookedAt: seen.lookedAt,
          }),
    );
    const context = args.context !== undefined ? ` --context ${args.context}` : "";
    this.logs = pulumi.interpolate`kubectl${context} -n ${this.namespace} logs -f ${backend.logsTarget(name)}`;
    this.outcome = pulumi
      .all([status, this.conditions, this.namespace, watched])
      .apply(([st, conditions, ns, seen]) => {
        const preview = pulumi.runtime.isDryRun();
        const judgement = judgeRun({
          backend,
          key: args.configKey ?? name,
          job: `${ns}/${name}`,
          wait: job.wait,
          judge: args.judgeRun !== false,
          programWaits: waits,
          seen,
          status: st,
          preview,
          destroy,
        });
        if (judgement.kind === "warn") pulumi.log.warn(judgement.message, this);
        // A rejected Output fails the deploy, with a non-zero exit from the CLI too; a logged error
        // diagnostic would not. The stack trace says nothing to the user, so it is hidden.
        if (judgement.kind === "fail") throw withoutFrames(new pulumi.ResourceError(judgement.message, this, true));
        return conditions;
      });
    this.registerOutputs({
      queue: this.queue,
      jobName: this.jobName,
      namespace: this.namespace,
      outputClaim: this.outputClaim,
      checkpointPath: this.checkpointPath,
      conditions: this.conditions,
      logs: this.logs,
      run: this.run,
    });
  }
}
