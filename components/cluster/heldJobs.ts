// Reads the jobs of the stack's runs that the cluster holds in its namespace, once, before the
// program declares anything: whether each keeps the spec it was created with is decided from them
// (builders/keptJobs.ts for staging and preparation Jobs, builders/keptRuns.ts for training jobs),
// and a resource's options cannot wait for a read.
import type { HeldJobs } from "../builders/keptJobs";
import { standardLabels } from "../names";
import type { ClusterReader } from "./reader";

export type { HeldJobs };

/** The jobs of the stack's runs the cluster holds, by name: data Jobs, and training jobs. */
export interface HeldRuns {
  readonly data: HeldJobs;
  readonly training: HeldJobs;
}

/** No job held: what a destroy, or a stack without jobs, reads. */
export const NONE_HELD: HeldRuns = { data: new Map(), training: new Map() };

/** The label selector of the program's objects of one component. */
function selectorOf(component: "staging" | "data-preparation" | "training"): string {
  const { "app.kubernetes.io/part-of": partOf } = standardLabels(component);
  return `app.kubernetes.io/part-of=${partOf},app.kubernetes.io/component=${component}`;
}

/**
 * The staging and preparation Jobs, and the training jobs (of `training`'s kind), in `namespace`
 * (none when it, or the kind, does not exist). Rejects with the reader's `ClusterReadError` when the
 * cluster cannot be read.
 */
export async function readHeldJobs(
  reader: ClusterReader,
  namespace: string,
  training: { readonly apiVersion: string; readonly kind: string },
): Promise<HeldRuns> {
  const [staging, preparation, jobs] = await Promise.all([
    reader.list("batch/v1", "Job", namespace, selectorOf("staging")),
    reader.list("batch/v1", "Job", namespace, selectorOf("data-preparation")),
    reader.list(training.apiVersion, training.kind, namespace, selectorOf("training")),
  ]);
  const byName = (list: typeof jobs) => new Map(list.map((job) => [job.metadata?.name ?? "", job]));
  return { data: byName([...staging, ...preparation]), training: byName(jobs) };
}
