// Kueue's queue objects, declared by the stack when a team or platform keeps its quotas in the same
// reviewed config (`finetune:queues`, off by default): ResourceFlavors, ClusterQueues with their
// nominal quotas per flavor, and LocalQueues in the jobs' namespace.
// @see apis/kueue/v1beta2 in sigs.k8s.io/kueue v0.19.0
import { z } from "zod";
import { isExtendedResourceName } from "../validation";
import { dns1123Subdomain, isPlainObject, labelKey, labelValue, quantity, strictObject } from "./base";
import { keyPath } from "./errors";
import type { Job } from "./job";
import { queueName } from "./queue";

/** Resources a quota can name: cpu, memory, pods, ephemeral-storage, or an extended resource. */
const resourceName = z
  .string()
  .refine((r) => ["cpu", "memory", "pods", "ephemeral-storage"].includes(r) || isExtendedResourceName(r), {
    error: "must be cpu, memory, pods, ephemeral-storage or an extended resource name such as nvidia.com/gpu",
  });

const objectName = (what: string) =>
  dns1123Subdomain(what).max(63, { error: `must be at most 63 characters (${what})` });

const flavorSchema = strictObject({
  nodeLabels: z.record(labelKey, labelValue).optional(),
}).prefault({});

const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` });

/** Which admitted workloads a pending one may preempt (Kueue's default: none). */
const preemptionSchema = strictObject({
  withinClusterQueue: enumOf(["Never", "LowerPriority", "LowerOrNewerEqualPriority"]).optional(),
  reclaimWithinCohort: enumOf(["Never", "LowerPriority", "Any"]).optional(),
});

const clusterQueueSchema = strictObject({
  cohort: objectName("a Cohort name").optional(),
  preemption: preemptionSchema.optional(),
  /** Namespaces whose LocalQueues may use it; all when unset. */
  namespaces: z.array(objectName("a namespace")).min(1).optional(),
  /** Flavor name -> resource name -> nominal quota. */
  flavors: z.record(
    objectName("a ResourceFlavor name"),
    z.record(resourceName, quantity("a quota such as 8 or 512Gi")),
  ),
}).superRefine(
  (cq, ctx) => {
    if (!isPlainObject(cq.flavors)) return;
    const entries = Object.entries(cq.flavors).filter(([, r]) => isPlainObject(r));
    if (entries.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["flavors"],
        message: "must name at least one ResourceFlavor with its quotas",
      });
      return;
    }
    // One resource group: Kueue requires every flavor of a group to quote the same resources.
    const first = Object.keys(entries[0][1] as object)
      .sort()
      .join(", ");
    for (const [flavor, resources] of entries.slice(1)) {
      const these = Object.keys(resources as object)
        .sort()
        .join(", ");
      if (these !== first) {
        ctx.addIssue({
          code: "custom",
          path: ["flavors", flavor],
          message: `quotes ${these || "nothing"}, but ${entries[0][0]} quotes ${first}: every flavor of a ClusterQueue must quote the same resources`,
        });
      }
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** `finetune:queues`. */
export const queuesSchema = strictObject({
  resourceFlavors: z.record(objectName("a ResourceFlavor name"), flavorSchema).default({}),
  clusterQueues: z.record(objectName("a ClusterQueue name"), clusterQueueSchema).default({}),
  /** LocalQueue name (in the jobs' namespace) -> its ClusterQueue. */
  localQueues: z.record(queueName, objectName("a ClusterQueue name")).default({}),
});

/** The queue objects the stack declares. */
export type QueuesConfig = z.output<typeof queuesSchema>;

/**
 * The most objects of each kind (ResourceFlavors, ClusterQueues, LocalQueues) one stack declares.
 * A platform's quotas come in tens; an unbounded map would take the memory and time that
 * `MAX_JOBS` bounds for jobs.
 */
export const MAX_QUEUE_OBJECTS = 100;

const QUEUE_MAPS = ["resourceFlavors", "clusterQueues", "localQueues"] as const;

/** `finetune:queues` maps over the limit, checked before anything else is validated. */
export function queueCountProblems(queues: unknown): string[] {
  if (!isPlainObject(queues)) return [];
  return QUEUE_MAPS.flatMap((key) => {
    const map = queues[key];
    const count = isPlainObject(map) ? Object.keys(map).length : 0;
    return count > MAX_QUEUE_OBJECTS
      ? [
          `${keyPath(["queues", key])}: has ${count} entries; at most ${MAX_QUEUE_OBJECTS} fit in one stack: declare the rest from another stack (or keep them in the cluster's own config)`,
        ]
      : [];
  });
}

/**
 * Queue objects named but not declared by the stack. Kueue takes them and waits (a LocalQueue on a
 * missing ClusterQueue admits nothing, a ClusterQueue quoting a missing ResourceFlavor is
 * inactive), so each is a warning: the object may be the platform's, made outside this stack.
 * Queues are checked against the LocalQueues only when the stack declares some; `jobs` holds each
 * job's own `queue` as written (finetune:queue is checked once, as `stackQueue`).
 */
export function queueWarnings(
  jobs: Readonly<Record<string, Pick<Job, "queue">>>,
  stackQueue: string | undefined,
  queues: QueuesConfig | undefined,
): string[] {
  if (queues === undefined) return [];
  const warnings: string[] = [];
  const elsewhere = "; it must exist on the cluster, made outside this stack, or nothing is admitted";
  for (const [name, cq] of Object.entries(queues.localQueues)) {
    if (!(cq in queues.clusterQueues)) {
      warnings.push(
        `${keyPath(["queues", "localQueues", name])}: names ClusterQueue ${cq}, which queues.clusterQueues does not declare${elsewhere}`,
      );
    }
  }
  for (const [cq, spec] of Object.entries(queues.clusterQueues)) {
    for (const flavor of Object.keys(spec.flavors)) {
      if (!(flavor in queues.resourceFlavors)) {
        warnings.push(
          `${keyPath(["queues", "clusterQueues", cq, "flavors", flavor])}: names ResourceFlavor ${flavor}, which queues.resourceFlavors does not declare; it must exist on the cluster, made outside this stack, or the ClusterQueue stays inactive`,
        );
      }
    }
  }
  const local = Object.keys(queues.localQueues);
  if (local.length > 0) {
    const undeclared = (key: string, queue: string) =>
      `${key}: is ${queue}, which queues.localQueues (${local.join(", ")}) does not declare${elsewhere}`;
    if (stackQueue !== undefined && !local.includes(stackQueue))
      warnings.push(undeclared(keyPath(["queue"]), stackQueue));
    for (const [name, job] of Object.entries(jobs)) {
      if (job.queue !== undefined && !local.includes(job.queue)) {
        warnings.push(undeclared(keyPath(["jobs", name, "queue"]), job.queue));
      }
    }
  }
  return warnings;
}
