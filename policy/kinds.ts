// One reader per kind that causes pods: where its pod templates are, how many of each run at once,
// and what bounds its life. A kind not in the table is read for any pod spec it holds, so an
// object of a kind the pack was not taught (a Volcano Job, a RayCluster) is not invisible.
import {
  arrayOr,
  identity,
  type Json,
  numberOr,
  objectOr,
  podImages,
  podOf,
  resourceAmounts,
  type Workload,
  type WorkloadClass,
  type WorkloadPod,
} from "./workloads";

/** What a reader finds in an object; the table adds its kind, class and identity. */
interface Read {
  readonly pods: WorkloadPod[];
  readonly bounds: Workload["bounds"];
  readonly images?: Workload["images"];
}

type Reader = (spec: Json, props: Json) => Read;

const templateSpec = (template: unknown): Json => objectOr(objectOr(template).spec);
const bounded = (o: Json): Workload["bounds"] => ({
  activeDeadlineSeconds: numberOr(o.activeDeadlineSeconds),
  ttlSecondsAfterFinished: numberOr(o.ttlSecondsAfterFinished),
});
/** A count the API defaults to 1 when it is left out. */
const countOr1 = (v: unknown) => numberOr(v) ?? 1;

/** A batch/v1 Job spec: `parallelism` pods at once (default 1). */
const jobSpec = (role: string, spec: Json, times = 1): Read => ({
  pods: [podOf(role, times * countOr1(spec.parallelism), templateSpec(spec.template))],
  bounds: bounded(spec),
});

/** A workload with `replicas` copies of one template. */
const replicated: Reader = (spec) => ({
  pods: [podOf("pod", countOr1(spec.replicas), templateSpec(spec.template))],
  bounds: {},
});

/** JobSet's replicated jobs (also a Trainer v2 runtime's template): replicas × each Job's parallelism. */
function replicatedJobs(list: unknown): WorkloadPod[] {
  return arrayOr(list).flatMap((rj) => {
    const spec = objectOr(objectOr(rj.template).spec);
    return jobSpec(String(rj.name ?? "job"), spec, countOr1(rj.replicas)).pods;
  });
}

/** The Kubeflow v1 jobs (PyTorchJob, TFJob, MPIJob, XGBoostJob, PaddleJob, JAXJob): `*ReplicaSpecs`. */
const kubeflowJob: Reader = (spec) => ({
  pods: Object.entries(spec)
    .filter(([key]) => key.endsWith("ReplicaSpecs"))
    .flatMap(([, replicas]) =>
      Object.entries(objectOr(replicas)).map(([role, r]) =>
        podOf(role, countOr1(objectOr(r).replicas), templateSpec(objectOr(r).template)),
      ),
    ),
  bounds: bounded(objectOr(spec.runPolicy)),
});

/**
 * A TrainJob's pods are its runtime's; the stack names the trainer's image, node count and
 * devices per node, and patches pod specs per replicated job through `runtimePatches`. Each
 * replicated job is read on its own (patches to one job never hide another's); patches to the same
 * job are applied in order, later fields winning, as the controller merges them. The trainer's
 * `node` job is there even without a patch.
 */
const trainJob: Reader = (spec) => {
  const trainer = objectOr(spec.trainer);
  const patches = new Map<string, Json>([["node", {}]]);
  for (const p of arrayOr(spec.runtimePatches)) {
    for (const rj of arrayOr(objectOr(templateSpec(objectOr(p.trainingRuntimeSpec).template)).replicatedJobs)) {
      const name = String(rj.name ?? "?");
      const podSpec = templateSpec(objectOr(templateSpec(rj.template)).template);
      patches.set(name, { ...patches.get(name), ...podSpec });
    }
  }
  const pods = [...patches].map(([role, patch]) => {
    const pod = podOf(role, role === "node" ? countOr1(trainer.numNodes) : 1, patch);
    if (role !== "node") return pod;
    const resources = { ...pod.resources };
    for (const [name, n] of Object.entries(resourceAmounts(trainer.resourcesPerNode)))
      resources[name] = Math.max(resources[name] ?? 0, n);
    return { ...pod, resources };
  });
  const images = typeof trainer.image === "string" ? [{ where: "trainer", image: trainer.image }] : [];
  for (const [name, init] of Object.entries(objectOr(spec.initializer))) {
    const image = objectOr(init).image;
    if (typeof image === "string") images.push({ where: `initializer/${name}`, image });
  }
  // A patch names an image only to replace the runtime's.
  for (const pod of pods) images.push(...podImages(pod.role, pod.spec).filter((i) => i.image !== ""));
  return { pods, images, bounds: { activeDeadlineSeconds: numberOr(spec.activeDeadlineSeconds) } };
};

/** A kind the pack reads: its class, and its reader. */
interface KindRow {
  readonly class: WorkloadClass;
  readonly read: Reader;
  /** Cluster-scoped: its id is its name. */
  readonly cluster?: boolean;
}

