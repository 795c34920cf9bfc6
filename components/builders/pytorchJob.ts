// Pure builder of a job's PyTorchJob (kubeflow.org/v1): one Master and `nodes - 1` Workers,
// each a pod with a container named `pytorch` that runs the trainer's argv (never a shell
// string), its GPUs, a memory-backed /dev/shm and the job's volumes.

import type * as pulumi from "@pulumi/pulumi";
import type { InstructLabTrainer, Job, RunPolicy, Trainer } from "../config";
import {
  CHECKPOINT_DIR,
  CHECKPOINT_ENV,
  HF_TOKEN_SECRET,
  MOUNT_PATHS,
  processedDataDir,
  standardLabels,
  TRAINING_CONTAINER,
} from "../names";
import { runAnnotations, volumeClaim, volumeMountOf } from "./dataJobs";
import type { Container, EnvVar, NamespacedMetadata, PodTemplateSpec, PodVolume, VolumeMount } from "./k8sTypes";
import { containerSecurityContext, podIdentity } from "./security";
import { waitAnnotations } from "./status";

/** One replica type of a PyTorchJob. */
export interface ReplicaSpec {
  readonly replicas: number;
  /** @default OnFailure: a crashed pod restarts in place, counted against `backoffLimit`. */
  readonly restartPolicy: "OnFailure" | "Never" | "Always" | "ExitCode";
  readonly template: PodTemplateSpec;
}

/** `runPolicy.schedulingPolicy`: gang scheduling for Volcano or scheduler-plugins. */
export interface SchedulingPolicy {
  /** Pods that must be placed together before any starts. */
  readonly minAvailable: number;
  readonly queue?: string;
  readonly priorityClass?: string;
}

/** The PyTorchJob's run policy as rendered. */
export type RenderedRunPolicy = Omit<RunPolicy, "ttlSecondsAfterFinished"> & {
  /** Absent when the config says `null`: the finished job is kept. */
  readonly ttlSecondsAfterFinished?: number;
  readonly schedulingPolicy?: SchedulingPolicy;
};

/**
 * A PyTorchJob manifest, as the CRD of the v1 training operator types it.
 * @see https://www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/pytorch/
 */
export interface PyTorchJobManifest {
  readonly apiVersion: "kubeflow.org/v1";
  readonly kind: "PyTorchJob";
  readonly metadata: NamespacedMetadata & { readonly annotations: Record<string, string> };
  readonly spec: {
    /** Processes per node; the CRD types it as a string. */
    readonly nprocPerNode: string;
    readonly runPolicy: RenderedRunPolicy;
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
  /**
   * Whether the stack has registry credentials for the pods' images.
   * @default false
   */
  readonly imagePullSecrets?: boolean;
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

/** The pod template shared by the Master and the Workers. */
export function buildPodTemplate(inputs: PyTorchJobInputs): PodTemplateSpec {
  const { name, job } = inputs;
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

  const env: EnvVar[] = Object.entries(job.env).map(([envName, value]) => ({ name: envName, value }));
  env.push({ name: CHECKPOINT_ENV, value: CHECKPOINT_DIR });
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
    command: trainerArgv(name, job.trainer),
    env,
    resources: { ...(Object.keys(requests).length > 0 ? { requests } : {}), limits },
    volumeMounts: mounts,
    securityContext: containerSecurityContext(),
  };

  const { nodeSelector, tolerations, affinity, priorityClassName, schedulerName } = job.scheduling;
  const annotations = runAnnotations(job);
  return {
    metadata: {
      labels: standardLabels("training", name),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...podIdentity(job.securityContext, inputs.imagePullSecrets ?? false),
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

/** The run policy: config values, plus gang scheduling when asked for. */
export function buildRunPolicy(job: Job): RenderedRunPolicy {
  const p = job.runPolicy;
  const s = job.scheduling;
  return {
    cleanPodPolicy: p.cleanPodPolicy,
    backoffLimit: p.backoffLimit,
    ...(p.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: p.activeDeadlineSeconds } : {}),
    ...(p.ttlSecondsAfterFinished !== null ? { ttlSecondsAfterFinished: p.ttlSecondsAfterFinished } : {}),
    ...(s.gang
      ? {
          schedulingPolicy: {
            minAvailable: job.nodes,
            ...(s.queue !== undefined ? { queue: s.queue } : {}),
            ...(s.priorityClassName !== undefined ? { priorityClass: s.priorityClassName } : {}),
          },
        }
      : {}),
  };
}

/** The PyTorchJob of one job. */
export function buildPyTorchJob(inputs: PyTorchJobInputs): PyTorchJobManifest {
  const { name, namespace, job } = inputs;
  const template = buildPodTemplate(inputs);
  const replica = (replicas: number): ReplicaSpec => ({ replicas, restartPolicy: "OnFailure", template });
  return {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata: {
      name,
      namespace,
      labels: { ...job.labels, ...standardLabels("training", name) },
      annotations: { ...job.annotations, ...waitAnnotations(job.wait) },
    },
    spec: {
      nprocPerNode: String(job.gpusPerNode),
      runPolicy: buildRunPolicy(job),
      pytorchReplicaSpecs: {
        Master: replica(1),
        ...(job.nodes > 1 ? { Worker: replica(job.nodes - 1) } : {}),
      },
    },
  };
}
