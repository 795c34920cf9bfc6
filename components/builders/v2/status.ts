// Reading a TrainJob's status (Kubeflow Trainer v2.3): its conditions are only Complete, Failed
// and Suspended, so whether the trainer runs is read from `status.jobsStatus`, where the
// replicated job of the trainer (`node`) counts its ready child Jobs (JobSet: a Job is ready when
// all its pods are ready or done). The annotations make the Kubernetes provider wait as asked,
// with the same meaning as for a PyTorchJob.
import type { WaitMode } from "../../schema/job";
import {
  type JobCondition,
  type ProviderWaitMode,
  providerWait,
  type RunStatus,
  stateFromConditions,
  type TrainerProgress,
} from "../run";
import { TRAINER_NODE } from "./names";

/** One replicated job's counts in a TrainJob's status. */
export interface JobsStatus {
  readonly name: string;
  readonly ready?: number;
  readonly active?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  readonly suspended?: number;
}

/** Where a TrainJob stands: a terminal or Suspended condition, else the trainer job's counts. */
export function readTrainJobStatus(
  status: { readonly conditions?: readonly JobCondition[]; readonly jobsStatus?: readonly JobsStatus[] } | undefined,
): RunStatus {
  const decided = stateFromConditions(status?.conditions, [
    ["Failed", "failed"],
    ["Complete", "succeeded"],
    ["Suspended", "suspended"],
  ]);
  if (decided) return decided;
  const trainer = (status?.jobsStatus ?? []).find((j) => j.name === TRAINER_NODE);
  if ((trainer?.ready ?? 0) > 0 || (trainer?.succeeded ?? 0) > 0) return { state: "running" };
  if ((trainer?.active ?? 0) > 0) return { state: "created", message: "the trainer's pods are not all ready" };
  return { state: "pending" };
}

const TERMINAL = `$.status.conditions[?@.status=="True" && (@.type=="Complete" || @.type=="Failed")]`;
const TRAINER_RUNS = `$.status.jobsStatus[?@.name=="${TRAINER_NODE}" && (@.ready > 0 || @.succeeded > 0)]`;

/**
 * The `pulumi.com/waitFor` expression for a wait mode. `succeeded` waits for Complete or Failed;
 * `running` also for the trainer's Job being ready: a filter on `status` whose test reads both
 * places (RFC 9535, as the provider parses it), since no one condition says "running". Failed
 * always ends the wait, so a failed run fails the deploy at once with its reason.
 */
export function waitForExpression(mode: ProviderWaitMode): string {
  if (mode === "succeeded") {
    return `jsonpath={.status.conditions[?@.status=="True" && (@.type=="Complete" || @.type=="Failed")].type}`;
  }
  return `jsonpath={.status[?${TERMINAL} || ${TRAINER_RUNS}]}`;
}

/** The annotations that make the Kubernetes provider wait as asked. */
export function waitAnnotations(mode: WaitMode): Record<string, string> {
  return providerWait(mode, waitForExpression);
}

/**
 * The trainer's own report in `status.trainerStatus` (a trainer posts it, e.g. Transformers'
 * KubeflowCallback, when the gate and the status server are on); undefined when there is none.
 */
export function readTrainerProgress(
  status: { readonly trainerStatus?: unknown } | undefined,
): TrainerProgress | undefined {
  const t = status?.trainerStatus;
  if (typeof t !== "object" || t === null) return undefined;
  const { progressPercentage, estimatedRemainingSeconds, metrics, lastUpdatedTime } = t as Record<string, unknown>;
  const number = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
  const percent = number(progressPercentage);
  const eta = number(estimatedRemainingSeconds);
  return {
    ...(percent !== undefined ? { percent: Math.min(100, percent) } : {}),
    ...(eta !== undefined ? { etaSeconds: eta } : {}),
    metrics: (Array.isArray(metrics) ? metrics : []).flatMap((m) =>
      typeof m?.name === "string" && typeof m?.value === "string" ? [{ name: m.name, value: m.value }] : [],
    ),
    ...(typeof lastUpdatedTime === "string" ? { updated: lastUpdatedTime } : {}),
  };
}
