// What is worth a warning but not an error: a configuration that deploys, but that a user may not
// have meant, each message naming its key and the fix. Warnings never block a deploy: Pulumi
// prints them in `preview` and `up`, the offline render on stderr.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backendOf } from "../builders/backends";
import { MOUNT_PATHS } from "../names";
import { keyPath } from "../schema/errors";
import type { Job } from "../schema/job";
import { FETCHED_SCHEMES, fetchOf, hasCredentials, type StackCredentials } from "../sources";
import { type OperatorConfig, upstreamOperatorSource, type WORKER_POD_SECURITY } from "./operator";

/**
 * A warning for an image whose tag can move (`latest`, or no tag at all) and that is not pinned by
 * digest: the same config could run different code tomorrow.
 */
export function imageWarnings(job: string, image: string): string[] {
  if (image.includes("@")) return [];
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
  if (tag !== undefined && tag !== "latest") return [];
  return [
    `${keyPath(["jobs", job, "image"])}: ${JSON.stringify(image)} ${tag === undefined ? "has no tag" : "uses the tag latest"}, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code`,
  ];
}

/** Warnings for a job that deploys but cannot train as configured. */
export function trainingWarnings(
  name: string,
  job: Job,
  credentials: Readonly<Record<StackCredentials, boolean>>,
): string[] {
  const warnings: string[] = [];
  for (const role of ["model", "dataset"] as const) {
    const volume = job[role];
    if (volume?.kind === "new" && volume.fetch === undefined) {
      warnings.push(
        `${keyPath(["jobs", name, role])}: is a new, empty PVC with no source, mounted read-only at ${MOUNT_PATHS[role]}: the run finds nothing there. Set ${role}.source (${FETCHED_SCHEMES.map((s) => `${s}://`).join(", ")}) to fill it, or existingClaim to use a PVC that holds the data.`,
      );
    }
    if (volume?.fetch !== undefined) {
      const fetch = fetchOf(volume.fetch);
      const key = keyPath(["jobs", name, role, "source"]);
      warnings.push(...fetch.warnings(key, volume.fetch, hasCredentials(fetch, credentials)));
    }
  }
  if (job.shmSize === undefined && job.resources.memory === undefined) {
    warnings.push(
      `${keyPath(["jobs", name, "shmSize"])}: /dev/shm is memory-backed and unbounded (neither shmSize nor resources.memory is set): the trainer's shared memory can take all of the node's memory. Set shmSize (e.g. 16Gi) or resources.memory.`,
    );
  }
  return warnings;
}

/**
 * A warning when the jobs' namespace enforces `baseline` only because a training operator the
 * stack does not install may add an init container without a securityContext to each Worker.
 */
export function workerWarnings(
  namespace: string,
  jobs: Readonly<Record<string, Job>>,
  level: (typeof WORKER_POD_SECURITY)[number],
  explicit: boolean,
): string[] {
  const withWorkers = Object.keys(jobs).filter((name) => jobs[name].nodes > 1);
  if (explicit || level !== "baseline" || withWorkers.length === 0) return [];
  return [
    `${keyPath(["trainingOperator", "workerPodSecurity"])}: namespace ${namespace} enforces baseline, not restricted: the jobs ${withWorkers.join(", ")} run Workers, and a training operator this stack does not install adds its init container init-pytorch to each Worker without a securityContext unless it is configured otherwise (docs/security.md, Pod Security). If the cluster's operator runs the restricted template, set trainingOperator.workerPodSecurity: restricted; set it to baseline to keep this level without this warning.`,
  ];
}

/**
 * A warning for `cluster.kubeconfig` holding a kubeconfig's contents rather than a path (as the
 * provider tells them apart: a path that exists): its credentials would sit in clear text in the
 * stack file and the state. The secret key `kubeconfig` holds contents encrypted.
 */
export function kubeconfigWarnings(kubeconfig: string | undefined): string[] {
  if (kubeconfig === undefined) return [];
  const file = kubeconfig.startsWith("~/") ? path.join(os.homedir(), kubeconfig.slice(2)) : kubeconfig;
  if (fs.existsSync(file) || !/[\n{]/.test(kubeconfig)) return [];
  return [
    `${keyPath(["cluster", "kubeconfig"])}: holds a kubeconfig's contents, in clear text in the stack file and the state: move them to the secret key kubeconfig (pulumi config rm --path cluster.kubeconfig; pulumi config set --secret kubeconfig "$(cat path/to/kubeconfig)")`,
  ];
}

/**
 * Whether the training operator the stack installs gangs pods: the v1 operator acts on
 * `runPolicy.schedulingPolicy` only when started with `--gang-scheduler-name` (volcano or
 * scheduler-plugins). True or false for the upstream overlay and local bundles; undefined when the
 * stack installs none or the program cannot read the operator's arguments (another URL, a folder).
 */
export function installGangs(operator: OperatorConfig): boolean | undefined {
  const source = operator.source;
  if (!operator.install || source === undefined) return undefined;
  if (source.kind === "remote") return source.location === upstreamOperatorSource(operator.version) ? false : undefined;
  if (source.kind === "directory") return undefined;
  return source.objects.some((o) => JSON.stringify(o).includes("--gang-scheduler-name"));
}

/** A warning for gang scheduling asked of a training operator this stack installs without a gang scheduler. */
export function gangWarnings(name: string, job: Job, operator: OperatorConfig): string[] {
  if (!job.scheduling.gang || !backendOf(operator.generation).operatorGangs || installGangs(operator) !== false)
    return [];
  return [
    `${keyPath(["jobs", name, "scheduling", "gang"])}: is true, but the training operator this stack installs runs without --gang-scheduler-name, so it makes no PodGroup and pods start one by one as GPUs free up (holding them meanwhile): install an operator configured for Volcano or scheduler-plugins (trainingOperator.source), or use Kueue (finetune:queue), which admits a job's pods together`,
  ];
}

/** How many jobs a grouped warning names before it counts the rest. */
const NAMED_JOBS = 5;

/**
 * The jobs' warnings with the ones that repeat grouped: a warning that reads the same for several
 * jobs (but for its job's key) is given once, naming the jobs it applies to.
 */
export function groupJobWarnings(perJob: readonly (readonly [string, readonly string[]])[]): string[] {
  const groups = new Map<string, { first: string; jobs: string[] }>();
  for (const [job, warnings] of perJob) {
    const prefix = keyPath(["jobs", job]);
    for (const w of warnings) {
      const rest = w.startsWith(`${prefix}.`) ? w.slice(prefix.length) : undefined;
      const key = rest ?? w;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { first: w, jobs: [job] });
      else if (rest !== undefined) group.jobs.push(job);
    }
  }
  return [...groups.entries()].map(([rest, { first, jobs }]) => {
    if (jobs.length === 1) return first;
    const named = jobs.slice(0, NAMED_JOBS).join(", ");
    const more = jobs.length > NAMED_JOBS ? ` and ${jobs.length - NAMED_JOBS} more` : "";
    const sep = rest.indexOf(": ");
    return `${keyPath(["jobs"])}.<job>${rest.slice(0, sep)} (jobs ${named}${more}):${rest.slice(sep + 1)}`;
  });
}
