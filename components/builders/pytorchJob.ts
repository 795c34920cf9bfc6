// Pure builder of a job's PyTorchJob (kubeflow.org/v1): one Master and `nodes - 1` Workers,
// each a pod with a container named `pytorch` that runs the trainer's argv (never a shell
// string), its GPUs, a memory-backed /dev/shm and the job's volumes.

import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { InstructLabTrainer, Job, RunPolicy, Trainer, Volume } from "../config";
import {
  CHECKPOINT_DIR,
  claimName,
  HF_TOKEN_SECRET,
  MOUNT_PATHS,
  standardLabels,
  TRAINING_CONTAINER,
  type VolumeRole,
} from "../names";

// The SDK's input types, unwrapped: builders return plain values, never Outputs or Promises.
type PodTemplateSpec = pulumi.Unwrap<k8s.types.input.core.v1.PodTemplateSpec>;
type Container = pulumi.Unwrap<k8s.types.input.core.v1.Container>;
type EnvVar = pulumi.Unwrap<k8s.types.input.core.v1.EnvVar>;
type PodVolume = pulumi.Unwrap<k8s.types.input.core.v1.Volume>;
type VolumeMount = pulumi.Unwrap<k8s.types.input.core.v1.VolumeMount>;

/** One replica type of a PyTorchJob. */
export interface ReplicaSpec {
  readonly replicas: number;
  /** @default OnFailure: a crashed pod restarts in place, counted against `backoffLimit`. */
  readonly restartPolicy: "OnFailure" | "Never" | "Always" | "ExitCode";
  readonly template: PodTemplateSpec;
}

/**
 * A PyTorchJob manifest, as the CRD of the v1 training operator types it.
 * @see https://www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/pytorch/
 */
export interface PyTorchJobManifest {
  readonly apiVersion: "kubeflow.org/v1";
  readonly kind: "PyTorchJob";
  readonly metadata: {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
  };
  readonly spec: {
    /** Processes per node; the CRD types it as a string. */
    readonly nprocPerNode: string;
    readonly runPolicy: RunPolicy;
    readonly pytorchReplicaSpecs: { readonly Master: ReplicaSpec; readonly Worker?: ReplicaSpec };
  };
}

/** What the builder needs besides the job itself. */
export interface PyTorchJobInputs {
  /** The job name: the PyTorchJob's name. */
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly job: Job;
  /** Whether the stack has a Hugging Face token Secret to expose as `HF_TOKEN`. */
  readonly hfToken: boolean;
}

/** The argv of the InstructLab training library's distributed entry point, launched by torchrun. */
export function instructlabArgv(trainer: InstructLabTrainer): string[] {
  // torchrun takes --nnodes, --nproc_per_node, --node_rank and the rendezvous endpoint from the
  // PET_* variables the training operator sets, so none of them is repeated here.
  const argv = [
    "torchrun",
    "--module",
    "instructlab.training.main_ds",
    `--model_name_or_path=${MOUNT_PATHS.model}`,
    `--data_path=${MOUNT_PATHS.dataset}/${trainer.dataFile}`,
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
export function trainerArgv(trainer: Trainer): string[] {
  switch (trainer.type) {
    case "instructlab":
      return instructlabArgv(trainer);
    case "command":
      return [...trainer.command];
  }
}

const VOLUME_ROLES: readonly VolumeRole[] = ["model", "dataset", "output"];

function claimOf(job: string, role: VolumeRole, volume: Volume): string {
  return volume.kind === "existing" ? volume.claimName : claimName(job, role);
}

/** The pod template shared by the Master and the Workers. */
export function buildPodTemplate(inputs: PyTorchJobInputs): PodTemplateSpec {
  const { name, job } = inputs;
  const volumes: PodVolume[] = [
    { name: "dshm", emptyDir: { medium: "Memory", ...(job.shmSize !== undefined ? { sizeLimit: job.shmSize } : {}) } },
  ];
  const mounts: VolumeMount[] = [{ name: "dshm", mountPath: MOUNT_PATHS.shm }];
  for (const role of VOLUME_ROLES) {
    const volume = job[role];
    if (volume === undefined) continue;
    const readOnly = role !== "output";
    volumes.push({
      name: role,
      persistentVolumeClaim: { claimName: claimOf(name, role, volume), ...(readOnly ? { readOnly: true } : {}) },
    });
    mounts.push({ name: role, mountPath: MOUNT_PATHS[role], ...(readOnly ? { readOnly: true } : {}) });
  }

  const env: EnvVar[] = Object.entries(job.env).map(([envName, value]) => ({ name: envName, value }));
  if (inputs.hfToken) {
    env.push({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: HF_TOKEN_SECRET.name, key: HF_TOKEN_SECRET.key } },
    });
  }

  const requests: Record<string, string> = {};
  const limits: Record<string, string> = { [job.gpuResource]: String(job.gpusPerNode) };
  if (job.resources.cpu !== undefined) requests.cpu = job.resources.cpu;
  if (job.resources.memory !== undefined) {
    requests.memory = job.resources.memory;
    limits.memory = job.resources.memory;
  }

  const container: Container = {
    name: TRAINING_CONTAINER,
    image: job.image,
    command: trainerArgv(job.trainer),
    ...(env.length > 0 ? { env } : {}),
    resources: { ...(Object.keys(requests).length > 0 ? { requests } : {}), limits },
    volumeMounts: mounts,
  };

  const { nodeSelector, tolerations, affinity, priorityClassName, schedulerName } = job.scheduling;
  return {
    metadata: { labels: standardLabels("training", name) },
    spec: {
      containers: [container],
      volumes,
      ...(nodeSelector !== undefined ? { nodeSelector } : {}),
      ...(tolerations !== undefined ? { tolerations } : {}),
      ...(affinity !== undefined ? { affinity } : {}),
      ...(priorityClassName !== undefined ? { priorityClassName } : {}),
      ...(schedulerName !== undefined ? { schedulerName } : {}),
    },
  };
}

/** The PyTorchJob of one job. */
export function buildPyTorchJob(inputs: PyTorchJobInputs): PyTorchJobManifest {
  const { name, namespace, job } = inputs;
  const template = buildPodTemplate(inputs);
  const replica = (replicas: number): ReplicaSpec => ({ replicas, restartPolicy: "OnFailure", template });
  const runPolicy: RunPolicy = {
    cleanPodPolicy: job.runPolicy.cleanPodPolicy,
    backoffLimit: job.runPolicy.backoffLimit,
    ...(job.runPolicy.activeDeadlineSeconds !== undefined
      ? { activeDeadlineSeconds: job.runPolicy.activeDeadlineSeconds }
      : {}),
    ...(job.runPolicy.ttlSecondsAfterFinished !== undefined
      ? { ttlSecondsAfterFinished: job.runPolicy.ttlSecondsAfterFinished }
      : {}),
  };
  return {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata: { name, namespace, labels: standardLabels("training", name) },
    spec: {
      nprocPerNode: String(job.gpusPerNode),
      runPolicy,
      pytorchReplicaSpecs: {
        Master: replica(1),
        ...(job.nodes > 1 ? { Worker: replica(job.nodes - 1) } : {}),
      },
    },
  };
}
