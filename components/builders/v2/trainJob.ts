// Pure builder of a job's TrainJob (trainer.kubeflow.org/v1alpha1, Kubeflow Trainer v2.3): the
// runtime it runs on, the trainer (image, argv, env, nodes, GPUs and memory per node), and one
// runtimePatches entry, owned by this program, that gives the trainer's pods what the runtime
// cannot know: the job's volumes and /dev/shm, their identity and security contexts, registry
// credentials, placement, and the run's labels and annotations.
// @see pkg/apis/trainer/v1alpha1/trainjob_types.go in kubeflow/trainer v2.3.0

import { standardLabels } from "../../names";
import type { RuntimeRef } from "../../schema/job";
import { type RuntimeJob, runtimeJobs, TRAINER_JOB } from "../../schema/runtimes";
import type {
  Affinity,
  EnvVar,
  NamespacedMetadata,
  PodSecurityContext,
  PodVolume,
  SecurityContext,
  Toleration,
  VolumeMount,
} from "../k8sTypes";
import { containerSecurityContext, podIdentity } from "../security";
import {
  type TrainingPodInputs,
  trainerArgv,
  trainingEnv,
  trainingJobMetadata,
  trainingResources,
  trainingRunAnnotations,
  trainingVolumes,
} from "../trainingPod";
import { RUNTIME_PATCH_MANAGER, TRAINER_API_GROUP } from "./names";
import { waitAnnotations } from "./status";

/** A pod spec patch, as `runtimePatches` takes it (a subset of a pod spec). */
export interface PodSpecPatch {
  readonly serviceAccountName: string;
  /** The job's volumes and /dev/shm, for pods that train; none for initializers. */
  readonly volumes?: PodVolume[];
  readonly containers: {
    readonly name: string;
    readonly volumeMounts?: VolumeMount[];
    readonly securityContext: SecurityContext;
  }[];
  readonly imagePullSecrets?: { name: string }[];
  readonly securityContext: PodSecurityContext;
  readonly nodeSelector?: Record<string, string>;
  readonly affinity?: Affinity;
  readonly tolerations?: Toleration[];
}

/** A TrainJob manifest, as the v2.3.0 CRD types it (the fields the program writes). */
export interface TrainJobManifest {
  readonly apiVersion: "trainer.kubeflow.org/v1alpha1";
  readonly kind: "TrainJob";
  readonly metadata: NamespacedMetadata & { readonly annotations: Record<string, string> };
  readonly spec: {
    readonly runtimeRef: { readonly apiGroup: string; readonly kind: RuntimeRef["kind"]; readonly name: string };
    readonly trainer: {
      readonly image: string;
      readonly command: string[];
      readonly env: EnvVar[];
      readonly numNodes: number;
      readonly numProcPerNode: number;
      readonly resourcesPerNode: ReturnType<typeof trainingResources>;
    };
    readonly runtimePatches: {
      readonly manager: string;
      readonly trainingRuntimeSpec: {
        readonly template: {
          readonly spec: {
            readonly replicatedJobs: {
              readonly name: string;
              readonly template: {
                readonly spec: {
                  readonly template: {
                    /** The run's labels and annotations, on the pods that train. */
                    readonly metadata?: {
                      readonly labels: Record<string, string>;
                      readonly annotations?: Record<string, string>;
                    };
                    readonly spec: PodSpecPatch;
                  };
                };
              };
            }[];
          };
        };
      };
    }[];
    readonly activeDeadlineSeconds?: number;
  };
}

/**
 * The patch of one replicated job's pods: what the program adds to the runtime's pod template.
 * Pods that train get the job's volumes, /dev/shm and placement; every pod its identity (user,
 * group, ServiceAccount, registry credentials) and security contexts, so that each meets the
 * namespace's Pod Security level.
 */
export function buildTrainerPodPatch(inputs: TrainingPodInputs, target: RuntimeJob = TRAINER_JOB): PodSpecPatch {
  const { name, job } = inputs;
  const { automountServiceAccountToken: _notPatchable, ...identity } = podIdentity(
    job.securityContext,
    inputs.imagePullSecrets ?? false,
  );
  if (!target.trains) {
    return { ...identity, containers: [{ name: target.container, securityContext: containerSecurityContext() }] };
  }
  const { volumes, mounts } = trainingVolumes(name, job);
  const { nodeSelector, tolerations, affinity } = job.scheduling;
  return {
    ...identity,
    volumes,
    containers: [{ name: target.container, volumeMounts: mounts, securityContext: containerSecurityContext() }],
    ...(nodeSelector !== undefined ? { nodeSelector } : {}),
    ...(affinity !== undefined ? { affinity } : {}),
    ...(tolerations !== undefined ? { tolerations } : {}),
  };
}

/** The TrainJob of one job (Kubeflow Trainer v2.3). */
export function buildTrainJob(inputs: TrainingPodInputs): TrainJobManifest {
  const { name, job } = inputs;
  const runtime = job.runtime ?? { name: "torch-distributed", kind: "ClusterTrainingRuntime" };
  const annotations = trainingRunAnnotations(job);
  return {
    apiVersion: "trainer.kubeflow.org/v1alpha1",
    kind: "TrainJob",
    metadata: trainingJobMetadata(inputs, waitAnnotations(inputs.programWaits ? "none" : job.wait)),
    spec: {
      runtimeRef: { apiGroup: TRAINER_API_GROUP, kind: runtime.kind, name: runtime.name },
      trainer: {
        image: job.image,
        command: trainerArgv(name, job.trainer),
        env: trainingEnv(job, inputs.hfToken),
        numNodes: job.nodes,
        numProcPerNode: job.gpusPerNode,
        resourcesPerNode: trainingResources(job),
      },
      runtimePatches: [
        {
          manager: RUNTIME_PATCH_MANAGER,
          trainingRuntimeSpec: {
            template: {
              spec: {
                // Every replicated job of the runtime, in the runtime's order.
                replicatedJobs: runtimeJobs(runtime).map((target) => ({
                  name: target.name,
                  template: {
                    spec: {
                      template: {
                        ...(target.trains
                          ? {
                              metadata: {
                                labels: standardLabels("training", name),
                                ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
                              },
                            }
                          : {}),
                        spec: buildTrainerPodPatch(inputs, target),
                      },
                    },
                  },
                })),
              },
            },
          },
        },
      ],
      ...(job.runPolicy.activeDeadlineSeconds !== undefined
        ? { activeDeadlineSeconds: job.runPolicy.activeDeadlineSeconds }
        : {}),
    },
  };
}