/** The kinds that cause pods, by `<group>:<Kind>` (`core` for the core group). */
export const KINDS: Readonly<Record<string, KindRow>> = {
  "core:Pod": { class: "batch", read: (spec) => ({ pods: [podOf("pod", 1, spec)], bounds: bounded(spec) }) },
  "core:ReplicationController": { class: "service", read: replicated },
  "apps:Deployment": { class: "service", read: replicated },
  "apps:StatefulSet": { class: "service", read: replicated },
  "apps:ReplicaSet": { class: "service", read: replicated },
  "apps:DaemonSet": {
    class: "service",
    read: (spec) => ({ pods: [podOf("pod (one per node)", Infinity, templateSpec(spec.template))], bounds: {} }),
  },
  "batch:Job": { class: "batch", read: (spec) => jobSpec("pod", spec) },
  "batch:CronJob": {
    class: "batch",
    read: (spec) => {
      const job = objectOr(templateSpec(spec.jobTemplate));
      // Concurrent schedules may overlap: each run holds its pods, and Allow sets no limit.
      const overlap = spec.concurrencyPolicy === "Forbid" || spec.concurrencyPolicy === "Replace" ? 1 : Infinity;
      return jobSpec(overlap === 1 ? "pod" : "pod of overlapping runs", job, overlap);
    },
  },
  "jobset.x-k8s.io:JobSet": {
    class: "batch",
    read: (spec) => ({ pods: replicatedJobs(spec.replicatedJobs), bounds: bounded(spec) }),
  },
  "trainer.kubeflow.org:TrainJob": { class: "run", read: trainJob },
  "trainer.kubeflow.org:TrainingRuntime": {
    class: "template",
    read: (spec) => ({ pods: replicatedJobs(templateSpec(spec.template).replicatedJobs), bounds: {} }),
  },
  "trainer.kubeflow.org:ClusterTrainingRuntime": {
    class: "template",
    cluster: true,
    read: (spec) => ({ pods: replicatedJobs(templateSpec(spec.template).replicatedJobs), bounds: {} }),
  },
  ...Object.fromEntries(
    ["PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob"].map((k) => [
      `kubeflow.org:${k}`,
      { class: "run", read: kubeflowJob } satisfies KindRow,
    ]),
  ),
};

/** Kinds that hold no pod specs: never walked. */
const INERT =
  /^(core:(ConfigMap|Secret|Service|Namespace|ServiceAccount|PersistentVolumeClaim|Endpoints)|apiextensions\.k8s\.io:CustomResourceDefinition|rbac\.authorization\.k8s\.io:.*|admissionregistration\.k8s\.io:.*)$/;

/**
 * The pod specs somewhere in an object of a kind the pack does not know: every object holding a
 * `containers` list, counted as many times as the `replicas` and `parallelism` on its path
 * multiply to, with the deadline or TTL found on the way to it (in `found`, one per pod).
 */
function walk(
  value: unknown,
  path: string[],
  times: number,
  bounds: Workload["bounds"],
  out: WorkloadPod[],
  found: Workload["bounds"][],
) {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, [...path, String(i)], times, bounds, out, found);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const o = value as Json;
  const here = bounded(o);
  const b = {
    activeDeadlineSeconds: here.activeDeadlineSeconds ?? bounds.activeDeadlineSeconds,
    ttlSecondsAfterFinished: here.ttlSecondsAfterFinished ?? bounds.ttlSecondsAfterFinished,
  };
  const n = times * (numberOr(o.replicas) ?? 1) * (numberOr(o.parallelism) ?? 1);
  if (arrayOr(o.containers).length > 0) {
    out.push(podOf(path.join(".") || "pod", n, o));
    found.push(b);
    return;
  }
  for (const [k, v] of Object.entries(o)) if (k !== "metadata") walk(v, [...path, k], n, b, out, found);
}

/** `kubernetes:apps/v1:Deployment` → `apps:Deployment`; undefined for other providers' types. */
export function kindKey(type: string): string | undefined {
  const m = /^kubernetes:([^:/]+)\/[^:]+:([A-Za-z0-9]+)$/.exec(type);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** The workload a resource declares, or undefined when it causes no pods. */
export function workloadOf(type: string, props: unknown): Workload | undefined {
  const key = kindKey(type);
  if (key === undefined || INERT.test(key)) return undefined;
  const p = objectOr(props);
  const spec = objectOr(p.spec);
  const kind = key.slice(key.indexOf(":") + 1);
  const row = KINDS[key];
  const id = identity(p);
  if (row !== undefined) {
    const read = row.read(spec, p);
    const images = read.images ?? read.pods.flatMap((pod) => podImages(pod.role, pod.spec));
    const clusterId = row.cluster ? { id: id.id.slice(id.id.indexOf("/") + 1) } : {};
    return { kind, class: row.class, ...id, ...clusterId, pods: read.pods, images, bounds: read.bounds };
  }
  const pods: WorkloadPod[] = [];
  const found: Workload["bounds"][] = [];
  // The whole object: a kind the pack does not know may keep its pods anywhere.
  walk(p, [], 1, {}, pods, found);
  if (pods.length === 0) return undefined;
  // Bounded only when every pod spec found has a deadline or a TTL on its path.
  const every = found.every((b) => b.activeDeadlineSeconds !== undefined || b.ttlSecondsAfterFinished !== undefined);
  return {
    kind,
    class: "other",
    ...id,
    pods,
    images: pods.flatMap((pod) => podImages(pod.role, pod.spec)),
    bounds: every ? (found[0] ?? {}) : {},
  };
}
