// Kueue's queue objects, when the stack declares them (`finetune:queues`): ResourceFlavors and
// ClusterQueues (cluster-wide), and LocalQueues in the jobs' namespace. Jobs submitted to a
// LocalQueue the stack declares are created after it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildClusterQueue, buildLocalQueue, buildResourceFlavor } from "./builders/kueueQueues";
import type { QueuesConfig } from "./config";

/** Arguments of `KueueQueues`. */
export interface KueueQueuesArgs {
  readonly queues: QueuesConfig;
  /** The jobs' namespace, as an Output of the Namespace resource so that LocalQueues come after it. */
  readonly namespace: pulumi.Input<string>;
}

/** The queue objects a stack declares. */
export class KueueQueues extends pulumi.ComponentResource {
  /** The LocalQueues, by name, for jobs to depend on. */
  public readonly localQueues: Readonly<Record<string, pulumi.Resource>>;

  constructor(name: string, args: KueueQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:KueueQueues", name, {}, opts);
    const { queues } = args;
    const flavors = Object.entries(queues.resourceFlavors).map(
      ([flavor, spec]) =>
        new k8s.apiextensions.CustomResource(`flavor-${flavor}`, buildResourceFlavor(flavor, spec), { parent: this }),
    );
    const clusterQueues = Object.fromEntries(
      Object.entries(queues.clusterQueues).map(([cq, spec]) => [
        cq,
        new k8s.apiextensions.CustomResource(`clusterqueue-${cq}`, buildClusterQueue(cq, spec), {
          parent: this,
          dependsOn: flavors,
        }),
      ]),
    );
    const localQueues: Record<string, pulumi.Resource> = {};
    for (const [lq, cq] of Object.entries(queues.localQueues)) {
      localQueues[lq] = new k8s.apiextensions.CustomResource(
        `localqueue-${lq}`,
        buildLocalQueue(lq, args.namespace, cq),
        { parent: this, dependsOn: clusterQueues[cq] !== undefined ? [clusterQueues[cq]] : [] },
      );
    }
    this.localQueues = localQueues;
    this.registerOutputs({});
  }
}
