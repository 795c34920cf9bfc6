// Whether a staging or preparation Job the cluster already holds keeps the spec it was created
// with. Such a Job is one run of a data step, and a Job's template cannot change: any change to
// its spec replaces it, which fetches or processes the data again. A new release of the program
// that writes these Jobs differently (requests, scheduling), or a change of config the data does
// not depend on (an image, the staging requests), must not do that to data that is already there.
// So a Job that completed, or is still running, keeps its spec (the resource ignores changes to
// it) until what it is a run of changes: its sources, a restage token, a rerun token, which its
// pod template's annotations carry. A failed Job is run again with the spec the program writes now.
import { RUN_ANNOTATIONS } from "../names";
import type { BatchJobManifest } from "./dataJobs";
import { type ClusterObject, ownerOf } from "./ownership";

/** The data Jobs the cluster holds in a namespace, by name. */
export type HeldJobs = ReadonlyMap<string, ClusterObject>;

/** What a kept Job's resource ignores changes to. */
export const KEPT_SPEC: readonly string[] = ["spec"];

/** A batch/v1 Job as the API serves it: the parts read here. */
interface HeldJob extends ClusterObject {
  readonly spec?: { readonly template?: { readonly metadata?: { readonly annotations?: Record<string, string> } } };
  readonly status?: { readonly conditions?: readonly { readonly type?: string; readonly status?: string }[] };
}

/** The annotations that say what a data Job is a run of (its sources, restage and rerun tokens). */
const RUN_KEYS: readonly string[] = Object.values(RUN_ANNOTATIONS).filter((k) => k !== RUN_ANNOTATIONS.queue);

function runOf(annotations: Readonly<Record<string, string>> | undefined): string {
  return JSON.stringify(RUN_KEYS.map((k) => annotations?.[k] ?? null));
}

/**
 * Whether `manifest`'s Job keeps the spec of `held`, the Job of its name the cluster holds (if
 * any): held, created by this stack (`owner`), not being deleted, not failed, and a run of the same
 * sources and tokens as the manifest.
 */
export function keepsSpec(held: ClusterObject | undefined, manifest: BatchJobManifest, owner: string): boolean {
  const job = held as HeldJob | undefined;
  if (job === undefined || ownerOf(job) !== owner || job.metadata?.deletionTimestamp !== undefined) return false;
  if ((job.status?.conditions ?? []).some((c) => c.type === "Failed" && c.status === "True")) return false;
  return runOf(job.spec?.template?.metadata?.annotations) === runOf(manifest.spec.template.metadata.annotations);
}
