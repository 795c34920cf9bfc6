// What a run's pods say, read from their status as the scheduler, the kubelet and the controllers
// write it: where each pod stands (pending and why, scheduled, running, done), which container
// state will not heal by waiting (a stall: an image that cannot be pulled, a container that
// cannot be created), and which container ended a failed run (its exit code and reason). Pure:
// watchRun.ts reads the pods; story.ts turns what changed into lines.
// @see https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states

/** A container state as the kubelet writes it (one of the three is set). */
export interface ObservedContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: {
    readonly exitCode?: number;
    readonly signal?: number;
    readonly reason?: string;
    readonly message?: string;
    readonly finishedAt?: string;
  };
}

/** A container's status in a pod's status. */
export interface ObservedContainerStatus {
  readonly name: string;
  readonly image?: string;
  readonly restartCount?: number;
  readonly state?: ObservedContainerState;
  readonly lastState?: ObservedContainerState;
}

/** The fields of a Pod the program reads. */
export interface ObservedPod {
  readonly metadata?: {
    readonly name?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    /** When the kubelet took the pod. */
    readonly startTime?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
    readonly containerStatuses?: readonly ObservedContainerStatus[];
    readonly initContainerStatuses?: readonly ObservedContainerStatus[];
  };
}

/** How a container ended. */
export interface Termination {
  readonly exitCode?: number;
  readonly signal?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly finishedAt?: string;
}

/** A container, as the program tells it. */
export interface ContainerView {
  readonly name: string;
  /** An init container (run to completion before the others). */
  readonly init: boolean;
  readonly state: "waiting" | "running" | "terminated" | "unknown";
  /** The waiting reason (`ImagePullBackOff`), or how it terminated. */
  readonly reason?: string;
  readonly message?: string;
  /** Set when terminated. */
  readonly exitCode?: number;
  readonly restarts: number;
  /** How it ended before its last restart. */
  readonly last?: Termination;
  /** How it ended, when terminated. */
  readonly ended?: Termination;
}

/** A pod, as the program tells it. */
export interface PodView {
  readonly name: string;
  /** Pending, Running, Succeeded, Failed or Unknown. */
  readonly phase: string;
  /** The node it was scheduled to. */
  readonly node?: string;
  /** The scheduler's message while it cannot place the pod (`0/12 nodes are available: ...`). */
  readonly unschedulable?: string;
  /** The pod's own reason (Evicted, DeadlineExceeded) and message. */
  readonly reason?: string;
  readonly message?: string;
  readonly containers: readonly ContainerView[];
  /** When the kubelet took it (its status.startTime). */
  readonly startedAt?: string;
  /** Being deleted. */
  readonly deleting: boolean;
}

