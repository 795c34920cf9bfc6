// What the policies look at: every object that can cause pods, read from a resource's inputs as
// the engine hands them to a policy pack, reduced to one shape: its pods (a template and how many
// of it run at once), its images, whether it is bounded in time, and its labels. kinds.ts holds
// one reader per kind; this module the shape and what every reader shares. Pure functions of plain
// objects, so every rule is tested without an engine.
// @see https://www.pulumi.com/docs/iac/using-pulumi/crossguard/
import { deviceCount } from "./quantity";

/** A JSON object, as resource inputs are. */
export type Json = Record<string, unknown>;

/**
 * What a workload is for the rules: a training `run` (PyTorchJob and the other Kubeflow jobs,
 * TrainJob), a `batch` workload that ends (Job, CronJob, JobSet, a bare Pod), a `service` that
 * runs until deleted (Deployment, StatefulSet, ReplicaSet, DaemonSet, ReplicationController), a
 * `template` that runs nothing itself (a Trainer v2 runtime: every TrainJob on it runs its pods),
 * or `other` (a kind the pack does not know, read for the pod specs it holds).
 */
export type WorkloadClass = "run" | "batch" | "service" | "template" | "other";

/** A pod that a workload runs, `count` times at once. */
export interface WorkloadPod {
  /** Where it comes from, for messages: `Master`, `Worker`, `node`, `launcher`, `pod`. */
  readonly role: string;
  /** How many of it run at once; `Infinity` for one per node (a DaemonSet). */
  readonly count: number;
  /** The pod spec, or for a TrainJob the patch the stack applies to that replicated job's pods. */
  readonly spec: Json;
  /**
   * The devices each pod holds, per resource name, as the scheduler counts them: the larger of
   * request and limit per container, the app containers and sidecars summed, an init container
   * counted when it alone needs more. A TrainJob's node adds `spec.trainer.resourcesPerNode`.
   */
  readonly resources: Record<string, number>;
}

/** An object that causes pods, as the policies see it. */
export interface Workload {
  /** Its kind, as written (`PyTorchJob`, `Deployment`). */
  readonly kind: string;
  readonly class: WorkloadClass;
  /** `namespace/name` (or `name` for a cluster-scoped runtime), for messages. */
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
export const numberOr = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

/** Per resource name, the larger of a `resources` block's request and limit, in whole devices. */
export function resourceAmounts(resources: unknown): Record<string, number> {
  const { requests, limits } = objectOr(resources);
  const out: Record<string, number> = {};
  for (const block of [objectOr(requests), objectOr(limits)]) {
    for (const [name, value] of Object.entries(block)) out[name] = Math.max(out[name] ?? 0, deviceCount(value));
  }
  return out;
}

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
};
const atLeast = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [name, n] of Object.entries(from)) into[name] = Math.max(into[name] ?? 0, n);
};

/**
 * What a pod holds while it runs, per resource, as the scheduler reserves it: the app containers
 * plus the sidecars (init containers with `restartPolicy: Always`, which keep running), or an init
 * container with the sidecars started before it, whichever is larger.
 * @see https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/#resource-sharing-within-containers
 */
export function podResources(spec: Json): Record<string, number> {
  const sidecars: Record<string, number> = {};
  const peak: Record<string, number> = {};
  for (const c of arrayOr(spec.initContainers)) {
    const own = resourceAmounts(c.resources);
    if (c.restartPolicy === "Always") {
      add(sidecars, own);
      atLeast(peak, sidecars);
    } else {
      const during = { ...sidecars };
      add(during, own);
      atLeast(peak, during);
    }
  }
  const running = { ...sidecars };
  for (const c of arrayOr(spec.containers)) add(running, resourceAmounts(c.resources));
  atLeast(peak, running);
  return peak;
}

/** The images of a pod spec's init, app and ephemeral containers. */
export function podImages(role: string, spec: Json): { where: string; image: string }[] {
  return [...arrayOr(spec.initContainers), ...arrayOr(spec.containers), ...arrayOr(spec.ephemeralContainers)].map(
    (c) => ({ where: `${role}/${String(c.name ?? "?")}`, image: typeof c.image === "string" ? c.image : "" }),
  );
}

/** A pod of a pod spec, counted `count` times. */
export const podOf = (role: string, count: number, spec: Json): WorkloadPod => ({
  role,
  count,
  spec,
  resources: podResources(spec),
});

/** The identity of an object, for messages and namespace rules. */
export function identity(props: Json): Pick<Workload, "id" | "namespace" | "labels"> {
  const metadata = objectOr(props.metadata);
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "?";
  const labels = Object.fromEntries(
    Object.entries(objectOr(metadata.labels)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  return { id: `${namespace}/${name}`, namespace, labels };
}

/** Whether a workload is a training run (a Kubeflow job or a TrainJob). */
export const isTrainingRun = (w: Workload): boolean => w.class === "run";
