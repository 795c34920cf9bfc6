// The story of a run while `pulumi up` waits for it: from two looks at the job, its queue and its
// pods, the lines that say what changed (a pod created, Pending with the scheduler's message,
// scheduled, Running, a container restarted or held, the run's state, Kueue's admission or
// eviction, the trainer's progress). One line per change, never one per look; pods that changed
// the same way in one look share a line. Pure: watchRun.ts looks and logs the lines.
import { describeQueueStatus, type QueueStatus } from "../builders/kueue";
import type { RunStatus, TrainerProgress } from "../builders/run";
import type { PodView } from "./pods";

/** One look at a run. */
export interface Look {
  readonly run: RunStatus;
  /** Its place in its Kueue queue; undefined for a job without one. */
  readonly queue?: QueueStatus;
  readonly pods: readonly PodView[];
  readonly progress?: TrainerProgress;
}

/** Waiting reasons every pod passes through; a line for them says nothing. */
const ROUTINE = new Set(["ContainerCreating", "PodInitializing"]);

/** A pod's state in one phrase; two looks with the same phrase tell nothing new. */
export function podPhrase(pod: PodView): string {
  if (pod.deleting) return "being deleted";
  const held = pod.containers.find((c) => c.state === "waiting" && c.reason !== undefined && !ROUTINE.has(c.reason));
  const holding = held
    ? `; container ${held.name} waiting: ${held.reason}${held.message !== undefined ? ` (${held.message})` : ""}`
    : "";
  switch (pod.phase) {
    case "Pending":
      if (pod.unschedulable !== undefined) return `Pending, not scheduled: ${pod.unschedulable}`;
      if (pod.node === undefined) return "Pending";
      return `scheduled on ${pod.node}${holding}`;
    case "Running":
      return `Running on ${pod.node ?? "its node"}${holding}`;
    case "Failed":
      return `Failed${pod.reason !== undefined ? `: ${pod.reason}` : ""}${pod.message !== undefined ? ` (${pod.message})` : ""}`;
    default:
      return pod.phase;
  }
}

/** Names in a line: up to three, then how many more. */
function names(list: readonly string[]): string {
  return list.length <= 3 ? list.join(", ") : `${list.slice(0, 3).join(", ")} and ${list.length - 3} more`;
}

/** Seconds as `1h 2m`, `3m 4s` or `5s`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** The trainer's progress in a line: `training 42% done, about 1h 2m left (loss=0.31)`. */
export function progressLine(p: TrainerProgress): string {
  const parts = [
    p.percent !== undefined ? `${p.percent}% done` : "progress reported",
    ...(p.etaSeconds !== undefined ? [`about ${duration(p.etaSeconds)} left`] : []),
  ];
  const metrics = p.metrics.length > 0 ? ` (${p.metrics.map((m) => `${m.name}=${m.value}`).join(", ")})` : "";
  return `training ${parts.join(", ")}${metrics}`;
}

function runPhrase(run: RunStatus): string {
  const detail = [run.reason, run.message].filter(Boolean).join(": ");
  return detail !== "" ? `${run.state} (${detail})` : run.state;
}

/**
 * The lines that tell what changed from `before` (none: the first look) to `now`, for the job
 * `what` (`PyTorchJob team-a/granite`).
 */
export function tell(what: string, before: Look | undefined, now: Look): string[] {
  const lines: string[] = [];
  if (now.queue !== undefined && now.queue.state !== "unknown" && now.queue.state !== before?.queue?.state) {
    lines.push(`${what}: Kueue: ${describeQueueStatus(now.queue)}`);
  }
  if (before === undefined || runPhrase(now.run) !== runPhrase(before.run)) {
    lines.push(`${what}: ${runPhrase(now.run)}`);
  }
  const previous = new Map((before?.pods ?? []).map((p) => [p.name, p]));
  const changed = new Map<string, string[]>();
  for (const pod of now.pods) {
    const phrase = podPhrase(pod);
    const was = previous.get(pod.name);
    if (was === undefined || podPhrase(was) !== phrase) changed.set(phrase, [...(changed.get(phrase) ?? []), pod.name]);
  }
  for (const [phrase, pods] of changed) {
    lines.push(`${pods.length === 1 ? "pod" : "pods"} ${names(pods)}: ${phrase}`);
  }
  for (const pod of now.pods) {
    const was = previous.get(pod.name);
    for (const c of pod.containers) {
      const restartsBefore = was?.containers.find((x) => x.name === c.name)?.restarts ?? 0;
      if (c.restarts <= restartsBefore) continue;
      const last = c.last;
      const how = last
        ? `; it ended with exit code ${last.exitCode ?? "?"}${last.reason !== undefined ? ` (${last.reason})` : ""}`
        : "";
      lines.push(`pod ${pod.name}: container ${c.name} restarted (${c.restarts} in all)${how}`);
    }
  }
  const shown = before?.progress;
  const p = now.progress;
  if (p !== undefined && (shown === undefined || p.percent !== shown.percent)) {
    lines.push(`${what}: ${progressLine(p)}`);
  }
  return lines;
}

/**
 * What a run was still waiting for when its wait ended, from its pods: none created, never
 * scheduled (with the scheduler's message), or each pod's state.
 */
export function waitingFor(pods: readonly PodView[]): string {
  const live = pods.filter((p) => !p.deleting);
  if (live.length === 0) return "no pod of it was created";
  const unscheduled = live.filter((p) => p.unschedulable !== undefined);
  if (unscheduled.length === live.length) {
    return `${live.length === 1 ? "its pod was" : "its pods were"} never scheduled: ${unscheduled[0].unschedulable}`;
  }
  const byPhrase = new Map<string, string[]>();
  for (const pod of live) byPhrase.set(podPhrase(pod), [...(byPhrase.get(podPhrase(pod)) ?? []), pod.name]);
  return [...byPhrase]
    .map(([phrase, list]) => `${list.length === 1 ? "pod" : "pods"} ${names(list)}: ${phrase}`)
    .join("; ");
}
