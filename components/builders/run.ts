// Where a run stands, whatever operator generation runs it, and whether `pulumi up` should
// succeed given what the user asked to wait for. Each generation reads its own status into a
// `RunStatus` (builders/v1/status.ts, builders/v2/status.ts); the verdict and its message are
// the same for both, so a user switching generations sees the same behaviour.
import type { WaitMode } from "../schema/job";

/** A status condition as the operators write them. */
export interface JobCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

/** Where a run stands. */
export type RunState = "pending" | "created" | "running" | "restarting" | "suspended" | "succeeded" | "failed";

/** A run's state, with the reason and message of the condition that decided it. */
export interface RunStatus {
  readonly state: RunState;
  readonly reason?: string;
  readonly message?: string;
  /** When the condition that decided it became True (its lastTransitionTime). */
  readonly since?: string;
}

/**
 * The state a run's conditions give: the first of `precedence` (condition type, state) whose
 * condition is True, with its reason and message; undefined when none is.
 */
export function stateFromConditions(
  conditions: readonly JobCondition[] | undefined,
  precedence: readonly (readonly [string, RunState])[],
): RunStatus | undefined {
  for (const [type, state] of precedence) {
    const c = (conditions ?? []).find((x) => x.type === type && x.status === "True");
    if (c) {
      return {
        state,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        ...(c.message !== undefined ? { message: c.message } : {}),
        ...(c.lastTransitionTime !== undefined ? { since: c.lastTransitionTime } : {}),
      };
    }
  }
  return undefined;
}

/** What a trainer reports of its progress (the TrainJobStatus feature gate, alpha in v2.3). */
export interface TrainerProgress {
  /** 0 to 100. */
  readonly percent?: number;
  readonly etaSeconds?: number;
  readonly metrics: readonly { readonly name: string; readonly value: string }[];
  /** When the trainer reported it. */
  readonly updated?: string;
}

/** The wait modes the provider waits for. */
export type ProviderWaitMode = Exclude<WaitMode, "none" | "admitted">;

/**
 * The annotations that make the Kubernetes provider wait as asked: `running` and `succeeded` wait
 * for `waitFor(mode)`, the `pulumi.com/waitFor` expression of the job's generation. `none` is not
 * awaited, and neither is `admitted` by the provider: Kueue's admission is read from the Workload
 * by the program (cluster/watchRun.ts), and under `cluster.skipAwait` nothing is awaited at all.
 */
export function providerWait(mode: WaitMode, waitFor: (mode: ProviderWaitMode) => string): Record<string, string> {
  if (mode === "none" || mode === "admitted") return { "pulumi.com/skipAwait": "true" };
  return { "pulumi.com/waitFor": waitFor(mode) };
}

/** Whether `pulumi up` succeeds for a run, and if not, why. */
export type Verdict =
  | { readonly ok: true; readonly status: RunStatus }
  | { readonly ok: false; readonly status: RunStatus; readonly error: string };

function describe(status: RunStatus): string {
  const detail = [status.reason, status.message].filter(Boolean).join(": ");
  return detail ? `${status.state} (${detail})` : status.state;
}

/**
 * Decides, from the status seen when the wait ended, whether the deploy of `job` (a `kind` such
 * as PyTorchJob, named `namespace/name`) succeeded: a failed run always fails it; `succeeded`
 * also fails on anything but success, `running` on a run that is neither running nor done.
 */
export function runVerdict(kind: string, job: string, mode: WaitMode, status: RunStatus): Verdict {
  if (mode === "none") return { ok: true, status };
  if (status.state === "failed") {
    const detail = [status.reason, status.message].filter(Boolean).join(": ");
    return { ok: false, status, error: `${kind} ${job} failed${detail ? ` (${detail})` : ""}` };
  }
  if (mode === "succeeded" && status.state !== "succeeded") {
    return { ok: false, status, error: `${kind} ${job} did not succeed: it is ${describe(status)}` };
  }
  if (mode === "running" && status.state !== "running" && status.state !== "succeeded") {
    return { ok: false, status, error: `${kind} ${job} is not running: it is ${describe(status)}` };
  }
  return { ok: true, status };
}

/**
 * What the user reads when a run fails the deploy: the verdict under the job's config key, and
 * what to do next. A failed run stays failed (its job object is unchanged, so nothing reruns it):
 * every later `pulumi up` fails the same way until the user asks for a new run. In a preview the
 * same message is a warning, so that the plan of a fix still shows.
 */
export function verdictMessage(key: string, verdict: Extract<Verdict, { ok: false }>, preview: boolean): string {
  if (verdict.status.state === "failed") {
    return (
      `${key}: ${verdict.error}. A failed run is not started again by itself: fix its cause, then set ${key}.rerun ` +
      "to a new value (or change anything else that defines the run) and run pulumi up again." +
      (preview ? " Until then, pulumi up fails." : "")
    );
  }
  return `${key}: ${verdict.error}. Run pulumi refresh to read its current status.`;
}
