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

/** Where the InstructLab trainer writes checkpoints: on the output volume, never pod-local. */
export const CHECKPOINT_DIR = `${MOUNT_PATHS.output}/checkpoints`;

/** The container the training operator requires in every replica. */
export const TRAINING_CONTAINER = "pytorch";

/** The Secret that holds the Hugging Face token, and its key. */
export const HF_TOKEN_SECRET = { name: "hf-token", key: "token" } as const;

/** Name of the PVC the program creates for a job's volume. */
export function claimName(job: string, role: VolumeRole): string {
  return `${job}-${role}`;
}

/** Pulumi resource name of a job's child resource; stable across runs. */
export function childResourceName(job: string, child: string): string {
  return `${job}-${child}`;
}

/** The part a labelled object plays. */
export type Component = "training" | "storage" | "credentials" | "namespace";

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
