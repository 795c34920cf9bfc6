// The judgement of a run when `pulumi up` stops waiting for it: from what the provider's wait or
// the program's own watch (watchRun.ts) last saw, whether the deploy passes, passes with a warning
// (a preview of a failed run), or fails with the message the user reads.
import type { Backend, TrainingJobStatus } from "../builders/backend";
import { runVerdict, verdictMessage } from "../builders/run";
import type { WaitMode } from "../schema/job";
import type { Stall } from "./pods";
import type { WatchResult } from "./watchRun";

/** Whether the deploy passes, and what to say when it does not. */
export type Judgement =
  | { readonly kind: "pass" }
  | { readonly kind: "warn"; readonly message: string }
  | { readonly kind: "fail"; readonly message: string };

/** What a run is judged from. */
export interface JudgeInputs {
  readonly backend: Backend;
  /** The job's config key, which messages name (`finetune:jobs.granite`). */
  readonly key: string;
  /** The job's `namespace/name`. */
  readonly job: string;
  readonly wait: WaitMode;
  /** Whether the run is judged at all (off when nothing is awaited: `cluster.skipAwait`). */
  readonly judge: boolean;
  /** Whether the program watched the job itself (every awaited run: watchRun.ts). */
  readonly programWaits: boolean;
  /** What the program's watch saw; none in a preview, or when the provider waited. */
  readonly seen: WatchResult | undefined;
  /** The job's status as the provider's wait left it; none when nothing was observed. */
  readonly status: TrainingJobStatus | undefined;
  /** Whether this is a preview. */
  readonly preview: boolean;
  /** Whether the program runs for `pulumi destroy --run-program` (cluster/command.ts). */
  readonly destroy?: boolean;
}

/**
 * What the user reads when the program's wait ends without reaching what `wait` asks and the run
 * neither failed nor stalled (a failed run reads as any other: `verdictMessage`).
 */
export function queuedRunMessage(key: string, seen: WatchResult): string {
  if (seen.forever && seen.queue.state === "inadmissible") {
    return (
      `${key}: ${seen.error}. Kueue keeps it queued until the job or the queues change: lower its ` +
      "resources or nodes, or move it to another queue (a new run), or have the ClusterQueue's quota raised; then run pulumi up again."
    );
  }
  return `${key}: ${seen.error}. The job is left as it is: the next pulumi up waits for it again.`;
}

/** Image pull reasons: the image's name, tag, digest or registry access is wrong. */
const PULL_REASONS = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);

/** What the user reads when a container is held where no waiting helps (watchRun.ts). */
export function stallMessage(key: string, seen: WatchResult & { readonly stall: Stall }): string {
  const fix = PULL_REASONS.has(seen.stall.reason)
    ? `check the image's name, tag or digest (${key}.image, or the runtime's for its other steps) and, for a private registry, finetune:imagePullSecrets`
    : "the container refers to something that is not there (its message says what): create it, or change what names it";
  return (
    `${key}: ${seen.error}. Waiting will not fix it: ${fix}; then set ${key}.rerun to a new value (or change ` +
    "anything else that defines the run) and run pulumi up again."
  );
}

/** A message with the evidence the watch gathered below it. */
function withEvidence(message: string, seen: WatchResult): string {
  return seen.evidence !== undefined && seen.evidence.length > 0 ? `${message}\n${seen.evidence.join("\n")}` : message;
}

/** Judges a run from what was last seen of it. */
export function judgeRun(inputs: JudgeInputs): Judgement {
  const { backend, key, seen } = inputs;
  // A destroy deletes the run: how it stands (failed, queued forever) is no reason to refuse that.
  if (inputs.destroy === true) return { kind: "pass" };
  if (inputs.programWaits) {
    // Judged by the watch (a preview's is one look, which warns instead).
    if (seen?.error === undefined) return { kind: "pass" };
    const run = backend.readStatus(seen.status);
    const message =
      run.state === "failed"
        ? verdictMessage(key, { ok: false, status: run, error: seen.error }, inputs.preview)
        : seen.stall !== undefined
          ? stallMessage(key, { ...seen, stall: seen.stall })
          : queuedRunMessage(key, seen);
    return inputs.preview ? { kind: "warn", message } : { kind: "fail", message: withEvidence(message, seen) };
  }
  // No status: nothing was observed (a preview of a new run, or `wait: none`), so nothing to judge.
  if (inputs.status === undefined || !inputs.judge) return { kind: "pass" };
  const verdict = runVerdict(backend.kind, inputs.job, inputs.wait, backend.readStatus(inputs.status));
  if (verdict.ok) return { kind: "pass" };
  const message = verdictMessage(key, verdict, inputs.preview);
  return inputs.preview ? { kind: "warn", message } : { kind: "fail", message };
}