function termination(t: NonNullable<ObservedContainerState["terminated"]>): Termination {
  return {
    ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
    ...(t.signal !== undefined ? { signal: t.signal } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(t.message !== undefined ? { message: t.message.trim() } : {}),
    ...(t.finishedAt !== undefined ? { finishedAt: t.finishedAt } : {}),
  };
}

function readContainer(c: ObservedContainerStatus, init: boolean): ContainerView {
  const { waiting, running, terminated } = c.state ?? {};
  const base = {
    name: c.name,
    init,
    restarts: c.restartCount ?? 0,
    ...(c.lastState?.terminated !== undefined ? { last: termination(c.lastState.terminated) } : {}),
  };
  if (terminated !== undefined) {
    const ended = termination(terminated);
    return {
      ...base,
      state: "terminated",
      ...(ended.reason !== undefined ? { reason: ended.reason } : {}),
      ...(ended.message !== undefined ? { message: ended.message } : {}),
      ...(ended.exitCode !== undefined ? { exitCode: ended.exitCode } : {}),
      ended,
    };
  }
  if (waiting !== undefined) {
    return {
      ...base,
      state: "waiting",
      ...(waiting.reason !== undefined ? { reason: waiting.reason } : {}),
      ...(waiting.message !== undefined ? { message: waiting.message.trim() } : {}),
    };
  }
  return { ...base, state: running !== undefined ? "running" : "unknown" };
}

/** A pod as the program tells it. */
export function readPod(pod: ObservedPod): PodView {
  const status = pod.status ?? {};
  const scheduled = (status.conditions ?? []).find((c) => c.type === "PodScheduled");
  const unschedulable =
    scheduled?.status === "False" && scheduled.reason === "Unschedulable" ? scheduled.message : undefined;
  return {
    name: pod.metadata?.name ?? "",
    phase: status.phase ?? "Unknown",
    ...(pod.spec?.nodeName !== undefined ? { node: pod.spec.nodeName } : {}),
    ...(unschedulable !== undefined ? { unschedulable } : {}),
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    ...(status.message !== undefined ? { message: status.message } : {}),
    containers: [
      ...(status.initContainerStatuses ?? []).map((c) => readContainer(c, true)),
      ...(status.containerStatuses ?? []).map((c) => readContainer(c, false)),
    ],
    ...(status.startTime !== undefined ? { startedAt: status.startTime } : {}),
    deleting: pod.metadata?.deletionTimestamp !== undefined,
  };
}

/**
 * Waiting reasons that no waiting heals: the image reference cannot be parsed, or the pod's pull
 * policy forbids the pull it needs.
 */
const NEVER_HEALS = new Set(["InvalidImageName", "ErrImageNeverPull"]);

/**
 * Waiting reasons that heal only if something outside the run changes soon: a pull refused or
 * failing (a wrong name or tag, missing credentials, a registry down or rate limiting), a
 * container that cannot be created (a Secret or ConfigMap key that does not exist, a bad mount).
 * The kubelet retries them with a growing back-off; the program gives them a grace before failing.
 */
const HEALS_SOON_IF_AT_ALL = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

/** A container held in a state that waiting will not change. */
export interface Stall {
  readonly pod: string;
  readonly container: string;
  /** An init container. */
  readonly init: boolean;
  readonly reason: string;
  readonly message?: string;
  /** Whether no grace applies (see NEVER_HEALS). */
  readonly immediate: boolean;
}

/** The containers of these pods that are stalled, in pod then container order. */
export function stallsOf(pods: readonly PodView[]): Stall[] {
  const out: Stall[] = [];
  for (const pod of pods) {
    if (pod.deleting) continue;
    for (const c of pod.containers) {
      if (c.state !== "waiting" || c.reason === undefined) continue;
      const immediate = NEVER_HEALS.has(c.reason);
      if (!immediate && !HEALS_SOON_IF_AT_ALL.has(c.reason)) continue;
      out.push({
        pod: pod.name,
        container: c.name,
        init: c.init,
        reason: c.reason,
        ...(c.message !== undefined ? { message: c.message } : {}),
        immediate,
      });
    }
  }
  return out;
}

/** A stall's identity across looks: the same container held for the same reason. */
export function stallKey(s: Stall): string {
  return `${s.pod}/${s.container}/${s.reason}`;
}

/**
 * Since when each current stall has been seen: the times of `since` for stalls still present (an
 * ImagePullBackOff and the ErrImagePull it alternates with count as one), `now` for new ones.
 */
export function trackStalls(
  since: ReadonlyMap<string, number>,
  stalls: readonly Stall[],
  now: number,
): Map<string, number> {
  const next = new Map<string, number>();
  for (const s of stalls) {
    const key = stallKey(s);
    const pull = s.reason === "ErrImagePull" || s.reason === "ImagePullBackOff";
    const twin = pull
      ? `${s.pod}/${s.container}/${s.reason === "ErrImagePull" ? "ImagePullBackOff" : "ErrImagePull"}`
      : key;
    next.set(key, Math.min(since.get(key) ?? now, since.get(twin) ?? now));
  }
  return next;
}

/** The first stall that no waiting heals, or that has lasted `graceMs`; undefined when none. */
export function ripeStall(
  stalls: readonly Stall[],
  since: ReadonlyMap<string, number>,
  now: number,
  graceMs: number,
): Stall | undefined {
  return stalls.find((s) => s.immediate || now - (since.get(stallKey(s)) ?? now) >= graceMs);
}

/** The container whose ending failed the run: where, and how. */
export interface Cause {
  readonly pod: string;
  readonly container?: string;
  readonly exitCode?: number;
  readonly signal?: number;
  readonly reason?: string;
  readonly message?: string;
  /** The log to read is the container's previous one (it was restarted since). */
  readonly previous: boolean;
}

/** A container's failure, with when it ended (`finishedAt`; empty when not given). */
export type Failure = Cause & { readonly container: string; readonly at: string };

/**
 * Every failed end of these pods' containers (a non-zero exit, now or before the last restart),
 * oldest first.
 */
export function failuresOf(pods: readonly PodView[]): Failure[] {
  const found: Failure[] = [];
  for (const pod of pods) {
    for (const c of pod.containers) {
      for (const [t, previous] of [
        [c.ended, false],
        [c.last, true],
      ] as const) {
        if (t === undefined || (t.exitCode ?? 0) === 0) continue;
        found.push({
          pod: pod.name,
          container: c.name,
          ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
          ...(t.signal !== undefined ? { signal: t.signal } : {}),
          ...(t.reason !== undefined ? { reason: t.reason } : {}),
          ...(t.message !== undefined && t.message !== "" ? { message: t.message } : {}),
          previous,
          at: t.finishedAt ?? "",
        });
      }
    }
  }
  // ISO timestamps sort as text; one without a time sorts last.
  return found.sort((a, b) => (a.at || "~").localeCompare(b.at || "~") || a.pod.localeCompare(b.pod));
}

/**
 * The first container of these pods to end in failure (a non-zero exit, now or before its last
 * restart), else the first pod the node evicted or stopped (Evicted, DeadlineExceeded): the
 * first failure is the likeliest cause, the others often follow from it (Workers lose their
 * Master). Undefined when nothing failed.
 */
export function causeOf(pods: readonly PodView[]): Cause | undefined {
  const [first] = failuresOf(pods);
  if (first !== undefined) {
    const { at: _at, ...cause } = first;
    return cause;
  }
  const stopped = pods.find((p) => p.phase === "Failed" && p.reason !== undefined);
  if (stopped === undefined) return undefined;
  return {
    pod: stopped.name,
    reason: stopped.reason,
    ...(stopped.message !== undefined ? { message: stopped.message } : {}),
    previous: false,
  };
}

/** A cause in words: `pod team-a/x-master-0, container pytorch: exit code 137 (OOMKilled)`. */
export function describeCause(namespace: string, cause: Cause): string {
  const where = `pod ${namespace}/${cause.pod}${cause.container !== undefined ? `, container ${cause.container}` : ""}`;
  const how = [
    cause.exitCode !== undefined ? `exit code ${cause.exitCode}` : undefined,
    cause.signal !== undefined ? `signal ${cause.signal}` : undefined,
  ].filter(Boolean);
  const reason = cause.reason !== undefined ? (how.length > 0 ? ` (${cause.reason})` : cause.reason) : "";
  const message = cause.message !== undefined ? `: ${cause.message}` : "";
  return `${where}: ${how.join(", ")}${reason}${message}`;
}
