// Kueue's queue objects, declared by the stack when a team or platform keeps its quotas in the same
// reviewed config (`finetune:queues`, off by default): ResourceFlavors, ClusterQueues with their
// nominal quotas per flavor, and LocalQueues in the jobs' namespace.
// @see apis/kueue/v1beta2 in sigs.k8s.io/kueue v0.19.0
import { z } from "zod";
import { isExtendedResourceName } from "../validation";
import { dns1123Subdomain, isPlainObject, labelKey, labelValue, quantity, strictObject } from "./base";
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

const clusterQueueSchema = strictObject({
  cohort: objectName("a Cohort name").optional(),
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
