// Pure builders of the batch/v1 Jobs that prepare a run's data, once, before training:
// a staging Job per fetched volume (hf:// or s3://) that writes into its PVC, and for the
// InstructLab trainer a data preparation Job that processes the dataset. Every value from config
// reaches the containers as one argv element or one env value; tokens only through secretKeyRef.
import type * as pulumi from "@pulumi/pulumi";
import {
  claimName,
  MOUNT_PATHS,
  prepareJobName,
  processedDataDir,
  RUN_ANNOTATIONS,
  STAGING_TARGET,
  stagingJobName,
  standardLabels,
} from "../names";
import type { Job, SecurityContextOverride } from "../schema/job";
import type { StagingResources } from "../schema/staging";
import type { InstructLabTrainer } from "../schema/trainer";
import type { Volume } from "../schema/volumes";
import { type FetchedSource, fetchOf, formatSource, hasCredentials, type StackCredentials } from "../sources";
import type { EnvVar, NamespacedMetadata, PodSpec, VolumeMount } from "./k8sTypes";
import { containerSecurityContext, podIdentity } from "./security";

/** A batch/v1 Job manifest. */
export interface BatchJobManifest {
  readonly apiVersion: "batch/v1";
  readonly kind: "Job";
  readonly metadata: NamespacedMetadata & { readonly annotations: Record<string, string> };
  readonly spec: {
    readonly backoffLimit: number;
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
      readonly spec: PodSpec;
    };
  };
}

/**
 * The environment of a fetch: HOME on a scratch volume (the image's own home may not be writable),
 * then its kind's client settings and credentials, all secrets through secretKeyRef.
 */
function fetchEnv(source: FetchedSource, secrets: Readonly<Record<StackCredentials, boolean>>): EnvVar[] {
  const fetch = fetchOf(source);
  return [{ name: "HOME", value: "/tmp" }, ...fetch.env(source, hasCredentials(fetch, secrets))];
}

/**
 * Annotations of every staging and preparation Job. The Kubernetes provider keeps a failed Job in
 * the state with an init error, and with `replaceOnChanges: [spec]` alone the next `pulumi up`
 * would re-await that same failed Job. `pulumi.com/replaceUnready` makes it plan a replacement of
 * a Job that has not completed, so the next `up` runs it again (after a fixed token, a bucket
 * that now exists, a network that came back).
 */
export const DATA_JOB_ANNOTATIONS: Readonly<Record<string, string>> = { "pulumi.com/replaceUnready": "true" };

/** The claim a job volume lives on. */
export function volumeClaim(job: string, role: "model" | "dataset" | "output", volume: Volume): string {
  return volume.kind === "existing" ? volume.claimName : claimName(job, role);
}

/** What a staging Job needs. */
export interface StagingJobInputs {
  readonly job: string;
  readonly role: "model" | "dataset";
  readonly volume: Volume;
  readonly source: FetchedSource;
  /** The image that runs the fetch. */
  readonly image: string;
  readonly namespace: pulumi.Input<string>;
  readonly secrets: Readonly<Record<StackCredentials, boolean>>;
  /** The job's pod identity override, if any. */
  readonly securityContext?: SecurityContextOverride;
  /** Whether the stack has registry credentials for the image. */
  readonly imagePullSecrets: boolean;
  /** What the staging pod requests (`staging.resources`). */
  readonly resources: StagingResources;
}

/**
 * The staging Job of one volume: fetches its source into its PVC, once. A failure fails the Job
 * (after 2 retries), and the Kubernetes provider, which waits for Jobs to complete, fails the
 * deploy with the Job's reason.
 */
