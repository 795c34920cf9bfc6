// The rules that depend on the operator generation the stack targets (trainingOperator.version):
// keys that only Kubeflow Trainer v2 reads, and what a TrainJob (trainer.kubeflow.org/v1alpha1,
// v2.3) cannot express or does not accept. They read the raw config, where a key the user wrote
// is told apart from a default, and report each problem on its key before anything is declared.
import { trainerArgv } from "../builders/trainingPod";
import { isPlainObject } from "./base";
import { keyPath } from "./errors";
import type { Job } from "./job";
import { generationOf, V2_ONLY } from "./operator";

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

/** The generation a raw config targets. */
export function rawGeneration(raw: Readonly<Record<string, unknown>>): 1 | 2 {
  const op = raw.trainingOperator;
  const version = isPlainObject(op) && typeof op.version === "string" ? op.version : "";
  return generationOf(version);
}

/** Problems with keys the generation does not read, in the raw config (before defaults). */
export function generationProblems(raw: Readonly<Record<string, unknown>>): string[] {
  const generation = rawGeneration(raw);
  const problems: string[] = [];
  const jobs = isPlainObject(raw.jobs) ? raw.jobs : {};
  for (const [name, job] of Object.entries(jobs)) {
    if (!isPlainObject(job)) continue;
    if (generation === 1) {
      for (const key of ["runtime", "runtimeKind"]) {
        if (job[key] !== undefined) problems.push(`${keyPath(["jobs", name, key])}: ${V2_ONLY}`);
      }
      continue;
    }
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
  }
  return problems;
}

/** Problems of validated v2 jobs with the TrainJob CRD's limits and JobSet's names. */
export function trainJobProblems(jobs: Readonly<Record<string, Job>>, hasHfToken: boolean): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(jobs)) {
    const max = maxTrainJobNameLength(job.nodes);
    if (name.length > max) {
      problems.push(
        `${keyPath(["jobs", name])}: job name is ${name.length} characters; at most ${max} fit, since JobSet names the trainer's pods "<name>-node-0-<node>-<5 characters>" within 63 characters`,
      );
    }
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
