// The rules of the pack as pure functions: a workload (and the policy's config) in, the messages
// of its violations out, each naming the object and saying what to change. When the object was
// declared by a finetune stack, the message names the stack config key to set.
import { arrayOr, objectOr, type Workload } from "./workloads";

/**
 * Accelerator resources counted as GPUs unless a policy's `gpuResources` says otherwise: a name,
 * or a prefix ending in `*`. NVIDIA's MIG profiles (`nvidia.com/mig-3g.40gb`) and shared GPUs
 * (`nvidia.com/gpu.shared`) each count as one GPU: a ceiling is never exceeded by slicing.
 */
export const DEFAULT_GPU_RESOURCES: readonly string[] = [
  "nvidia.com/gpu*",
  "nvidia.com/mig-*",
  "amd.com/gpu*",
  "habana.ai/gaudi*",
  "gpu.intel.com/*",
  "aws.amazon.com/neuron*",
  "google.com/tpu",
];

/** Whether a resource name is one of `patterns` (names, or prefixes ending in `*`). */
export function isGpuResource(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

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
  return job !== undefined && w.class === "run" ? `finetune:jobs.${job}.${key}` : undefined;
}

/**
 * Images named by a tag that `images-pinned-by-digest` accepts unless its `exceptImages` says
 * otherwise: the finetune program's default `staging.s3Image`, which only copies objects from a
 * bucket into a volume (a moved tag changes no training code). It must equal DEFAULT_S3_IMAGE in
 * components/config/stack.ts; test/policy.test.ts checks it, since the pack is a package of its own.
 */
export const DEFAULT_TAGGED_IMAGES: readonly string[] = ["docker.io/amazon/aws-cli:2.22.35"];

/**
 * Images not pinned by a `@sha256:` digest, but for the exact references in `except`: a tag can be
 * moved under a run that is restarted.
 */
export function unpinnedImages(w: Workload, except: readonly string[] = []): string[] {
  return w.images
    .filter(({ image }) => !DIGEST.test(image) && !except.includes(image))
    .map(({ where, image }) => {
      const key = imageKey(w);
      const fix = `name it as <repository>@sha256:<digest>${key === undefined ? "" : ` in ${key}`}`;
      return `${w.kind} ${w.id}: image ${JSON.stringify(image)} (${where}) is not pinned by digest; ${fix}.`;
    });
}

/** The GPUs one pod holds, per counted resource name. */
function podGpus(pod: Workload["pods"][number], gpuResources: readonly string[]): [string, number][] {
  return Object.entries(pod.resources).filter(([name, n]) => n > 0 && isGpuResource(name, gpuResources));
}

/**
 * The GPUs a workload holds at once: per pod, the counted resources, times the pods; a Trainer v2
 * runtime holds none itself (its TrainJobs do). `Infinity` when the pods have no bound (a
 * DaemonSet's, an overlapping CronJob's).
 */
export function gpusOf(w: Workload, gpuResources: readonly string[]): number {
  if (w.class === "template") return 0;
  let total = 0;
  for (const pod of w.pods) {
    const perPod = podGpus(pod, gpuResources).reduce((sum, [, n]) => sum + n, 0);
    if (perPod > 0) total += pod.count * perPod;
  }
  return total;
}

/** How a workload's GPUs add up, for messages: `1 Master pod × 8 nvidia.com/gpu, 3 Worker pods × 8 nvidia.com/gpu`. */
function gpuBreakdown(w: Workload, gpuResources: readonly string[]): string {
  return w.pods
    .map((pod) => {
      const per = podGpus(pod, gpuResources)
        .map(([n, count]) => `${count} ${n}`)
        .join(" + ");
      if (!per) return "";
      if (pod.count === Infinity) return `every ${pod.role} × ${per}`;
      return `${pod.count} ${pod.role} ${pod.count === 1 ? "pod" : "pods"} × ${per}`;
    })
    .filter(Boolean)
    .join(", ");
}

const gpuTotal = (n: number) => (n === Infinity ? "an unbounded number of" : String(n));

