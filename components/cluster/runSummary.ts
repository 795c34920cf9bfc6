// A run's account, from what the program read while it waited: when its pods started, when it
// ended, how long it took, how often its containers restarted, and the GPU-hours it held. Pure:
// watchRun.ts gives the pods it saw and the time of its last look.
import type { RunStatus } from "../builders/run";
import type { PodView } from "./pods";

/** A run's account, as the stack outputs give it. */
export interface RunSummary {
  /** When the kubelet took the run's first pod (the earliest pod start seen). */
  readonly startedAt?: string;
  /** When the run succeeded or failed (its deciding condition's time). */
  readonly finishedAt?: string;
  /** From `startedAt` to `finishedAt`, or to the last look of a run not finished, in seconds. */
  readonly durationSeconds?: number;
  /** Container restarts counted over the run's pods the program saw. */
  readonly restarts: number;
  /** The GPUs the job requests times `durationSeconds`, in hours, to two decimals. */
  readonly gpuHours?: number;
}

/** What the account is made from. */
export interface RunSummaryInput {
  readonly run: RunStatus;
  /** Every pod of the run the program saw, each as last seen. */
  readonly pods: readonly PodView[];
  /** The GPUs the job requests: per node times nodes. */
  readonly gpus: number;
  /** When the program last looked, in milliseconds. */
  readonly lookedAt: number;
}

function parse(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The account of a run. */
export function summarizeRun(input: RunSummaryInput): RunSummary {
  let first: { ms: number; at: string } | undefined;
  for (const { startedAt } of input.pods) {
    const ms = parse(startedAt);
    if (ms !== undefined && startedAt !== undefined && (first === undefined || ms < first.ms)) {
      first = { ms, at: startedAt };
    }
  }
  const ended = input.run.state === "succeeded" || input.run.state === "failed";
  const finishedAt = ended ? input.run.since : undefined;
  const restarts = input.pods.reduce((n, p) => n + p.containers.reduce((m, c) => m + c.restarts, 0), 0);
  if (first === undefined) return { ...(finishedAt !== undefined ? { finishedAt } : {}), restarts };
  const end = ended ? parse(finishedAt) : input.lookedAt;
  const durationSeconds = end !== undefined ? Math.max(0, Math.round((end - first.ms) / 1000)) : undefined;
  return {
    startedAt: first.at,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    restarts,
    ...(durationSeconds !== undefined ? { gpuHours: Math.round((input.gpus * durationSeconds) / 36) / 100 } : {}),
  };
}
