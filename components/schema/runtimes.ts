// Kubeflow Trainer v2.3's built-in ClusterTrainingRuntimes (manifests/overlays/runtimes at v2.3.0):
// which replicated jobs each runs, so that the program patches every pod a TrainJob on it causes
// (Trainer's webhook refuses a patch naming a replicated job or container the runtime lacks).
// @see ../shared/kubeflow/trainer-v2.3.0-runtimes.yaml
import { keyPath } from "./errors";
import type { RuntimeRef } from "./job";

/** A replicated job of a runtime, as the program patches it. */
export interface RuntimeJob {
  /** The replicated job's name. */
  readonly name: string;
  /** Its container the patch reaches. */
  readonly container: string;
  /**
   * Whether its pods run the training (and so get the job's volumes, /dev/shm and placement), or
   * only fetch (initializers: the pods' identity and security contexts only).
   */
  readonly trains: boolean;
}

/** The trainer's replicated job and container, `node` in every built-in runtime. */
export const TRAINER_JOB: RuntimeJob = { name: "node", container: "node", trains: true };

/** MPI runtimes run the launcher as a node (`runLauncherAsNode`): it trains too, in a container named node. */
const MPI = [TRAINER_JOB, { name: "launcher", container: "node", trains: true }];

/** torchtune runtimes fetch the dataset and the model in initializer jobs before the nodes start. */
const TORCHTUNE = [
  { name: "dataset-initializer", container: "dataset-initializer", trains: false },
  { name: "model-initializer", container: "model-initializer", trains: false },
  TRAINER_JOB,
];

/** The built-in ClusterTrainingRuntimes of Trainer v2.3.0 and their replicated jobs. */
export const BUILT_IN_RUNTIMES: Readonly<Record<string, readonly RuntimeJob[]>> = {
  "torch-distributed": [TRAINER_JOB],
  "jax-distributed": [TRAINER_JOB],
  "xgboost-distributed": [TRAINER_JOB],
  "deepspeed-distributed": MPI,
  "mlx-distributed": MPI,
  "torchtune-llama3.2-1b": TORCHTUNE,
  "torchtune-llama3.2-3b": TORCHTUNE,
  "torchtune-qwen2.5-1.5b": TORCHTUNE,
};

/**
 * The replicated jobs the program patches on a runtime: all of a built-in one's; the trainer's
 * `node` alone on any other (the program cannot know its jobs).
 */
export function runtimeJobs(runtime: RuntimeRef): readonly RuntimeJob[] {
  return (runtime.kind === "ClusterTrainingRuntime" ? BUILT_IN_RUNTIMES[runtime.name] : undefined) ?? [TRAINER_JOB];
}

/** A warning for a runtime the program does not know: it patches only the trainer's `node` pods. */
export function runtimeWarnings(job: string, runtime: RuntimeRef | undefined): string[] {
  if (runtime === undefined) return [];
  if (runtime.kind === "ClusterTrainingRuntime" && BUILT_IN_RUNTIMES[runtime.name] !== undefined) return [];
  return [
    `${keyPath(["jobs", job, "runtime"])}: ${runtime.kind} ${runtime.name} is not a built-in runtime of Trainer v2.3, so the program patches only its replicated job node: pods of its other replicated jobs get none of the job's identity, security contexts, volumes or placement, and a namespace enforcing restricted admits them only if the runtime meets it itself`,
  ];
}
