// Reads the staging and preparation Jobs the cluster holds in the stack's namespace, once, before
// the program declares anything: whether each keeps the spec it was created with is decided from
// them (builders/keptJobs.ts), and a resource's options cannot wait for a read.
import type { HeldJobs } from "../builders/keptJobs";
import { standardLabels } from "../names";
import type { ClusterReader } from "./reader";

export type { HeldJobs };

/** The label selector of the program's data Jobs of one component (`staging`, `data-preparation`). */
function selectorOf(component: "staging" | "data-preparation"): string {
  const { "app.kubernetes.io/part-of": partOf } = standardLabels(component);
  return `app.kubernetes.io/part-of=${partOf},app.kubernetes.io/component=${component}`;
}

/**
 * The staging and preparation Jobs in `namespace` (none when it does not exist). Rejects with the
 * reader's `ClusterReadError` when the cluster cannot be read.
 */
export async function readHeldJobs(reader: ClusterReader, namespace: string): Promise<HeldJobs> {
  const lists = await Promise.all(
    (["staging", "data-preparation"] as const).map((c) => reader.list("batch/v1", "Job", namespace, selectorOf(c))),
  );
  return new Map(lists.flat().map((job) => [job.metadata?.name ?? "", job]));
}
