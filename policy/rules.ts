// The rules of the pack as pure functions: a workload (and the policy's config) in, the messages
// of its violations out, each naming the object and saying what to change. When the object was
// declared by a finetune stack, the message names the stack config key to set.
import { arrayOr, objectOr, type Workload } from "./workloads";

/** Accelerator resource names counted as GPUs unless a policy's `gpuResources` says otherwise. */
export const DEFAULT_GPU_RESOURCES: readonly string[] = [
  "nvidia.com/gpu",
  "amd.com/gpu",
  "habana.ai/gaudi",
  "gpu.intel.com/i915",
  "gpu.intel.com/xe",
];

/** The label Kueue reads a job's LocalQueue from. */
export const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * Where a finetune stack names a workload's image: a run's and its preparation Job's is the job's
 * image; a staging Job's is `staging.hfImage` (`hf://`) or `staging.s3Image` (`s3://`), the job's
 * image when `staging.hfImage` is unset.
 */
function imageKey(w: Workload): string | undefined {
  const job = finetuneJob(w);
  if (job === undefined) return undefined;
  const own = `finetune:jobs.${job}.image`;
  return w.labels["app.kubernetes.io/component"] === "staging"
    ? `finetune:staging.hfImage or finetune:staging.s3Image (else ${own})`
    : own;
}

/** The finetune job that declared a workload, from its standard labels; undefined for others. */
export function finetuneJob(w: Workload): string | undefined {
  return w.labels["app.kubernetes.io/part-of"] === "finetune" ? w.labels["app.kubernetes.io/instance"] : undefined;
}

/** `finetune:jobs.<job>.<key>`, when the workload is a finetune job's training run. */
function jobKey(w: Workload, key: string): string | undefined {
  const job = finetuneJob(w);
  return job !== undefined && w.kind !== "Job" ? `finetune:jobs.${job}.${key}` : undefined;
}

/** Images not pinned by a `@sha256:` digest: a tag can be moved under a run that is restarted. */
export function unpinnedImages(w: Workload): string[] {
  return w.images
    .filter(({ image }) => !DIGEST.test(image))
    .map(({ where, image }) => {
      const key = imageKey(w);
      const fix = `name it as <repository>@sha256:<digest>${key === undefined ? "" : ` in ${key}`}`;
      return `${w.kind} ${w.id}: image ${JSON.stringify(image)} (${where}) is not pinned by digest; ${fix}.`;
    });
}

/** The GPUs a workload asks for at once: per pod, the counted resources, times the pods. */
export function gpusOf(w: Workload, gpuResources: readonly string[]): number {
  let total = 0;
  for (const pod of w.pods) {
    const perPod = gpuResources.reduce((sum, name) => sum + (pod.resources[name] ?? 0), 0);
    total += pod.count * perPod;
  }
  return total;
}

/** How a workload's GPUs add up, for messages: `1 Master pod × 8 nvidia.com/gpu, 3 Worker pods × 8 nvidia.com/gpu`. */
function gpuBreakdown(w: Workload, gpuResources: readonly string[]): string {
  return w.pods
    .map((pod) => {
      const names = gpuResources.filter((n) => (pod.resources[n] ?? 0) > 0);
      const per = names.map((n) => `${pod.resources[n]} ${n}`).join(" + ");
      return per ? `${pod.count} ${pod.role} ${pod.count === 1 ? "pod" : "pods"} × ${per}` : "";
    })
    .filter(Boolean)
    .join(", ");
}

/** A workload over the per-job ceiling, or undefined. */
export function gpusPerJobViolation(w: Workload, max: number, gpuResources: readonly string[]): string | undefined {
  const gpus = gpusOf(w, gpuResources);
  if (gpus <= max) return undefined;
  const fix = jobKey(w, "nodes") === undefined ? "ask for fewer" : `lower ${jobKey(w, "nodes")} or gpusPerNode`;
  return `${w.kind} ${w.id} asks for ${gpus} GPUs (${gpuBreakdown(w, gpuResources)}), more than the ${max} a job may have (policy config maxGpus): ${fix}.`;
}

