// The training pod as every operator generation runs it: the trainer's argv (never a shell
// string), its environment, GPUs and memory, a memory-backed /dev/shm and the job's volumes.
// Each generation's builder (builders/v1, builders/v2) places these pieces in its own API.
import type * as pulumi from "@pulumi/pulumi";
import {
  CHECKPOINT_DIR,
  CHECKPOINT_ENV,
  HF_TOKEN_SECRET,
  MOUNT_PATHS,
  processedDataDir,
  RUN_ANNOTATIONS,
  standardLabels,
  WAIT_ANNOTATION,
} from "../names";
import type { Job } from "../schema/job";
import { KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL } from "../schema/queue";
import type { InstructLabTrainer, Trainer } from "../schema/trainer";
import { runAnnotations, volumeClaim, volumeMountOf } from "./dataJobs";
import type { EnvVar, NamespacedMetadata, PodVolume, VolumeMount } from "./k8sTypes";

/** What a training job's builder needs besides the job itself. */
export interface TrainingPodInputs {
  /** The job name: the name of the PyTorchJob or TrainJob. */
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly job: Job;
  /** Whether the stack has a Hugging Face token Secret to expose as `HF_TOKEN`. */
  readonly hfToken: boolean;
  /**
   * Whether the stack has registry credentials for the pods' images.
   * @default false
   */
  readonly imagePullSecrets?: boolean;
  /**
   * Whether the program waits for the job itself (see builders/plan.ts `programWaits`), so the
   * provider must not.
   * @default false: the provider waits as `wait` says
   */
  readonly programWaits?: boolean;
}

/** Where the InstructLab trainer reads its (processed) training data. */
export function instructlabDataPath(name: string, trainer: InstructLabTrainer): string {
  return trainer.processData
    ? `${MOUNT_PATHS.dataset}/${processedDataDir(name)}/data.jsonl`
    : `${MOUNT_PATHS.dataset}/${trainer.dataFile}`;
}

/** The argv of the InstructLab training library's distributed entry point, launched by torchrun. */
export function instructlabArgv(name: string, trainer: InstructLabTrainer): string[] {
  // torchrun takes --nnodes, --nproc_per_node, --node_rank and the rendezvous endpoint from the
  // PET_* variables the training operator sets, so none of them is repeated here.
  const argv = [
    "torchrun",
    "--module",
    "instructlab.training.main_ds",
    `--model_name_or_path=${MOUNT_PATHS.model}`,
    `--data_path=${instructlabDataPath(name, trainer)}`,
    `--output_dir=${CHECKPOINT_DIR}`,
    `--num_epochs=${trainer.epochs}`,
    `--effective_batch_size=${trainer.effectiveBatchSize}`,
    `--learning_rate=${trainer.learningRate}`,
    `--num_warmup_steps=${trainer.warmupSteps}`,
    `--save_samples=${trainer.saveSamples}`,
    `--max_batch_len=${trainer.maxBatchLen}`,
    `--seed=${trainer.seed}`,
    `--distributed_training_framework=${trainer.distributedBackend}`,
    "--log_level=INFO",
  ];
  if (trainer.checkpointAtEpoch) argv.push("--checkpoint_at_epoch");
  if (trainer.onDemandCheckpointing) argv.push("--on_demand_checkpointing");
  if (trainer.isGranite) argv.push("--is_granite");
  if (trainer.lora) {
    argv.push(
      `--lora_r=${trainer.lora.rank}`,
      `--lora_alpha=${trainer.lora.alpha}`,
      `--lora_dropout=${trainer.lora.dropout}`,
    );
    if (trainer.lora.targetModules) argv.push("--lora_target_modules", ...trainer.lora.targetModules);
  }
  argv.push(...trainer.extraArgs);
  return argv;
}

/** The argv the training container runs: each element one argument, no shell in between. */
export function trainerArgv(name: string, trainer: Trainer): string[] {
  switch (trainer.type) {
    case "instructlab":
      return instructlabArgv(name, trainer);
    case "command":
      return [...trainer.command];
  }
}

/** The grace period InstructLab's on-demand checkpointing asks for (instructlab/training's docs). */
export const ON_DEMAND_GRACE_SECONDS = 300;

