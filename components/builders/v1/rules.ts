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
  if (op.trainJobStatus !== undefined) problems.push({ path: ["trainJobStatus"], message: V2_ONLY });
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

/**
 * The longest name a job may have: the operator names each replica's Service
 * `<job>-master-0` / `<job>-worker-<i>`, and those must be DNS-1035 labels too; so do the
 * program's objects named `<job><suffix>`.
 */
export function maxJobNameLength(nodes: number, suffixes: readonly string[] = []): number {
  const replica = nodes > 1 ? `-worker-${nodes - 2}` : "-master-0";
  return 63 - Math.max(replica.length, ...suffixes.map((s) => s.length));
}

/** A job name too long for the operator's pod Services or the program's objects named after it. */
export function v1JobNameProblem(name: string, nodes: number, suffixes: readonly string[]): string | undefined {
  const max = maxJobNameLength(nodes, suffixes);
  if (name.length <= max) return undefined;
  const named = [
    `"<name>-${nodes > 1 ? "worker" : "master"}-N" (the operator's pod Services)`,
    ...suffixes.map((s) => `"<name>${s}"`),
  ];
  return `job name is ${name.length} characters; at most ${max} fit, since ${named.join(", ")} must stay within 63 characters`;
}