/** A workload over the per-job ceiling, or undefined. */
export function gpusPerJobViolation(w: Workload, max: number, gpuResources: readonly string[]): string | undefined {
  const gpus = gpusOf(w, gpuResources);
  if (gpus <= max) return undefined;
  const fix =
    gpus === Infinity
      ? w.kind === "CronJob"
        ? "set spec.concurrencyPolicy to Forbid or Replace, so that runs cannot pile up"
        : "run GPU work as a Job or a training run, not on every node"
      : jobKey(w, "nodes") === undefined
        ? "ask for fewer"
        : `lower ${jobKey(w, "nodes")} or gpusPerNode`;
  return `${w.kind} ${w.id} asks for ${gpuTotal(gpus)} GPUs (${gpuBreakdown(w, gpuResources)}), more than the ${max} a job may have (policy config maxGpus): ${fix}.`;
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
  const parts = counted.map((x) => `${x.w.kind} ${x.w.id}: ${x.gpus === Infinity ? "unbounded" : x.gpus}`).join(", ");
  return `the stack asks for ${gpuTotal(total)} GPUs at once (${parts}), more than the ${max} a stack may have (policy config maxGpus): run fewer jobs, or smaller ones, in this stack.`;
}

/** Where a kind keeps its deadline and TTL, for messages. */
function boundFields(w: Workload): string {
  if (w.class === "run") return "spec.runPolicy.activeDeadlineSeconds or spec.runPolicy.ttlSecondsAfterFinished";
  if (w.kind === "Pod") return "spec.activeDeadlineSeconds";
  if (w.kind === "CronJob") return "spec.jobTemplate.spec.activeDeadlineSeconds or its ttlSecondsAfterFinished";
  return "spec.activeDeadlineSeconds or spec.ttlSecondsAfterFinished";
}

/**
 * A training run (or any other workload that holds GPUs) with neither a deadline nor a TTL:
 * nothing stops it holding GPUs, or its record, forever. A TrainJob has only a deadline; a
 * Deployment, StatefulSet, ReplicaSet or DaemonSet never finishes, so it may not hold GPUs at all.
 */
export function unboundedViolation(w: Workload, gpuResources: readonly string[]): string | undefined {
  if (w.class === "template") return undefined;
  if (w.class !== "run" && gpusOf(w, gpuResources) === 0) return undefined;
  if (w.class === "service") {
    return `${w.kind} ${w.id} holds GPUs and never finishes: run the work as a Job, JobSet or training run with a deadline, or take the GPUs out of its pods.`;
  }
  const { activeDeadlineSeconds, ttlSecondsAfterFinished } = w.bounds;
  if (activeDeadlineSeconds !== undefined || ttlSecondsAfterFinished !== undefined) return undefined;
  const deadlineKey = jobKey(w, "runPolicy.activeDeadlineSeconds");
  if (w.kind === "TrainJob") {
    return `TrainJob ${w.id} has no deadline: set ${deadlineKey ?? "spec.activeDeadlineSeconds"}.`;
  }
  const fix =
    deadlineKey !== undefined
      ? `set ${deadlineKey}, or leave ttlSecondsAfterFinished at its default instead of null`
      : `set ${boundFields(w)}`;
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
    const where = pod.role === "pod" ? "pod" : `${pod.role} pod`;
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

/**
 * A training run, or another workload that holds GPUs, without a queue label in a namespace that
 * requires one, or undefined.
 */
export function missingQueueViolation(
  w: Workload,
  namespaces: readonly string[],
  gpuResources: readonly string[],
): string | undefined {
  if (!queueRequired(w.namespace, namespaces)) return undefined;
  if (w.class !== "run" && (w.class === "template" || gpusOf(w, gpuResources) === 0)) return undefined;
  const queue = w.labels[QUEUE_LABEL];
  if (typeof queue === "string" && queue !== "") return undefined;
  const job = finetuneJob(w);
  const fix = job === undefined ? `label it ${QUEUE_LABEL}` : `set finetune:queue or finetune:jobs.${job}.queue`;
  return `${w.kind} ${w.id} names no Kueue LocalQueue, which namespace ${w.namespace} requires: ${fix}.`;
}
