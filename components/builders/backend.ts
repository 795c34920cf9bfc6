// One run model, several spellings: what a fine-tune run is comes from the config once, and each
// operator generation spells it in its own API (builders/v1: PyTorchJob, builders/v2: TrainJob).
// A backend owns everything that differs by generation: the config keys it reads and refuses, its
// limits and names, its install patch and Pod Security needs, its job object, status and waits.
// The registry (backends.ts) maps `trainingOperator.version`'s generation to one; nothing else
// asks which generation it is.
import type { Job, JobNameRule, RuntimeRef, WaitMode } from "../schema/job";
import type { NamespacedMetadata } from "./k8sTypes";
import type { ImageMirrors } from "./operatorImages";
import type { JobCondition, RunStatus, TrainerProgress } from "./run";
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

/** A problem with a key, its path relative to the map the rule read. */
export interface KeyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The `trainingOperator` keys as written, before defaults. */
export interface RawOperatorKeys {
  readonly install?: unknown;
  readonly workerPodSecurity?: unknown;
  readonly runtimesSource?: unknown;
  readonly trainJobStatus?: unknown;
}

/** What the stack asks of an operator install, beyond what its manifests say. */
export interface InstallOptions {
  /** Trainer v2: turn on the TrainJobStatus feature gate (`trainingOperator.trainJobStatus`). */
  readonly trainJobStatus: boolean;
  /** Image name → the mirror's image name, for every image of the install (`trainingOperator.images`). */
  readonly images: ImageMirrors;
}

/** The Pod Security levels a namespace of the program's jobs enforces. */
export type PodSecurityLevel = "restricted" | "baseline";

/** An operator generation: the major version of kubeflow/trainer. */
export type Generation = 1 | 2;

/** How one operator generation runs a job. */
export interface Backend {
  /** The generation: the major version of kubeflow/trainer. */
  readonly generation: Generation;
  /** The overlay of kubeflow/trainer's manifests that installs it (`manifests/overlays/<overlay>`). */
  readonly installOverlay: string;
  /** Whether the stack installs runtimes with it (`trainingOperator.runtimesSource`). */
  readonly installsRuntimes: boolean;
  /** Whether its operator gang-schedules a job's pods itself, when started for it (`scheduling.gang`). */
  readonly operatorGangs: boolean;
  /** Problems with `trainingOperator` keys, as written, that it does not accept. */
  operatorKeyProblems(op: RawOperatorKeys): KeyProblem[];
  /** The Pod Security level its trainer pods meet, from what the stack says of its operator. */
  workerPodSecurity(op: { readonly install: boolean; readonly workerPodSecurity?: PodSecurityLevel }): PodSecurityLevel;
  /** Problems with a job's keys, as written (before defaults), that it does not read. */
  unreadJobKeys(name: string, job: Readonly<Record<string, unknown>>): string[];
  /** What it adds to a validated job (Trainer v2: the runtime). */
  jobDefaults(keys: { readonly runtime?: string; readonly runtimeKind?: RuntimeRef["kind"] }): {
    readonly runtime?: RuntimeRef;
  };
  /** The problem of a job name too long for its pods' names (and the program's `<job><suffix>` objects). */
  jobNameProblem: JobNameRule;
  /** Problems of validated jobs with its API's limits. */
  jobProblems(jobs: Readonly<Record<string, Job>>, hasHfToken: boolean): string[];
  /**
   * An object of an operator install as the program installs it: its own operator's objects patched
   * (v1: the restricted Worker init container), any other returned as it is. `kind` is given apart
   * for provider-rendered objects.
   */
  patchInstall<T extends object>(obj: T, kind: string | undefined, options: InstallOptions): T;
  /**
   * Images its operator pulls that no object of its install names (the v1 operator's Worker init
   * container), by name, each with what pulls it: `trainingOperator.images` may mirror them too.
   */
  readonly operatorPulledImages: Readonly<Record<string, string>>;
  /** The annotations that make the Kubernetes provider wait for its job as asked. */
  waitAnnotations(mode: WaitMode): Record<string, string>;
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
  /** The label selector of every pod a job's operator creates for it. */
  podSelector(name: string): string;
  /** The trainer's own report of its progress in the status, where the generation has one. */
  readProgress(status: TrainingJobStatus | undefined): TrainerProgress | undefined;
}