/**
 * The seconds a training pod has between SIGTERM and SIGKILL: the job's own, else
 * `ON_DEMAND_GRACE_SECONDS` when its InstructLab trainer checkpoints on demand, else unset
 * (Kubernetes' 30), as before the key existed.
 */
export function terminationGraceSeconds(job: Job): number | undefined {
  if (job.terminationGracePeriodSeconds !== undefined) return job.terminationGracePeriodSeconds;
  return job.trainer.type === "instructlab" && job.trainer.onDemandCheckpointing ? ON_DEMAND_GRACE_SECONDS : undefined;
}

/** The pod's volumes (memory-backed /dev/shm, model, dataset, output) and the container's mounts. */
export function trainingVolumes(name: string, job: Job): { volumes: PodVolume[]; mounts: VolumeMount[] } {
  const volumes: PodVolume[] = [
    {
      name: "dshm",
      emptyDir: { medium: "Memory", ...(job.shmSize !== undefined ? { sizeLimit: job.shmSize } : {}) },
    },
  ];
  const mounts: VolumeMount[] = [{ name: "dshm", mountPath: MOUNT_PATHS.shm }];
  for (const role of ["model", "dataset"] as const) {
    const volume = job[role];
    if (volume === undefined) continue;
    volumes.push({ name: role, persistentVolumeClaim: { claimName: volumeClaim(name, role, volume), readOnly: true } });
    mounts.push(volumeMountOf(role, volume, true));
  }
  volumes.push({ name: "output", persistentVolumeClaim: { claimName: volumeClaim(name, "output", job.output) } });
  mounts.push({ name: "output", mountPath: MOUNT_PATHS.output });
  return { volumes, mounts };
}

/** The trainer's environment: the job's own, the checkpoint directory, the token by reference. */
export function trainingEnv(job: Job, hfToken: boolean): EnvVar[] {
  const env: EnvVar[] = Object.entries(job.env).map(([envName, value]) => ({ name: envName, value }));
  env.push({ name: CHECKPOINT_ENV, value: CHECKPOINT_DIR });
  if (hfToken) {
    env.push({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: HF_TOKEN_SECRET.name, key: HF_TOKEN_SECRET.key } },
    });
  }
  return env;
}

/** Resources per node: the GPUs as a limit, CPU requested, memory requested and limited. */
export function trainingResources(job: Job): { requests?: Record<string, string>; limits: Record<string, string> } {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = { [job.gpuResource]: String(job.gpusPerNode) };
  if (job.resources.cpu !== undefined) requests.cpu = job.resources.cpu;
  if (job.resources.memory !== undefined) {
    requests.memory = job.resources.memory;
    limits.memory = job.resources.memory;
  }
  return { ...(Object.keys(requests).length > 0 ? { requests } : {}), limits };
}

/**
 * The metadata of a training job object: the user's labels and annotations under the program's
 * own, and the wait annotations (which live in metadata, so a change of `wait` is an update): the
 * provider's, and the program's own `finetune/wait` when it waits itself.
 */
export function trainingJobMetadata(
  inputs: TrainingPodInputs,
  waitAnnotations: Record<string, string>,
): NamespacedMetadata & { readonly annotations: Record<string, string> } {
  const { name, namespace, job } = inputs;
  return {
    name,
    namespace,
    labels: {
      ...job.labels,
      ...standardLabels("training", name),
      ...(job.queue !== undefined ? { [KUEUE_QUEUE_LABEL]: job.queue } : {}),
      ...(job.workloadPriorityClass !== undefined ? { [KUEUE_PRIORITY_LABEL]: job.workloadPriorityClass } : {}),
    },
    annotations: {
      ...job.annotations,
      ...waitAnnotations,
      ...(inputs.programWaits === true ? { [WAIT_ANNOTATION]: job.wait } : {}),
    },
  };
}

/**
 * The annotations of the training pods that make the run's inputs part of its spec: sources,
 * `rerun`, and the Kueue queue (Kueue reads the queue label only when the job is created, so a
 * queue change is a new run).
 */
export function trainingRunAnnotations(job: Job): Record<string, string> {
  return {
    ...runAnnotations(job),
    ...(job.queue !== undefined ? { [RUN_ANNOTATIONS.queue]: job.queue } : {}),
  };
}
