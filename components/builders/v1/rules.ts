// What the training operator v1 reads of the stack config, and what it does not: the keys only
// Kubeflow Trainer v2 reads are refused on a v1 stack, each on its key, before anything is declared;
// the Pod Security level its Worker pods meet follows what the stack says of its operator.
import { keyPath } from "../../schema/errors";
import type { KeyProblem, PodSecurityLevel, RawOperatorKeys } from "../backend";

/** The message of a key that only Trainer v2 reads. */
export const V2_ONLY = "applies to Kubeflow Trainer v2 only (trainingOperator.version v2.3.x)";

/** Job keys only Trainer v2 reads. */
const V2_JOB_KEYS = ["runtime", "runtimeKind"];

/** Problems with `trainingOperator` keys a v1 stack does not accept. */
export function v1OperatorKeyProblems(op: RawOperatorKeys): KeyProblem[] {
  const problems: KeyProblem[] = [];
  if (op.install !== false && op.workerPodSecurity === "baseline") {
    problems.push({
      path: ["workerPodSecurity"],
      message: "applies only with install: false (the operator this stack installs runs a restricted init container)",
    });
  }
  if (op.runtimesSource !== undefined) problems.push({ path: ["runtimesSource"], message: V2_ONLY });
  return problems;
}

/**
 * The level the operator's Worker init container meets: restricted when the stack installs the
 * operator (it configures the container), else what the stack says of the cluster's, baseline unsaid.
 */
export function v1WorkerPodSecurity(op: {
  readonly install: boolean;
  readonly workerPodSecurity?: PodSecurityLevel;
}): PodSecurityLevel {
  return op.workerPodSecurity ?? (op.install ? "restricted" : "baseline");
}

/** Problems with a job's keys, as written, that the training operator v1 does not read. */
export function v1UnreadJobKeys(name: string, job: Readonly<Record<string, unknown>>): string[] {
  return V2_JOB_KEYS.filter((key) => job[key] !== undefined).map(
    (key) => `${keyPath(["jobs", name, key])}: ${V2_ONLY}`,
  );
}
