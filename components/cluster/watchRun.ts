// The wait of a run, done by the program rather than the provider, so that it can say what the run
// is doing and why it stops: every few seconds during `pulumi up` it looks at the job, its pods
// and, for a queued job, its Kueue Workload (Kueue writes why a job is not admitted there, never on
// the job). Each change is told in a line (story.ts); a container held in a state no waiting heals
// (an image that cannot be pulled, a container that cannot be created) ends the wait after a short
// grace; a failed run ends it with its first failed container, its log's end and warning events
// (failure.ts). The job is the one this update created (its UID is checked); its Workload is found
// by Kueue's job-uid label.
import type { Backend, TrainingJobStatus } from "../builders/backend";
import { type QueueStatus, readWorkload, runDecision } from "../builders/kueue";
import type { JobCondition } from "../builders/run";
import type { WaitMode } from "../schema/job";
import { gatherEvidence } from "./failure";
import {
  type Cause,
  causeOf,
  type ObservedPod,
  type PodView,
  readPod,
  ripeStall,
  type Stall,
  stallsOf,
  trackStalls,
} from "./pods";
import { ClusterReadError, type ClusterReader } from "./reader";
import { duration, type Look, tell, waitingFor } from "./story";

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
  /** Whether the job has a Kueue queue, whose Workload is read too. @default false */
  readonly queued?: boolean;
  /**
   * One look, no wait: the run is not changed by this update, so it is only told and judged as it
   * stands (failed, or held where no waiting helps). @default false
   */
  readonly once?: boolean;
  /**
   * The run is not changed by this update: when the first look finds it where the wait ends
   * (already running, say), nothing is told; else it is waited for and told as a new run is (its
   * last wait did not end: it timed out, or the update was interrupted). @default false
   */
  readonly unchanged?: boolean;
  /** Seconds an image pull or container create error may last before the wait ends. @default STALL_GRACE_SECONDS */
  readonly stallGraceSeconds?: number;
}

/** How long a pull or create error may last before the run is said to be stuck. */
export const STALL_GRACE_SECONDS = 60;

/** Where the watch ended. */
export interface WatchResult {
  /** The job's status at the last look. */
  readonly status: TrainingJobStatus | undefined;
  /** Its place in its queue at the last look. */
  readonly queue: QueueStatus;
  /** Undefined when the wait reached what `mode` asks (or, for one look, nothing is wrong); else why not. */
  readonly error?: string;
  /** Whether the error stays until the user changes something (a failed run, an inadmissible job). */
  readonly forever?: boolean;
  /** The container held in a state no waiting heals, when that ended the wait. */
  readonly stall?: Stall;
  /** The container that failed the run, when one did. */
  readonly cause?: Cause;
  /** What follows the error: the cause, its log's end, warning events (failure.ts). */
  readonly evidence?: readonly string[];
  /** The job object was not there at the last look (deleted after it finished, or by hand). */
  readonly gone?: boolean;
  /** Every pod of the run seen, each as last seen (runSummary.ts). */
  readonly pods?: readonly PodView[];
  /** When the last look was, in milliseconds. */
  readonly lookedAt?: number;
}

/** The fields of the job and its Workload the watch reads. */
interface Observed {
  readonly metadata?: { readonly uid?: string };
  readonly status?: { readonly conditions?: readonly JobCondition[] };
}

/** How the watch reads the cluster and tells the user what it sees. */
export interface WatchEnvironment {
  readonly reader: () => Promise<ClusterReader>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Called when a look fails in a way that may pass (the API server restarting); once per distinct reason. */
  readonly onPassingError?: (message: string) => void;
  /** Called with each line of the run's story, as it changes. */
  readonly onLine?: (line: string) => void;
  /** The values no line or error may show (the stack's secrets). */
  readonly secrets?: () => readonly string[];
}

function describeStall(namespace: string, s: Stall): string {
  const container = `${s.init ? "init container" : "container"} ${s.container}`;
  return `pod ${namespace}/${s.pod}, ${container}: ${s.reason}${s.message !== undefined ? ` (${s.message})` : ""}`;
}

/**
 * Looks at the job, its pods and its Workload until the wait is over (or once). A read that may
 * heal is retried until the timeout (and reported once); one that cannot (credentials refused,
 * access forbidden, another object than the one created) ends the wait at once.
 */
export async function watchRun(env: WatchEnvironment, request: WatchRequest): Promise<WatchResult> {
  const seen: Seen = { pods: new Map() };
  const result = await watchLooks(env, request, seen);
  return { ...result, pods: [...seen.pods.values()], ...(seen.at !== undefined ? { lookedAt: seen.at } : {}) };
}

/** What the looks saw, whatever ended them: every pod, each as last seen, and when the last look was. */
interface Seen {
  readonly pods: Map<string, PodView>;
  at?: number;
}

