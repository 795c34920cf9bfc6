// One run model, several spellings: what a fine-tune run is comes from the config once, and each
// operator generation spells it in its own API (builders/v1: PyTorchJob, builders/v2: TrainJob).
// The stack picks the backend once, from `trainingOperator.version`; components never ask which.
import type { NamespacedMetadata } from "./k8sTypes";
import type { JobCondition, RunStatus } from "./run";
import type { TrainingPodInputs } from "./trainingPod";

/** A training job manifest of either generation. */
export interface TrainingJobManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: NamespacedMetadata & { readonly annotations: Record<string, string> };
  readonly spec: object;
}

/** The status of a training job as the Kubernetes provider returns it. */
export interface TrainingJobStatus {
  readonly conditions?: JobCondition[];
  readonly [key: string]: unknown;
}

/** How one operator generation runs a job. */
export interface Backend {
  /** The generation: the major version of kubeflow/trainer. */
  readonly generation: 1 | 2;
  /** The kind of its job object, in messages. */
  readonly kind: string;
  /** The Pulumi resource of a job's object is named `<job>-<resourceSuffix>`. */
  readonly resourceSuffix: string;
  /** The apiVersion of its job object (`kubeflow.org/v1`). */
  readonly apiVersion: string;
  /** The job's object. */
  build(inputs: TrainingPodInputs): TrainingJobManifest;
  /** Where the run stands, from the object's status. */
  readStatus(status: TrainingJobStatus | undefined): RunStatus;
  /** What `kubectl logs -f` follows: the first trainer pod's container. */
  logsTarget(name: string): string;
}
