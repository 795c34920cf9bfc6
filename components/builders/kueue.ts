// Reading a Kueue Workload (kueue.x-k8s.io, v0.19): whether the job it stands for is still
// queued, was admitted, can never be admitted as the queues are configured, or was evicted. Kueue
// writes this on the Workload only, never on the PyTorchJob or TrainJob, so the program reads it
// to tell a user why a job has not started, and to fail a deploy that would otherwise wait for
// its whole timeout.
// @see pkg/controller/core/workload_controller.go and pkg/scheduler/flavorassigner in sigs.k8s.io/kueue v0.19.0
import type { WaitMode } from "../schema/job";
import { type JobCondition, type RunStatus, runVerdict } from "./run";

/** Where a job stands in its queue. */
export type QueueState = "unknown" | "queued" | "inadmissible" | "admitted" | "evicted" | "finished";

/** A job's place in its queue, with Kueue's reason and message. */
export interface QueueStatus {
  readonly state: QueueState;
  readonly reason?: string;
  readonly message?: string;
  /** How often Kueue evicted the job (any reason), once its Workload was read. */
  readonly evictions?: number;
  /** How many of those evictions were preemptions (reason `Preempted`). */
  readonly preemptions?: number;
}

/** An eviction count of a Workload's `status.schedulingStats` (Kueue v0.19). */
interface EvictionCount {
  readonly reason?: string;
  readonly count?: number;
}

/** A Workload as read here. */
interface ObservedWorkload {
  readonly status?: {
    readonly conditions?: readonly JobCondition[];
    readonly schedulingStats?: { readonly evictions?: readonly EvictionCount[] };
  };
}

/**
 * QuotaReserved reasons that no waiting can change: the workload exceeds what its ClusterQueue
 * (with its cohort) could ever lend, no flavor matches it, or its queues are misconfigured. They
 * are Kueue's granular reasons (feature gate UnadmittedWorkloadsObservability, beta and off by
 * default in v0.19); without it, Kueue says `Inadmissible` for a missing queue, and `Pending`
 * with its flavor assigner's message for the rest.
 */
const NEVER_ADMITTED = new Set(["ExceedsMaxQuota", "NoMatchingFlavor", "Misconfigured"]);

/**
 * Whether a `Pending` message (no granular reason) says the workload can never fit: the flavor
 * assigner writes "> maximum capacity" when a request exceeds the quota the ClusterQueue could
 * ever reach, and "insufficient unused quota" when waiting may help; a message with both has a
 * flavor worth waiting for.
 */
function pendingForever(message: string): boolean {
  return message.includes("> maximum capacity") && !message.includes("insufficient unused quota");
}

function condition(conditions: readonly JobCondition[], type: string): JobCondition | undefined {
  return conditions.find((c) => c.type === type);
}

function status(state: QueueState, c: JobCondition | undefined): QueueStatus {
  return {
    state,
    ...(c?.reason !== undefined ? { reason: c.reason } : {}),
    ...(c?.message !== undefined ? { message: c.message } : {}),
  };
}

/**
 * Where the job of a Workload stands in its queue, and how often it was evicted and preempted;
 * `unknown` before Kueue has made one.
 */
export function readWorkload(workload: ObservedWorkload | undefined): QueueStatus {
  if (workload === undefined) return { state: "unknown" };
  const evictions = workload.status?.schedulingStats?.evictions ?? [];
  const count = (list: readonly EvictionCount[]) => list.reduce((n, e) => n + (e.count ?? 0), 0);
  return {
    ...queueState(workload),
    evictions: count(evictions),
    preemptions: count(evictions.filter((e) => e.reason === "Preempted")),
  };
}

function queueState(workload: ObservedWorkload): QueueStatus {
  const conditions = workload.status?.conditions ?? [];
  const isTrue = (type: string) => condition(conditions, type)?.status === "True";
  if (isTrue("Finished")) return status("finished", condition(conditions, "Finished"));
  if (isTrue("Evicted")) return status("evicted", condition(conditions, "Evicted"));
  if (isTrue("Admitted")) return status("admitted", condition(conditions, "Admitted"));
  const reserved = condition(conditions, "QuotaReserved");
  if (reserved?.status === "False") {
    const reason = reserved.reason ?? "";
    const message = reserved.message ?? "";
    const never =
      NEVER_ADMITTED.has(reason) ||
      (reason === "Inadmissible" && message.includes("doesn't exist")) ||
      (reason === "Pending" && pendingForever(message));
    return status(never ? "inadmissible" : "queued", reserved);
  }
  // Quota reserved, admission checks pending; or not yet evaluated.
  return status("queued", reserved ?? condition(conditions, "Admitted"));
}

/** How a queue status reads in a message: `queued (Pending: couldn't assign flavors ...)`. */
export function describeQueueStatus(queue: QueueStatus): string {
  const detail = [queue.reason, queue.message].filter(Boolean).join(": ");
  return detail ? `${queue.state} (${detail})` : queue.state;
}

/** What to do after one look at a job (and its Workload, when it is queued). */
export type RunDecision =
  | { readonly done: false }
  | { readonly done: true; readonly ok: true }
  | { readonly done: true; readonly ok: false; readonly error: string; readonly forever: boolean };

/**
 * Decides, from one look at a job (`kind namespace/name`) and, for a queued one, its Workload
 * (`queue`; undefined for a job without a queue), whether the wait that `mode` asks for is over: a
 * failed run or a Workload that can never be admitted ends it at once with the reason; `admitted`
 * ends when Kueue admitted it (or it runs or ended), `running` once it runs, `succeeded` once it
 * succeeded; `timedOut` ends it with where the job stands.
 */
export function runDecision(
  kind: string,
  job: string,
  mode: Exclude<WaitMode, "none">,
  run: RunStatus,
  queue: QueueStatus | undefined,
  timedOut: boolean,
): RunDecision {
  const verdict = runVerdict(kind, job, mode, run);
  if (run.state === "failed" && !verdict.ok) return { done: true, ok: false, error: verdict.error, forever: true };
  if (queue?.state === "inadmissible") {
    return {
      done: true,
      ok: false,
      forever: true,
      error: `${kind} ${job} can never be admitted by Kueue as its queues stand: ${describeQueueStatus(queue)}`,
    };
  }
  const started = run.state === "running" || run.state === "succeeded";
  const reached =
    mode === "admitted"
      ? started || queue?.state === "admitted" || queue?.state === "finished"
      : mode === "running"
        ? started
        : run.state === "succeeded";
  if (reached) return { done: true, ok: true };
  if (!timedOut) return { done: false };
  const admitted = queue === undefined || queue.state === "admitted" || queue.state === "finished" || started;
  return {
    done: true,
    ok: false,
    forever: false,
    error: admitted
      ? verdict.ok
        ? `${kind} ${job} did not get there in time`
        : verdict.error
      : queue.state === "unknown"
        ? `${kind} ${job} is not admitted: Kueue made no Workload for it (is Kueue's integration for ${kind} enabled?)`
        : `${kind} ${job} is still queued: ${describeQueueStatus(queue)}`,
  };
}
