// What Kubeflow Trainer v2.3 reads of the stack config, and what a TrainJob
// (trainer.kubeflow.org/v1alpha1) cannot express or does not accept: keys it does not read are
// refused on their key before defaults, and validated jobs are held to the TrainJob CRD's limits
// and JobSet's pod names.
import { isPlainObject } from "../../schema/base";
import { keyPath } from "../../schema/errors";
import type { Job, RuntimeRef } from "../../schema/job";
import type { KeyProblem, RawOperatorKeys } from "../backend";
import { trainerArgv } from "../trainingPod";

/** The runtime a TrainJob runs on when the job names none. */
export const DEFAULT_RUNTIME = "torch-distributed";

/** Run policy keys a TrainJob has a field for. */
const V2_RUN_POLICY = new Set(["activeDeadlineSeconds"]);

/** Scheduling keys the TrainJob's runtimePatches cannot patch. */
const V2_UNPATCHABLE_SCHEDULING = ["priorityClassName", "schedulerName", "gang", "queue"];

/** Limits of the TrainJob CRD (v2.3.0) on what the program writes into `spec.trainer`. */
export const TRAINJOB_LIMITS = { args: 128, env: 128, image: 500 } as const;

/**
 * The longest job name whose TrainJob's pods get valid names: JobSet names the trainer's pods
 * `<name>-node-0-<node>-<5 characters>`, and the JobSet webhook refuses names past 63 characters.
 */
export function maxTrainJobNameLength(nodes: number): number {
  return 63 - `-node-0-${nodes - 1}-abcde`.length;
}

/** Problems with `trainingOperator` keys a Trainer v2 stack does not accept. */
export function v2OperatorKeyProblems(op: RawOperatorKeys): KeyProblem[] {
  const problems: KeyProblem[] = [];
  if (op.workerPodSecurity !== undefined) {
    problems.push({
      path: ["workerPodSecurity"],
      message: "applies to the training operator v1 only: Trainer v2 adds no init container to the trainer's pods",
    });
  }
  if (op.install === false && op.trainJobStatus === true) {
    problems.push({
      path: ["trainJobStatus"],
      message:
        "applies only when this stack installs Trainer v2 (install: true): the feature gate is a flag of the manager it installs; on a cluster whose Trainer another stack installs, set it there",
    });
  }
  return problems;
}

/** Problems with a job's keys, as written (before defaults), that a TrainJob has no field for. */
export function v2UnreadJobKeys(name: string, job: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const runPolicy = isPlainObject(job.runPolicy) ? job.runPolicy : {};
  for (const key of Object.keys(runPolicy).filter((k) => !V2_RUN_POLICY.has(k))) {
    problems.push(
      `${keyPath(["jobs", name, "runPolicy", key])}: has no TrainJob field in Kubeflow Trainer v2.3 (retries, cleanup and TTL are the runtime's: its JobSet failurePolicy and ttlSecondsAfterFinished); remove it, or set it in a runtime of your own`,
    );
  }
  const scheduling = isPlainObject(job.scheduling) ? job.scheduling : {};
  for (const key of V2_UNPATCHABLE_SCHEDULING.filter((k) => scheduling[k] !== undefined)) {
    problems.push(
      `${keyPath(["jobs", name, "scheduling", key])}: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its runtimePatches patch nodeSelector, affinity and tolerations only); set it in the runtime (podGroupPolicy for gang scheduling)`,
    );
  }
  if (job.terminationGracePeriodSeconds !== undefined) {
    problems.push(
      `${keyPath(["jobs", name, "terminationGracePeriodSeconds"])}: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its podTemplateOverrides have no such field); set terminationGracePeriodSeconds in the pod template of the runtime the job names`,
    );
  }
  return problems;
}

/** The runtime of a validated job: the one it names, else the default ClusterTrainingRuntime. */
export function v2JobDefaults(keys: { readonly runtime?: string; readonly runtimeKind?: RuntimeRef["kind"] }): {
  readonly runtime: RuntimeRef;
} {
  return { runtime: { name: keys.runtime ?? DEFAULT_RUNTIME, kind: keys.runtimeKind ?? "ClusterTrainingRuntime" } };
}

/** Problems of validated v2 jobs with the TrainJob CRD's limits. */
export function trainJobProblems(jobs: Readonly<Record<string, Job>>, hasHfToken: boolean): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(jobs)) {
    if (job.image.length > TRAINJOB_LIMITS.image) {
      problems.push(
        `${keyPath(["jobs", name, "image"])}: is ${job.image.length} characters; a TrainJob takes images of at most ${TRAINJOB_LIMITS.image}`,
      );
    }
    const argv = trainerArgv(name, job.trainer);
    if (argv.length > TRAINJOB_LIMITS.args) {
      const key = job.trainer.type === "command" ? "command" : "extraArgs";
      const what =
        job.trainer.type === "command"
          ? `has ${argv.length} arguments`
          : `makes the trainer's argv ${argv.length} arguments long with the InstructLab ones`;
      problems.push(
        `${keyPath(["jobs", name, "trainer", key])}: ${what}; a TrainJob takes at most ${TRAINJOB_LIMITS.args}`,
      );
    }
    const own = hasHfToken ? 2 : 1;
    const env = Object.keys(job.env).length;
    if (env + own > TRAINJOB_LIMITS.env) {
      problems.push(
        `${keyPath(["jobs", name, "env"])}: has ${env} entries; a TrainJob takes at most ${TRAINJOB_LIMITS.env} environment variables, and the program adds CHECKPOINT_DIR (and HF_TOKEN with a token): at most ${TRAINJOB_LIMITS.env - own}`,
      );
    }
  }
  return problems;
}

/**
 * A job name too long for the pods JobSet names after it, or for the program's objects named
 * `<job><suffix>` (never the tighter bound: JobSet's suffix is the longer).
 */
export function v2JobNameProblem(name: string, nodes: number, suffixes: readonly string[]): string | undefined {
  const max = maxTrainJobNameLength(nodes);
  if (name.length > max) {
    return `job name is ${name.length} characters; at most ${max} fit, since JobSet names the trainer's pods "<name>-node-0-<node>-<5 characters>" within 63 characters`;
  }
  const own = 63 - Math.max(0, ...suffixes.map((s) => s.length));
  if (name.length <= own) return undefined;
  return `job name is ${name.length} characters; at most ${own} fit, since ${suffixes.map((s) => `"<name>${s}"`).join(", ")} must stay within 63 characters`;
}
