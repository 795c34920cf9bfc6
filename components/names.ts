// Names and labels of everything the program declares, derived from the job name by one set of
// functions, so that a Kubernetes object's name and a Pulumi resource name never drift apart and
// never change between runs (a second `pulumi up` is a no-op).

/** The volumes of a job. */
export type VolumeRole = "model" | "dataset" | "output";

/** Where each volume is mounted in the training containers. */
export const MOUNT_PATHS: Readonly<Record<VolumeRole | "shm", string>> = {
  model: "/mnt/model",
  dataset: "/mnt/dataset",
  output: "/mnt/output",
  shm: "/dev/shm",
};

/** Where checkpoints go inside the output volume. */
export const CHECKPOINT_SUBDIR = "checkpoints";

/** Where the trainer writes checkpoints: on the output volume, never pod-local. */
export const CHECKPOINT_DIR = `${MOUNT_PATHS.output}/${CHECKPOINT_SUBDIR}`;

/** The environment variable that tells any trainer where checkpoints go. */
export const CHECKPOINT_ENV = "CHECKPOINT_DIR";

/** Where a staging Job mounts the volume it fills. */
export const STAGING_TARGET = "/mnt/target";

/** Where data preparation writes a job's processed data, inside the dataset volume. */
export function processedDataDir(job: string): string {
  return `processed/${job}`;
}

/** The Secret that holds the Hugging Face token, and its key. */
export const HF_TOKEN_SECRET = { name: "hf-token", key: "token" } as const;

/** The Secret that holds the S3 credentials, and its keys. */
export const S3_SECRET = {
  name: "s3-credentials",
  accessKeyId: "accessKeyId",
  secretAccessKey: "secretAccessKey",
} as const;

/** Kubernetes name of a job's staging Job for one volume. */
export function stagingJobName(job: string, role: "model" | "dataset"): string {
  return `${job}-stage-${role}`;
}

/** Kubernetes name of a job's data preparation Job. */
export function prepareJobName(job: string): string {
  return `${job}-prepare`;
}

/** Annotations on the training pod template that make a run's inputs part of its spec. */
export const RUN_ANNOTATIONS = {
  modelSource: "finetune/model-source",
  modelRestage: "finetune/model-restage",
  datasetSource: "finetune/dataset-source",
  datasetRestage: "finetune/dataset-restage",
  rerun: "finetune/rerun",
  queue: "finetune/queue",
} as const;

/**
 * The annotation on a training job object that the program waits for it itself with this `wait`:
 * in the job's metadata, so that a change of `wait` is an in-place update, after which the program
 * waits for the run as the new mode asks.
 */
export const WAIT_ANNOTATION = "finetune/wait";

/** Name of the PVC the program creates for a job's volume. */
export function claimName(job: string, role: VolumeRole): string {
  return `${job}-${role}`;
}

/** Pulumi resource name of a job's child resource; stable across runs. */
export function childResourceName(job: string, child: string): string {
  return `${job}-${child}`;
}

/** The part a labelled object plays. */
export type Component = "training" | "storage" | "credentials" | "namespace" | "staging" | "data-preparation" | "queue";

/**
 * The recommended `app.kubernetes.io/*` labels.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
 */
export function standardLabels(component: Component, job?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "finetune",
    ...(job !== undefined ? { "app.kubernetes.io/instance": job } : {}),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "finetune",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}
