// Pure builders of Kueue's queue objects (kueue.x-k8s.io/v1beta2, Kueue v0.19): a ResourceFlavor,
// a ClusterQueue with one resource group (every flavor quoting the same resources), and a
// LocalQueue in the jobs' namespace.
// @see apis/kueue/v1beta2 in sigs.k8s.io/kueue v0.19.0
import type * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../names";
import type { QueuesConfig } from "../schema/queues";

const API_VERSION = "kueue.x-k8s.io/v1beta2";

/** A Kueue object as the program writes it. */
export interface KueueObject {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "ResourceFlavor" | "ClusterQueue" | "LocalQueue";
  readonly metadata: {
    readonly name: string;
    readonly namespace?: pulumi.Input<string>;
    readonly labels: Record<string, string>;
  };
  readonly spec: object;
}

type ClusterQueueConfig = QueuesConfig["clusterQueues"][string];

/** A ResourceFlavor: the nodes a quota stands for, by their labels. */
export function buildResourceFlavor(name: string, flavor: QueuesConfig["resourceFlavors"][string]): KueueObject {
  return {
    apiVersion: API_VERSION,
    kind: "ResourceFlavor",
    metadata: { name, labels: standardLabels("queue") },
    spec: flavor.nodeLabels !== undefined ? { nodeLabels: flavor.nodeLabels } : {},
  };
}

/** A ClusterQueue: nominal quotas per flavor, for the namespaces named (all when none). */
export function buildClusterQueue(name: string, cq: ClusterQueueConfig): KueueObject {
  const flavors = Object.entries(cq.flavors);
  const covered = Object.keys(flavors[0]?.[1] ?? {}).sort();
  return {
    apiVersion: API_VERSION,
    kind: "ClusterQueue",
    metadata: { name, labels: standardLabels("queue") },
    spec: {
      namespaceSelector:
        cq.namespaces === undefined
          ? {}
          : { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: cq.namespaces }] },
      ...(cq.cohort !== undefined ? { cohortName: cq.cohort } : {}),
      ...(cq.preemption !== undefined ? { preemption: cq.preemption } : {}),
      resourceGroups: [
        {
          coveredResources: covered,
          flavors: flavors.map(([flavor, quotas]) => ({
            name: flavor,
            resources: covered.map((resource) => ({ name: resource, nominalQuota: quotas[resource] })),
          })),
        },
      ],
    },
  };
}

/** A LocalQueue of the jobs' namespace, feeding a ClusterQueue. */
export function buildLocalQueue(name: string, namespace: pulumi.Input<string>, clusterQueue: string): KueueObject {
  return {
    apiVersion: API_VERSION,
    kind: "LocalQueue",
    metadata: { name, namespace, labels: standardLabels("queue") },
    spec: { clusterQueue },
  };
}