/** The stack's workloads over the per-stack ceiling, or undefined. */
export function gpusPerStackViolation(
  workloads: readonly Workload[],
  max: number,
  gpuResources: readonly string[],
): string | undefined {
  const counted = workloads.map((w) => ({ w, gpus: gpusOf(w, gpuResources) })).filter((x) => x.gpus > 0);
  const total = counted.reduce((sum, x) => sum + x.gpus, 0);
  if (total <= max) return undefined;
  const parts = counted.map((x) => `${x.w.kind} ${x.w.id}: ${x.gpus}`).join(", ");
  return `the stack asks for ${total} GPUs at once (${parts}), more than the ${max} a stack may have (policy config maxGpus): run fewer jobs, or smaller ones, in this stack.`;
}

/**
 * A training run (or a Job that holds GPUs) with neither a deadline nor a TTL: nothing stops it
 * holding GPUs, or its record, forever. A TrainJob has only a deadline.
 */
export function unboundedViolation(w: Workload, gpuResources: readonly string[]): string | undefined {
  if (w.kind === "Job" && gpusOf(w, gpuResources) === 0) return undefined;
  const { activeDeadlineSeconds, ttlSecondsAfterFinished } = w.bounds;
  if (activeDeadlineSeconds !== undefined || ttlSecondsAfterFinished !== undefined) return undefined;
  const deadlineKey = jobKey(w, "runPolicy.activeDeadlineSeconds");
  if (w.kind === "TrainJob") {
    return `TrainJob ${w.id} has no deadline: set ${deadlineKey ?? "spec.activeDeadlineSeconds"}.`;
  }
  const fix =
    deadlineKey !== undefined
      ? `set ${deadlineKey}, or leave ttlSecondsAfterFinished at its default instead of null`
      : w.kind === "PyTorchJob"
        ? "set spec.runPolicy.activeDeadlineSeconds or spec.runPolicy.ttlSecondsAfterFinished"
        : "set spec.activeDeadlineSeconds or spec.ttlSecondsAfterFinished";
  return `${w.kind} ${w.id} has neither a deadline nor a TTL: ${fix}.`;
}

/**
 * Why a workload's pods may run as root, one message per pod: the pod must say `runAsNonRoot:
 * true` itself (containers the operator adds, such as the v1 Workers' `init-pytorch`, inherit only
 * the pod's), and no pod or container may ask for user 0 or privileged mode.
 */
export function rootReasons(w: Workload): string[] {
  const key = jobKey(w, "securityContext.runAsUser");
  const fix = key === undefined ? "" : `; set ${key} to a user other than 0`;
  const messages: string[] = [];
  for (const pod of w.pods) {
    const reasons: string[] = [];
    const sc = objectOr(pod.spec.securityContext);
    if (sc.runAsUser === 0) reasons.push("runs as user 0");
    if (sc.runAsNonRoot !== true) reasons.push("does not set securityContext.runAsNonRoot: true");
    for (const c of [...arrayOr(pod.spec.initContainers), ...arrayOr(pod.spec.containers)]) {
      const csc = objectOr(c.securityContext);
      const name = String(c.name ?? "?");
      if (csc.runAsUser === 0) reasons.push(`runs container ${name} as user 0`);
      if (csc.runAsNonRoot === false) reasons.push(`lets container ${name} run as root (runAsNonRoot: false)`);
      if (csc.privileged === true) reasons.push(`runs container ${name} privileged`);
    }
    if (reasons.length === 0) continue;
    const where = w.kind === "Job" ? "pod" : `${pod.role} pod`;
    messages.push(`${w.kind} ${w.id}: the ${where} ${reasons.join(" and ")}${fix}.`);
  }
  return messages;
}

/**
 * Whether a namespace's training runs must name a Kueue LocalQueue: `namespaces` lists them, `*`
 * stands for every namespace.
 */
export function queueRequired(namespace: string, namespaces: readonly string[]): boolean {
  return namespaces.includes("*") || namespaces.includes(namespace);
}

/** A training run without a queue label in a namespace that requires one, or undefined. */
export function missingQueueViolation(w: Workload, namespaces: readonly string[]): string | undefined {
  if (w.kind === "Job" || !queueRequired(w.namespace, namespaces)) return undefined;
  const queue = w.labels[QUEUE_LABEL];
  if (typeof queue === "string" && queue !== "") return undefined;
  const job = finetuneJob(w);
  const fix = job === undefined ? `label it ${QUEUE_LABEL}` : `set finetune:queue or finetune:jobs.${job}.queue`;
  return `${w.kind} ${w.id} names no Kueue LocalQueue, which namespace ${w.namespace} requires: ${fix}.`;
}
