// The wait of a queued job, done by the program: Kueue writes why a job is not admitted on its
// Workload, never on the job, so the provider (which waits on the job alone) would wait for the
// whole timeout on a job that can never start. Here the program looks at both every few seconds
// during `pulumi up` and ends the wait as queuedRunDecision says.
import type { Backend, TrainingJobStatus } from "../builders/backend";
import { type QueueStatus, queuedRunDecision, readWorkload } from "../builders/kueue";
import type { JobCondition } from "../builders/run";
import type { WaitMode } from "../config";
import type { KubeClient } from "./kubeClient";

/** The API path of Kueue's Workloads in a namespace. */
export const WORKLOADS_API = "apis/kueue.x-k8s.io/v1beta2";

/** What to watch. */
export interface WatchRequest {
  readonly backend: Backend;
  readonly namespace: string;
  readonly name: string;
  /** The job object's UID: its Workload names it as owner. */
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

/** The fields of a Workload the watch reads. */
interface Workload {
  readonly metadata?: { readonly ownerReferences?: readonly { readonly uid?: string }[] };
  readonly status?: { readonly conditions?: readonly JobCondition[] };
}

/** The Workload Kueue made for the job with this UID, if any. */
async function workloadOf(client: KubeClient, namespace: string, uid: string): Promise<Workload | undefined> {
  const list = (await client.get(`${WORKLOADS_API}/namespaces/${namespace}/workloads`)) as
    | { readonly items?: readonly Workload[] }
    | undefined;
  return (list?.items ?? []).find((w) => (w.metadata?.ownerReferences ?? []).some((o) => o.uid === uid));
}

/**
 * Looks at the job and its Workload until the wait is over. Errors reading the API are retried
 * until the timeout (the API server may restart); the last one is reported if nothing was read.
 */
export async function watchQueuedRun(
  client: KubeClient,
  request: WatchRequest,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<WatchResult> {
  const { backend, namespace, name, uid, mode } = request;
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  const job = `${namespace}/${name}`;
  const jobPath = `${backend.apiPath}/namespaces/${namespace}/${backend.plural}/${name}`;
  let status: TrainingJobStatus | undefined;
  let queue: QueueStatus = { state: "unknown" };
  let lastError: unknown;
  for (;;) {
    try {
      const object = (await client.get(jobPath)) as { readonly status?: TrainingJobStatus } | undefined;
      status = object?.status;
      queue = readWorkload(await workloadOf(client, namespace, uid));
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    const timedOut = Date.now() >= deadline;
    const decision = queuedRunDecision(backend.kind, job, mode, backend.readStatus(status), queue, timedOut);
    if (decision.done) {
      if (decision.ok) return { status, queue };
      const unread =
        lastError !== undefined && status === undefined ? ` (the API could not be read: ${String(lastError)})` : "";
      return { status, queue, error: `${decision.error}${unread}`, forever: decision.forever };
    }
    await sleep(Math.min((request.intervalSeconds ?? 3) * 1000, Math.max(0, deadline - Date.now())) || 1000);
  }
}