async function watchLooks(env: WatchEnvironment, request: WatchRequest, seen: Seen): Promise<WatchResult> {
  const seenPods = seen.pods;
  const sleep = env.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = env.now ?? Date.now;
  const { backend, namespace, name, uid, mode } = request;
  const queued = request.queued === true;
  const deadline = now() + request.timeoutSeconds * 1000;
  const job = `${namespace}/${name}`;
  const what = `${backend.kind} ${job}`;
  let status: TrainingJobStatus | undefined;
  let queue: QueueStatus = { state: "unknown" };
  let pods: PodView[] = [];
  // Every pod seen (in seenPods), and the first failure seen: the operator may delete a failed
  // run's pods (cleanPodPolicy) before the look that reads the failure.
  let firstCause: Cause | undefined;
  let logSeen: string | undefined;
  let gone = false;
  let before: Look | undefined;
  let since = new Map<string, number>();
  let lastError: string | undefined;
  // The first look's lines of an unchanged run, told only if the wait goes on.
  let held: string[] | undefined = request.unchanged === true ? [] : undefined;
  const tellLine = (line: string) => (held !== undefined ? held.push(line) : env.onLine?.(line));
  const secrets = () => env.secrets?.() ?? [];
  const evidence = async (cause?: Cause) =>
    gatherEvidence(await env.reader(), {
      namespace,
      kind: backend.kind,
      name,
      pods: [...seenPods.values()],
      ...(cause !== undefined ? { cause } : {}),
      ...(cause !== undefined && cause === firstCause && logSeen !== undefined ? { logSeen } : {}),
      secrets: secrets(),
    }).catch(() => []);
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
      gone = object === undefined;
      status = (object?.status as TrainingJobStatus | undefined) ?? status;
      if (queued) {
        const [workload] = await reader.list(WORKLOAD_API, "Workload", namespace, `${JOB_UID_LABEL}=${uid}`);
        queue = readWorkload(workload as Observed | undefined);
      }
      pods = (await reader.list("v1", "Pod", namespace, backend.podSelector(name))).map((p) =>
        readPod(p as ObservedPod),
      );
      for (const pod of pods) seenPods.set(pod.name, pod);
      seen.at = now();
      if (firstCause === undefined) {
        firstCause = causeOf(pods);
        // Its log now, while the pod is there: it may be deleted before the run is seen failed.
        if (firstCause?.container !== undefined && !request.once) {
          const c = firstCause;
          logSeen = await reader.log(namespace, c.pod, c.container as string, c.previous).catch(() => undefined);
        }
      }
      const look: Look = {
        run: backend.readStatus(status),
        ...(queued ? { queue } : {}),
        pods,
        ...(backend.readProgress(status) !== undefined ? { progress: backend.readProgress(status) } : {}),
      };
      for (const line of tell(what, before, look)) tellLine(line);
      before = look;
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
    const run = backend.readStatus(status);
    const at = now();
    const stalls = stallsOf(pods);
    since = trackStalls(since, stalls, at);
    const stall =
      run.state === "failed" || run.state === "succeeded"
        ? undefined
        : ripeStall(stalls, since, at, request.once ? 0 : (request.stallGraceSeconds ?? STALL_GRACE_SECONDS) * 1000);
    if (stall !== undefined) {
      return {
        status,
        queue,
        stall,
        forever: true,
        error: `${what} cannot start: ${describeStall(namespace, stall)}`,
        evidence: await evidence(),
      };
    }
    const timedOut = at >= deadline;
    const decision = runDecision(backend.kind, job, mode, run, queued ? queue : undefined, timedOut && !request.once);
    if (request.once && !decision.done) return { status, queue, ...(gone ? { gone } : {}) };
    if (held !== undefined && !decision.done) {
      for (const line of held) env.onLine?.(line);
    }
    held = undefined;
    if (decision.done) {
      if (decision.ok) return { status, queue };
      if (run.state === "failed") {
        const cause = causeOf(pods) ?? firstCause;
        return {
          status,
          queue,
          error: decision.error,
          forever: decision.forever,
          ...(cause !== undefined ? { cause } : {}),
          evidence: await evidence(cause),
        };
      }
      const unread =
        lastError !== undefined && status === undefined ? ` (the API could not be read: ${lastError})` : "";
      // What the run was waiting for, from its pods, when they could be read.
      const waited =
        decision.forever || unread !== "" ? "" : ` (waited ${duration(request.timeoutSeconds)}; ${waitingFor(pods)})`;
      return { status, queue, error: `${decision.error}${unread}${waited}`, forever: decision.forever };
    }
    await sleep(Math.min((request.intervalSeconds ?? 3) * 1000, Math.max(0, deadline - now())) || 1000);
  }
}
