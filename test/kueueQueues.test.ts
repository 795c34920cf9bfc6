// Kueue's queue objects declared by the stack (`finetune:queues`): the config rules, the objects
// field by field, their order (flavors, then ClusterQueues, then LocalQueues, then the jobs
// submitted to them), and each against the Kueue v0.19.0 CRD schemas when the e2e toolchain has
// rendered Kueue's install.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseBundle } from "../components/bundle";
import { problemsOf } from "./support/problems";
import { commandJob, one, runStack, T } from "./support/stacks";
import { type StructuralSchema, validateStructural } from "./support/structuralSchema";

type Json = Record<string, any>;
const problems = (queues: unknown) => problemsOf({ namespace: "ml", queues, jobs: {} });
const CR = "kubernetes:kueue.x-k8s.io/v1beta2";
const KUEUE_INSTALL = path.join(
  process.env.FINETUNE_E2E_CACHE ?? path.join(os.homedir(), ".cache", "finetune-e2e"),
  "manifests",
  "kueue-v0.19.0.yaml",
);

const QUEUES = {
  resourceFlavors: { "h100-nodes": { nodeLabels: { "nvidia.com/gpu.product": "H100" } }, spot: {} },
  clusterQueues: {
    research: {
      cohort: "ml",
      namespaces: ["ml"],
      preemption: { withinClusterQueue: "LowerPriority", reclaimWithinCohort: "Any" },
      flavors: {
        "h100-nodes": { "nvidia.com/gpu": 16, cpu: "128", memory: "1Ti" },
        spot: { cpu: "64", memory: "512Gi", "nvidia.com/gpu": 8 },
      },
    },
  },
  localQueues: { "team-a": "research" },
};

describe("declared queues: the config", () => {
  it("is off by default: no Kueue object without finetune:queues", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { a: commandJob({ queue: "q" }) },
    });
    assert.deepEqual(
      run.resources.filter((r) => r.type.startsWith(CR) || r.type === "finetune:index:KueueQueues"),
      [],
    );
  });

  it("refuses flavors of one ClusterQueue that quote different resources, and names that are no object names", () => {
    assert.deepEqual(
      problems({
        clusterQueues: {
          gpus: { flavors: { a: { "nvidia.com/gpu": 8 }, b: { cpu: "8" } } },
          Bad_Name: { flavors: {} },
        },
        localQueues: { "team-a": "gpus" },
      }),
      [
        "finetune:queues.clusterQueues.gpus.flavors.b: quotes cpu, but a quotes nvidia.com/gpu: every flavor of a ClusterQueue must quote the same resources",
        "finetune:queues.clusterQueues.Bad_Name: must be a ClusterQueue name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
      ],
    );
  });

  it("refuses a preemption policy Kueue does not have, naming the ones it has", () => {
    assert.deepEqual(
      problems({
        clusterQueues: {
          gpus: {
            flavors: { a: { "nvidia.com/gpu": 8 } },
            preemption: { withinClusterQueue: "Always", reclaimWithinCohort: "LowerOrNewerEqualPriority", x: 1 },
          },
        },
      }),
      [
        "finetune:queues.clusterQueues.gpus.preemption.withinClusterQueue: must be one of Never, LowerPriority, LowerOrNewerEqualPriority",
        "finetune:queues.clusterQueues.gpus.preemption.reclaimWithinCohort: must be one of Never, LowerPriority, Any",
        "finetune:queues.clusterQueues.gpus.preemption.x: unknown key; valid keys: withinClusterQueue, reclaimWithinCohort",
      ],
    );
  });

  it("refuses a quota that is no quantity and a resource that is no resource name", () => {
    assert.deepEqual(
      problems({ clusterQueues: { gpus: { flavors: { a: { "nvidia.com/gpu": "eight", "no such": "1" } } } } }),
      [
        "finetune:queues.clusterQueues.gpus.flavors.a.nvidia.com/gpu: must be a positive Kubernetes quantity, a quota such as 8 or 512Gi",
        'finetune:queues.clusterQueues.gpus.flavors.a["no such"]: must be cpu, memory, pods, ephemeral-storage or an extended resource name such as nvidia.com/gpu',
      ],
    );
  });
});

