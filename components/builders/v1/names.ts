// Names the training operator v1 and this program agree on for a PyTorchJob.

/** The container the training operator requires in every replica. */
export const TRAINING_CONTAINER = "pytorch";

/** The pod of the Master replica, as the training operator names it. */
export function masterPodName(job: string): string {
  return `${job}-master-0`;
}