export function buildStagingJob(inputs: StagingJobInputs): BatchJobManifest {
  const { job, role, volume, source } = inputs;
  const labels = standardLabels("staging", job);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: stagingJobName(job, role),
      namespace: inputs.namespace,
      labels,
      annotations: { ...DATA_JOB_ANNOTATIONS },
    },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { labels, annotations: volumeSourceAnnotations(role, volume) },
        spec: {
          ...podIdentity(inputs.securityContext, inputs.imagePullSecrets),
          restartPolicy: "Never",
          containers: [
            {
              name: "stage",
              image: inputs.image,
              command: fetchOf(source).argv(source, STAGING_TARGET),
              env: fetchEnv(source, inputs.secrets),
              // Requested, so that the pod is not the first evicted (BestEffort) while it downloads.
              resources: {
                requests: { cpu: inputs.resources.cpu, memory: inputs.resources.memory },
                limits: { memory: inputs.resources.memoryLimit },
              },
              volumeMounts: [
                { name: "target", mountPath: STAGING_TARGET },
                { name: "scratch", mountPath: "/tmp" },
              ],
              securityContext: containerSecurityContext(),
            },
          ],
          volumes: [
            { name: "target", persistentVolumeClaim: { claimName: volumeClaim(job, role, volume) } },
            { name: "scratch", emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** The argv of InstructLab's data processing step: chat template, tokenization, max length. */
export function prepareArgv(job: string, trainer: InstructLabTrainer): string[] {
  return [
    "python3",
    "-m",
    "instructlab.training.data_process",
    `--data_path=${MOUNT_PATHS.dataset}/${trainer.dataFile}`,
    `--data_output_path=${MOUNT_PATHS.dataset}/${processedDataDir(job)}`,
    `--max_seq_len=${trainer.maxSeqLen}`,
    `--model_name_or_path=${MOUNT_PATHS.model}`,
  ];
}

/** Where a fetched volume's data came from (its source and restage token), as pod template annotations. */
export function volumeSourceAnnotations(role: "model" | "dataset", volume: Volume | undefined): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (volume?.fetch === undefined) return annotations;
  annotations[RUN_ANNOTATIONS[`${role}Source`]] = formatSource(volume.fetch);
  if (volume.restage !== undefined) annotations[RUN_ANNOTATIONS[`${role}Restage`]] = volume.restage;
  return annotations;
}

/**
 * The sources a job's data came from, as pod template annotations (part of the spec): a source
 * or restage change prepares the data and trains again.
 */
export function runSourceAnnotations(job: Job): Record<string, string> {
  return { ...volumeSourceAnnotations("model", job.model), ...volumeSourceAnnotations("dataset", job.dataset) };
}

/**
 * Pod template annotations that put a run's other inputs into its spec: the sources its data
 * came from and the user's `rerun` token. Any change to them replaces the data preparation Job
 * and the PyTorchJob: a new run (staging is asked for with `restage`).
 */
export function runAnnotations(job: Job): Record<string, string> {
  return {
    ...runSourceAnnotations(job),
    ...(job.rerun !== undefined ? { [RUN_ANNOTATIONS.rerun]: job.rerun } : {}),
  };
}

/** The mount of a model or dataset volume, at its subPath for a pvc:// source. */
export function volumeMountOf(role: "model" | "dataset", volume: Volume, readOnly: boolean): VolumeMount {
  return {
    name: role,
    mountPath: MOUNT_PATHS[role],
    ...(volume.kind === "existing" && volume.subPath !== undefined ? { subPath: volume.subPath } : {}),
    ...(readOnly ? { readOnly: true } : {}),
  };
}

/** What the data preparation Job needs. */
export interface PrepareJobInputs {
  readonly name: string;
  readonly job: Job & { readonly trainer: InstructLabTrainer; readonly model: Volume; readonly dataset: Volume };
  readonly namespace: pulumi.Input<string>;
  /** Whether the stack has registry credentials for the image. */
  readonly imagePullSecrets: boolean;
}

/**
 * Where the data preparation pod may run: the nodes the job's training pods may run on (its node
 * selector, tolerations and node affinity), at its priority. Its requests are the training pod's,
 * and on many clusters only the tainted GPU nodes are that large. Not its scheduler, gang or queue:
 * it is one pod, scheduled on its own, before the run is submitted.
 */
export function prepareScheduling(
  job: Job,
): Pick<PodSpec, "nodeSelector" | "tolerations" | "affinity" | "priorityClassName"> {
  const { nodeSelector, tolerations, affinity, priorityClassName } = job.scheduling;
  return {
    ...(nodeSelector !== undefined ? { nodeSelector } : {}),
    ...(tolerations !== undefined ? { tolerations } : {}),
    ...(affinity?.nodeAffinity !== undefined ? { affinity: { nodeAffinity: affinity.nodeAffinity } } : {}),
    ...(priorityClassName !== undefined ? { priorityClassName } : {}),
  };
}

/**
 * The data preparation Job of an InstructLab run: processes the dataset once (not on every
 * node), with the model's tokenizer, into the dataset volume. Its pod template carries the
 * sources and the rerun token, so it runs again when a source changes or a new run is asked for.
 */
export function buildPrepareJob(inputs: PrepareJobInputs): BatchJobManifest {
  const { name, job } = inputs;
  const labels = standardLabels("data-preparation", name);
  const annotations = runAnnotations(job);
  const requests: Record<string, string> = {};
  if (job.resources.cpu !== undefined) requests.cpu = job.resources.cpu;
  if (job.resources.memory !== undefined) requests.memory = job.resources.memory;
  // The training pod's memory is the most it may use: past it, the kernel kills it, not its node.
  const limits: Record<string, string> = job.resources.memory !== undefined ? { memory: job.resources.memory } : {};
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: prepareJobName(name),
      namespace: inputs.namespace,
      labels,
      annotations: { ...DATA_JOB_ANNOTATIONS },
    },
    spec: {
      backoffLimit: 1,
      template: {
        metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: {
          ...podIdentity(job.securityContext, inputs.imagePullSecrets),
          ...prepareScheduling(job),
          restartPolicy: "Never",
          containers: [
            {
              name: "prepare",
              image: job.image,
              command: prepareArgv(name, job.trainer),
              env: [
                { name: "HOME", value: "/tmp" },
                { name: "HF_HOME", value: "/tmp/huggingface" },
              ],
              ...(Object.keys(requests).length > 0
                ? { resources: { requests, ...(Object.keys(limits).length > 0 ? { limits } : {}) } }
                : {}),
              volumeMounts: [
                volumeMountOf("model", job.model, true),
                volumeMountOf("dataset", job.dataset, false),
                { name: "scratch", mountPath: "/tmp" },
              ],
              securityContext: containerSecurityContext(),
            },
          ],
          volumes: [
            {
              name: "model",
              persistentVolumeClaim: { claimName: volumeClaim(name, "model", job.model), readOnly: true },
            },
            { name: "dataset", persistentVolumeClaim: { claimName: volumeClaim(name, "dataset", job.dataset) } },
            { name: "scratch", emptyDir: {} },
          ],
        },
      },
    },
  };
}
