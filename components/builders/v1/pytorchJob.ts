// Pure builder of a job's PyTorchJob (kubeflow.org/v1, the training operator v1): one Master and
// `nodes - 1` Workers, each a pod with a container named `pytorch` that runs the trainer's argv
// (never a shell string), its GPUs, a memory-backed /dev/shm and the job's volumes.

import { standardLabels } from "../../names";
import type { Job } from "../../schema/job";
import type { RunPolicy } from "../../schema/scheduling";
import type { Container, NamespacedMetadata, PodTemplateSpec } from "../k8sTypes";
import { containerSecurityContext, podIdentity } from "../security";
import {
  type TrainingPodInputs,
  terminationGraceSeconds,
  trainerArgv,
  trainingEnv,
  trainingJobMetadata,
  trainingResources,
  trainingRunAnnotations,
  trainingVolumes,
} from "../trainingPod";
import { TRAINING_CONTAINER } from "./names";
import { waitAnnotations } from "./status";

/** One replica type of a PyTorchJob. */
export interface ReplicaSpec {
  readonly replicas: number;
  /** `runPolicy.restartPolicy` (default OnFailure: a crashed pod restarts in place, counted against `backoffLimit`). */
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

/** The PyTorchJob's run policy as rendered (its `restartPolicy` is the replicas'). */
export type RenderedRunPolicy = Omit<RunPolicy, "ttlSecondsAfterFinished" | "restartPolicy"> & {
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

/** The pod template shared by the Master and the Workers. */
export function buildPodTemplate(inputs: TrainingPodInputs): PodTemplateSpec {
  const { name, job } = inputs;
  const { volumes, mounts } = trainingVolumes(name, job);
  const container: Container = {
    name: TRAINING_CONTAINER,
    image: job.image,
    command: trainerArgv(name, job.trainer),
    env: trainingEnv(job, inputs.hfToken),
    resources: trainingResources(job),
    volumeMounts: mounts,
    securityContext: containerSecurityContext(),
  };
  const { nodeSelector, tolerations, affinity, priorityClassName, schedulerName } = job.scheduling;
  const annotations = trainingRunAnnotations(job);
  const grace = terminationGraceSeconds(job);
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
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
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
export function buildPyTorchJob(inputs: TrainingPodInputs): PyTorchJobManifest {
  const { job } = inputs;
  const template = buildPodTemplate(inputs);
  const { restartPolicy } = job.runPolicy;
  const replica = (replicas: number): ReplicaSpec => ({ replicas, restartPolicy, template });
  return {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata: trainingJobMetadata(inputs, waitAnnotations(inputs.programWaits ? "none" : job.wait)),
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
