// What the policies look at, read from a resource's inputs as the engine hands them to a policy
// pack: the training runs a stack declares (PyTorchJob kubeflow.org/v1, TrainJob
// trainer.kubeflow.org/v1alpha1) and its batch Jobs, each reduced to one shape: its pods (a template
// and how many of it run), its images, whether it is bounded in time, and its labels. Pure functions
// of plain objects, so every rule is tested without an engine. Other kinds (the operator's own
// Deployments, Services, PVCs) are not workloads here: the pack rules fine-tuning runs.
// @see https://www.pulumi.com/docs/iac/using-pulumi/crossguard/

/** A JSON object, as resource inputs are. */
export type Json = Record<string, unknown>;

/** The Pulumi type tokens of the kinds the pack reads. */
export const WORKLOAD_TYPES = {
  pytorchJob: "kubernetes:kubeflow.org/v1:PyTorchJob",
  trainJob: "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob",
  job: "kubernetes:batch/v1:Job",
} as const;

/** A pod that a workload runs, `count` times. */
export interface WorkloadPod {
  /** Where it comes from, for messages: `Master`, `Worker`, `node` (TrainJob), `pod` (Job). */
  readonly role: string;
  /** How many of it run at once. */
  readonly count: number;
  /** The pod spec, or for a TrainJob the patch the stack applies to the runtime's pod spec. */
  readonly spec: Json;
  /**
   * The accelerators each pod asks for, per resource name (the larger of request and limit, summed
   * over its containers). For a TrainJob, `spec.trainer.resourcesPerNode`.
   */
  readonly resources: Record<string, number>;
}

/** A training run or batch Job, as the policies see it. */
export interface Workload {
  readonly kind: "PyTorchJob" | "TrainJob" | "Job";
  /** `namespace/name`, for messages. */
  readonly id: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pods: readonly WorkloadPod[];
  /** Every image the workload names, with where it is named (`Master/pytorch`, `trainer`). */
  readonly images: readonly { readonly where: string; readonly image: string }[];
  /** The fields that bound its life, when set: a deadline or a TTL after it finishes. */
  readonly bounds: { readonly activeDeadlineSeconds?: number; readonly ttlSecondsAfterFinished?: number };
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const objectOr = (v: unknown): Json => (isObject(v) ? v : {});
export const arrayOr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const numberOr = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A Kubernetes quantity as a number (`"8"`, `8`, `"1k"`); accelerators are whole numbers. */
export function quantity(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return 0;
  const m = /^(\d+(?:\.\d+)?)(k|M|G)?$/.exec(value.trim());
  if (!m) return 0;
  const scale = { k: 1e3, M: 1e6, G: 1e9 }[m[2] as "k" | "M" | "G"] ?? 1;
  return Number(m[1]) * scale;
}

/** Per resource name, the larger of a `resources` block's request and limit. */
function resourceAmounts(resources: unknown): Record<string, number> {
  const { requests, limits } = objectOr(resources);
  const out: Record<string, number> = {};
  for (const block of [objectOr(requests), objectOr(limits)]) {
    for (const [name, value] of Object.entries(block)) out[name] = Math.max(out[name] ?? 0, quantity(value));
  }
  return out;
}

/** What a pod spec's containers ask for, summed (init containers run before, not beside, them). */
function podResources(spec: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of arrayOr(spec.containers)) {
    for (const [name, n] of Object.entries(resourceAmounts(c.resources))) out[name] = (out[name] ?? 0) + n;
  }
  return out;
}

function podImages(role: string, spec: Json): { where: string; image: string }[] {
  return [...arrayOr(spec.initContainers), ...arrayOr(spec.containers)].map((c) => ({
    where: `${role}/${String(c.name ?? "?")}`,
    image: typeof c.image === "string" ? c.image : "",
  }));
}

function base(kind: Workload["kind"], props: Json) {
  const metadata = objectOr(props.metadata);
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "?";
  const labels = Object.fromEntries(
    Object.entries(objectOr(metadata.labels)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  return { kind, id: `${namespace}/${name}`, namespace, labels };
}

function pytorchJob(props: Json): Workload {
  const spec = objectOr(props.spec);
  const pods = Object.entries(objectOr(spec.pytorchReplicaSpecs)).map(([role, replica]) => {
    const podSpec = objectOr(objectOr(objectOr(replica).template).spec);
    return { role, count: numberOr(objectOr(replica).replicas) ?? 1, spec: podSpec, resources: podResources(podSpec) };
  });
  const runPolicy = objectOr(spec.runPolicy);
  return {
    ...base("PyTorchJob", props),
    pods,
    images: pods.flatMap((p) => podImages(p.role, p.spec)),
    bounds: {
      activeDeadlineSeconds: numberOr(runPolicy.activeDeadlineSeconds),
      ttlSecondsAfterFinished: numberOr(runPolicy.ttlSecondsAfterFinished),
    },
  };
}

/**
 * A TrainJob's pods are the runtime's; the stack names the trainer's image, node count and
 * resources, and may patch the pod spec through `runtimePatches`. The patches' pod specs are merged
 * here in order (later wins), as the controller applies them.
 */
function trainJob(props: Json): Workload {
  const spec = objectOr(props.spec);
  const trainer = objectOr(spec.trainer);
  const patch: Json = {};
  for (const p of arrayOr(spec.runtimePatches)) {
    for (const job of arrayOr(objectOr(objectOr(objectOr(p.trainingRuntimeSpec).template).spec).replicatedJobs)) {
      const podSpec = objectOr(objectOr(objectOr(objectOr(job.template).spec).template).spec);
      Object.assign(patch, podSpec);
    }
  }
  const images = typeof trainer.image === "string" ? [{ where: "trainer", image: trainer.image }] : [];
  const initializer = objectOr(spec.initializer);
  for (const [name, init] of Object.entries(initializer)) {
    const image = objectOr(init).image;
    if (typeof image === "string") images.push({ where: `initializer/${name}`, image });
  }
  return {
    ...base("TrainJob", props),
    pods: [
      {
        role: "node",
        count: numberOr(trainer.numNodes) ?? 1,
        spec: patch,
        resources: resourceAmounts(trainer.resourcesPerNode),
      },
    ],
    images,
    bounds: { activeDeadlineSeconds: numberOr(spec.activeDeadlineSeconds) },
  };
}

function batchJob(props: Json): Workload {
  const spec = objectOr(props.spec);
  const podSpec = objectOr(objectOr(spec.template).spec);
  return {
    ...base("Job", props),
    pods: [{ role: "pod", count: numberOr(spec.parallelism) ?? 1, spec: podSpec, resources: podResources(podSpec) }],
    images: podImages("pod", podSpec),
    bounds: {
      activeDeadlineSeconds: numberOr(spec.activeDeadlineSeconds),
      ttlSecondsAfterFinished: numberOr(spec.ttlSecondsAfterFinished),
    },
  };
}

/** The workload a resource declares, or undefined when its type is not one the pack reads. */
export function workloadOf(type: string, props: unknown): Workload | undefined {
  const p = objectOr(props);
  switch (type) {
    case WORKLOAD_TYPES.pytorchJob:
      return pytorchJob(p);
    case WORKLOAD_TYPES.trainJob:
      return trainJob(p);
    case WORKLOAD_TYPES.job:
      return batchJob(p);
    default:
      return undefined;
  }
}

/** Whether a workload is a training run (PyTorchJob or TrainJob), not a batch Job. */
export const isTrainingRun = (w: Workload): boolean => w.kind !== "Job";
