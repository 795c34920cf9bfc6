// Reading a PyTorchJob's status (kubeflow.org/v1): its conditions (Created, Running, Restarting,
// Succeeded, Failed, Suspended) to where the run stands, and the annotations that make the
// Kubernetes provider wait for what the user asked.
import type { WaitMode } from "../../schema/job";
import {
  type JobCondition,
  type ProviderWaitMode,
  providerWait,
  type RunState,
  type RunStatus,
  stateFromConditions,
} from "../run";

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
  return stateFromConditions(conditions, PRECEDENCE) ?? { state: "pending" };
}

/**
 * The `pulumi.com/waitFor` expression for a wait mode: the provider returns once one of the
 * listed conditions is True. Failed is always listed, so a failed run ends the wait at once and
 * `runVerdict` fails the deploy with its reason instead of waiting for the timeout.
 */
export function waitForExpression(mode: ProviderWaitMode): string {
  const types = mode === "running" ? ["Running", "Succeeded", "Failed"] : ["Succeeded", "Failed"];
  return `jsonpath={.status.conditions[?@.status=="True" && (${types.map((t) => `@.type=="${t}"`).join(" || ")})].type}`;
}

/** The annotations that make the Kubernetes provider wait as asked. */
export function waitAnnotations(mode: WaitMode): Record<string, string> {
  return providerWait(mode, waitForExpression);
}
