// Reading a PyTorchJob's status: a pure function from its conditions (Created, Running,
// Restarting, Succeeded, Failed, Suspended) to where the run stands, and the decision whether
// `pulumi up` should succeed given what the user asked to wait for.
import type { WaitMode } from "../config";

/** A status condition as the training operator writes it. */
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
}

const PRECEDENCE: readonly [string, RunState][] = [
  ["Failed", "failed"],
  ["Succeeded", "succeeded"],
  ["Suspended", "suspended"],
  ["Restarting", "restarting"],
  ["Running", "running"],
  ["Created", "created"],
];

/**
 * The state of a run from its conditions. A terminal condition wins over the others (the
 * operator leaves Running in place, set to False, when a job ends); with none true, the run is
 * pending.
 */
export function readRunStatus(conditions: readonly JobCondition[] | undefined): RunStatus {
  for (const [type, state] of PRECEDENCE) {
    const c = (conditions ?? []).find((x) => x.type === type && x.status === "True");
    if (c) {
      return {
        state,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        ...(c.message !== undefined ? { message: c.message } : {}),
      };
    }
  }
  return { state: "pending" };
}

/**
 * The `pulumi.com/waitFor` expression for a wait mode: the provider returns once one of the
 * listed conditions is True. Failed is always listed, so a failed run ends the wait at once and
 * `runVerdict` fails the deploy with its reason instead of waiting for the timeout.
 */
export function waitForExpression(mode: Exclude<WaitMode, "none">): string {
  const types = mode === "running" ? ["Running", "Succeeded", "Failed"] : ["Succeeded", "Failed"];
  return `jsonpath={.status.conditions[?@.status=="True" && (${types.map((t) => `@.type=="${t}"`).join(" || ")})].type}`;
}

/** The annotations that make the Kubernetes provider wait as asked. */
export function waitAnnotations(mode: WaitMode): Record<string, string> {
  if (mode === "none") return { "pulumi.com/skipAwait": "true" };
  return { "pulumi.com/waitFor": waitForExpression(mode) };
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
 * Decides, from the conditions seen when the wait ended, whether the deploy of the PyTorchJob
 * `job` (its `namespace/name`) succeeded: a failed run always fails it; `succeeded` also fails on
 * anything but success, `running` on a run that is neither running nor done.
 */
export function runVerdict(job: string, mode: WaitMode, conditions: readonly JobCondition[] | undefined): Verdict {
  const status = readRunStatus(conditions);
  if (mode === "none") return { ok: true, status };
  if (status.state === "failed") {
    const detail = [status.reason, status.message].filter(Boolean).join(": ");
    return { ok: false, status, error: `PyTorchJob ${job} failed${detail ? ` (${detail})` : ""}` };
  }
  if (mode === "succeeded" && status.state !== "succeeded") {
    return { ok: false, status, error: `PyTorchJob ${job} did not succeed: it is ${describe(status)}` };
  }
  if (mode === "running" && status.state !== "running" && status.state !== "succeeded") {
    return { ok: false, status, error: `PyTorchJob ${job} is not running: it is ${describe(status)}` };
  }
  return { ok: true, status };
}

/**
 * What the user reads when a run fails the deploy: the verdict under the job's config key, and
 * what to do next. A failed run stays failed (its PyTorchJob is unchanged, so nothing reruns it):
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
