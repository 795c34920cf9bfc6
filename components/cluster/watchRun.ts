// The wait of a queued job, done by the program: Kueue writes why a job is not admitted on its
// Workload, never on the job, so the provider (which waits on the job alone) would wait for the
// whole timeout on a job that can never start. Here the program looks at both every few seconds
// during `pulumi up` and ends the wait as queuedRunDecision says. The job is the one this update
// created (its UID is checked), and its Workload is found by Kueue's job-uid label.
import type { Backend, TrainingJobStatus } from "../builders/backend";
import { type QueueStatus, queuedRunDecision, readWorkload } from "../builders/kueue";
import type { JobCondition } from "../builders/run";
import type { WaitMode } from "../schema/job";
import { ClusterReadError, type ClusterReader } from "./reader";

/** Kueue's Workloads. */
export const WORKLOAD_API = "kueue.x-k8s.io/v1beta2";

/** The label Kueue puts on a job's Workload: the job's UID. */
export const JOB_UID_LABEL = "kueue.x-k8s.io/job-uid";

/** What to watch. */
export interface WatchRequest {
  readonly backend: Backend;
  readonly namespace: string;
  readonly name: string;
  /** The job object's UID, as the provider created it: the one read must have it. */
  readonly uid: string;
  readonly mode: Exclude<WaitMode, "none">;
  /** How long to wait, in seconds. */
  readonly timeoutSeconds: number;
  /** Seconds between looks. @default 3 */
  readonly intervalSeconds?: number;
}

/** Where the watch ended. */
export interface WatchResult {
  /** The job's status at the last look. */
  readonly status: TrainingJobStatus | undefined;
  /** Its place in its queue at the last look. */
  readonly queue: QueueStatus;
  /** Undefined when the wait reached what `mode` asks; else why not. */
  readonly error?: string;
  /** Whether the error stays until the user changes something (a failed run, an inadmissible job). */
  readonly forever?: boolean;
}

/** The fields of the job and its Workload the watch reads. */
interface Observed {
  readonly metadata?: { readonly uid?: string };
  readonly status?: { readonly conditions?: readonly JobCondition[] };
}

/** How the watch reads the cluster and tells the user what it cannot read for a while. */
export interface WatchEnvironment {
  readonly reader: () => Promise<ClusterReader>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called when a look fails in a way that may pass (the API server restarting); once per distinct reason. */
  readonly onPassingError?: (message: string) => void;
}

/**
 * Looks at the job and its Workload until the wait is over. A read that may heal is retried until
 * the timeout (and reported once); one that cannot (credentials refused, access forbidden, another
 * object than the one created) ends the wait at once.
 */
export async function watchQueuedRun(env: WatchEnvironment, request: WatchRequest): Promise<WatchResult> {
  const sleep = env.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const { backend, namespace, name, uid, mode } = request;
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  const job = `${namespace}/${name}`;
  let status: TrainingJobStatus | undefined;
  let queue: QueueStatus = { state: "unknown" };
  let lastError: string | undefined;
  for (;;) {
    try {
      const reader = await env.reader();
      const object = (await reader.get(backend.apiVersion, backend.kind, name, namespace)) as Observed | undefined;
      if (object !== undefined && object.metadata?.uid !== uid) {
        throw new ClusterReadError(
          `the ${backend.kind} ${job} the program reads is not the one this update created (UID ${object.metadata?.uid}, not ${uid}): the program and the provider read different clusters, or it was replaced meanwhile`,
          true,
        );
      }
      status = (object?.status as TrainingJobStatus | undefined) ?? status;
      const [workload] = await reader.list(WORKLOAD_API, "Workload", namespace, `${JOB_UID_LABEL}=${uid}`);
      queue = readWorkload(workload as Observed | undefined);
      lastError = undefined;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof ClusterReadError && e.lasting) {
        return {
          status,
          queue,
          error: `${backend.kind} ${job} was created, but the program cannot read the cluster to wait for it: ${message}`,
          forever: false,
        };
      }
      if (message !== lastError) env.onPassingError?.(`${backend.kind} ${job}: ${message}; still waiting`);
      lastError = message;
    }
    const timedOut = Date.now() >= deadline;
    const decision = queuedRunDecision(backend.kind, job, mode, backend.readStatus(status), queue, timedOut);
    if (decision.done) {
      if (decision.ok) return { status, queue };
      const unread =
        lastError !== undefined && status === undefined ? ` (the API could not be read: ${lastError})` : "";
      return { status, queue, error: `${decision.error}${unread}`, forever: decision.forever };
    }
    await sleep(Math.min((request.intervalSeconds ?? 3) * 1000, Math.max(0, deadline - Date.now())) || 1000);
  }
}
