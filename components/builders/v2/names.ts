// Names Kubeflow Trainer v2 and this program agree on for a TrainJob.

/** The API group of Trainer v2. */
export const TRAINER_API_GROUP = "trainer.kubeflow.org";

import { TRAINER_JOB } from "../../schema/runtimes";

/**
 * The replicated job and container that run the trainer in Trainer v2's runtimes (`node` in every
 * built-in one): the runtime patch targets them, and the logs and the wait follow them.
 */
export const TRAINER_NODE = TRAINER_JOB.name;

/** The manager of the program's runtimePatches entry: a domain-prefixed path, as the webhook requires. */
export const RUNTIME_PATCH_MANAGER = "finetune.dev/program";