describe("declared queues: the objects", () => {
  it("declares flavors, then ClusterQueues after them, then LocalQueues in the namespace, then the jobs submitted to them", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      queues: QUEUES,
      jobs: { a: commandJob({ queue: "team-a" }), b: commandJob({ queue: "elsewhere" }) },
    });
    assert.deepEqual(one(run, `${CR}:ResourceFlavor`, "flavor-h100-nodes").inputs, {
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind: "ResourceFlavor",
      metadata: {
        name: "h100-nodes",
        annotations: { "finetune/stack": "organization/finetune/test" },
        labels: {
          "app.kubernetes.io/name": "finetune",
          "app.kubernetes.io/component": "queue",
          "app.kubernetes.io/part-of": "finetune",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
      spec: { nodeLabels: { "nvidia.com/gpu.product": "H100" } },
    });
    const cq = one(run, `${CR}:ClusterQueue`, "clusterqueue-research");
    assert.deepEqual((cq.inputs as Json).spec, {
      namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["ml"] }] },
      cohortName: "ml",
      preemption: { withinClusterQueue: "LowerPriority", reclaimWithinCohort: "Any" },
      resourceGroups: [
        {
          coveredResources: ["cpu", "memory", "nvidia.com/gpu"],
          flavors: [
            {
              name: "h100-nodes",
              resources: [
                { name: "cpu", nominalQuota: "128" },
                { name: "memory", nominalQuota: "1Ti" },
                { name: "nvidia.com/gpu", nominalQuota: "16" },
              ],
            },
            {
              name: "spot",
              resources: [
                { name: "cpu", nominalQuota: "64" },
                { name: "memory", nominalQuota: "512Gi" },
                { name: "nvidia.com/gpu", nominalQuota: "8" },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(cq.options.dependsOn, ["flavor-h100-nodes", "flavor-spot"]);
    // Shared objects are guarded: never taken over when they exist, never deleted while in use.
    assert.deepEqual(one(run, `${CR}:ResourceFlavor`, "flavor-h100-nodes").options.hooks, {
      beforeCreate: ["finetune-create-guard"],
      beforeDelete: ["finetune-delete-guard-resourceflavor"],
    });
    assert.deepEqual(cq.options.hooks, {
      beforeCreate: ["finetune-create-guard"],
      beforeDelete: ["finetune-delete-guard-clusterqueue"],
    });
    const lq = one(run, `${CR}:LocalQueue`, "localqueue-team-a");
    assert.deepEqual(
      [(lq.inputs as Json).metadata.namespace, (lq.inputs as Json).spec],
      ["ml", { clusterQueue: "research" }],
    );
    assert.deepEqual(lq.options.dependsOn, ["clusterqueue-research"]);
    assert.deepEqual(lq.options.hooks, { beforeCreate: ["finetune-create-guard"] });
    assert.equal(one(run, T.pytorchJob, "a-pytorchjob").options.dependsOn.includes("localqueue-team-a"), true);
    assert.equal(
      one(run, T.pytorchJob, "b-pytorchjob").options.dependsOn.some((d) => d.startsWith("localqueue-")),
      false,
    );
  });

  const install = fs.existsSync(KUEUE_INSTALL)
    ? parseBundle(fs.readFileSync(KUEUE_INSTALL, "utf8"), KUEUE_INSTALL)
    : [];
  const schemaOf = (kind: string): StructuralSchema | undefined =>
    (
      install.find((o) => o.kind === "CustomResourceDefinition" && (o as Json).spec.names.kind === kind) as
        | Json
        | undefined
    )?.spec.versions.find((v: Json) => v.name === "v1beta2")?.schema.openAPIV3Schema;
  it("passes Kueue v0.19.0's CRD schemas", {
    skip: install.length === 0 && "the e2e toolchain has not rendered Kueue",
  }, async () => {
    const run = await runStack({ namespace: "ml", trainingOperator: { install: false }, queues: QUEUES, jobs: {} });
    const objects = run.resources.filter((r) => r.type.startsWith(CR));
    assert.equal(objects.length, 4);
    for (const r of objects) {
      const schema = schemaOf((r.inputs as Json).kind);
      assert.ok(schema, (r.inputs as Json).kind);
      assert.deepEqual(validateStructural(r.inputs, schema), [], r.name);
    }
  });
});
