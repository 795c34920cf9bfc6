// The guards of a shared cluster (components/guards.ts, builders/ownership.ts): what each hook
// refuses, with the exact message, against a fake cluster; and which hooks the transforms bind to
// each object. End to end, with the real engine and API server: test/e2e/sharedCluster.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { type ClusterObject, installUsers, namespaceContents } from "../components/builders/ownership";
import type { ClusterReader, ServedKind } from "../components/cluster/reader";
import { type GuardContext, guardChecks, guardTransform, HOOKS } from "../components/guards";
import { commandJob, one, runStack, summary, T } from "./support/stacks";

const ME = "organization/finetune/team-a";
const OTHER = "organization/finetune/team-b";

/** A fake cluster: its objects, and how often each kind was listed. */
function cluster(objects: ClusterObject[], kinds: ServedKind[] = []) {
  const lists: string[] = [];
  const reader: ClusterReader = {
    get: async (apiVersion, kind, name, namespace) =>
      objects.find(
        (o) =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          o.metadata?.name === name &&
          o.metadata?.namespace === namespace,
      ),
    list: async (apiVersion, kind, namespace) => {
      lists.push(`${kind}${namespace ? ` in ${namespace}` : ""}`);
      return objects.filter(
        (o) =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          (namespace === undefined || o.metadata?.namespace === namespace),
      );
    },
    log: async () => undefined,
    namespacedKinds: async () => kinds,
  };
  return { reader, lists };
}

function context(reader: ClusterReader, extra: Partial<GuardContext> = {}): GuardContext {
  return {
    owner: ME,
    reader: async () => reader,
    namespace: "research",
    createNamespace: true,
    installUrn: "urn:pulumi:team-a::finetune::finetune:index:TrainingOperator::training-operator",
    ...extra,
  };
}

const obj = (
  kind: string,
  name: string,
  extra: {
    namespace?: string;
    owner?: string;
    apiVersion?: string;
    spec?: unknown;
    owned?: boolean;
    uid?: string;
  } = {},
): ClusterObject => ({
  apiVersion: extra.apiVersion ?? "v1",
  kind,
  metadata: {
    name,
    ...(extra.namespace !== undefined ? { namespace: extra.namespace } : {}),
    ...(extra.uid !== undefined ? { uid: extra.uid } : {}),
    ...(extra.owner !== undefined ? { annotations: { "finetune/stack": extra.owner } } : {}),
    ...(extra.owned ? { ownerReferences: [{ kind: "PyTorchJob", name: "x" }] } : {}),
  },
  ...(extra.spec !== undefined ? { spec: extra.spec } : {}),
});

/** The message a promise rejects with; "resolved" when it does not. */
async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("the create guard", () => {
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "granite-output", namespace: "research", labels: { "app.kubernetes.io/instance": "granite" } },
  };

  it("lets the stack create what does not exist, and what it created itself (a create the state lost)", async () => {
    assert.equal(await refusal(guardChecks(context(cluster([]).reader)).create(pvc, false)), "resolved");
    const own = cluster([obj("PersistentVolumeClaim", "granite-output", { namespace: "research", owner: ME })]);
    assert.equal(await refusal(guardChecks(context(own.reader)).create(pvc, false)), "resolved");
  });

  it("refuses another stack's object, naming the job's key and that stack", async () => {
    const { reader } = cluster([
      obj("PersistentVolumeClaim", "granite-output", { namespace: "research", owner: OTHER }),
    ]);
    assert.equal(
      await refusal(guardChecks(context(reader)).create(pvc, false)),
      "finetune:jobs.granite: PersistentVolumeClaim research/granite-output already exists and was created by the stack organization/finetune/team-b; this stack does not take over what it did not create, so it was left as it is. Another stack or person has an object of that name in namespace research: rename the job, or give this stack a namespace of its own (finetune:namespace); to mount an existing claim, name it in the volume's existingClaim. If it is this stack's own (created before stacks recorded their objects), record that and run again: kubectl annotate persistentvolumeclaim granite-output -n research finetune/stack=organization/finetune/team-a",
    );
  });

  it("refuses a namespace no finetune stack created, saying how to run in it without managing it", async () => {
    const { reader } = cluster([obj("Namespace", "research")]);
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "research" } };
    assert.equal(
      await refusal(guardChecks(context(reader)).create(namespace, false)),
      "finetune:namespace: Namespace research already exists and was not created by this stack (it has no finetune/stack annotation); this stack does not take over what it did not create, so it was left as it is. To run the jobs in it without managing it, set finetune:createNamespace to false; this stack then never deletes it. If it is this stack's own (created before stacks recorded their objects), record that and run again: kubectl annotate namespace research finetune/stack=organization/finetune/team-a",
    );
  });

  it("refuses a second install of the operator, naming the stack that owns it and the key to turn it off", async () => {
    const crd = obj("CustomResourceDefinition", "pytorchjobs.kubeflow.org", {
      apiVersion: "apiextensions.k8s.io/v1",
      owner: OTHER,
    });
    const { reader } = cluster([crd]);
    assert.equal(
      await refusal(
        guardChecks(context(reader)).create(
          {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "pytorchjobs.kubeflow.org" },
          },
          true,
        ),
      ),
      "finetune:trainingOperator.install: CustomResourceDefinition pytorchjobs.kubeflow.org already exists and was created by the stack organization/finetune/team-b; this stack does not take over what it did not create, so it was left as it is. The training operator is installed on this cluster already: set finetune:trainingOperator.install to false to use it as it is; this stack then never deletes it. If it is this stack's own (created before stacks recorded their objects), record that and run again: kubectl annotate customresourcedefinition.apiextensions.k8s.io pytorchjobs.kubeflow.org finetune/stack=organization/finetune/team-a",
    );
  });

  it("names the queue key for Kueue's objects", async () => {
    const cq = obj("ClusterQueue", "research", { apiVersion: "kueue.x-k8s.io/v1beta2", owner: OTHER });
    const { reader } = cluster([cq]);
    const message = await refusal(
      guardChecks(context(reader)).create(
        { apiVersion: "kueue.x-k8s.io/v1beta2", kind: "ClusterQueue", metadata: { name: "research" } },
        false,
      ),
    );
    assert.equal(
      message,
      "finetune:queues.clusterQueues.research: ClusterQueue research already exists and was created by the stack organization/finetune/team-b; this stack does not take over what it did not create, so it was left as it is. Leave it out of finetune:queues.clusterQueues and point a LocalQueue at it as it is (finetune:queues.localQueues: { <queue>: research }); this stack then never deletes it. If it is this stack's own (created before stacks recorded their objects), record that and run again: kubectl annotate clusterqueue.kueue.x-k8s.io research finetune/stack=organization/finetune/team-a",
    );
  });

  it("with createNamespace false, refuses to create anything in a namespace that does not exist", async () => {
    const { reader } = cluster([]);
    const checks = guardChecks(context(reader, { createNamespace: false }));
    assert.equal(
      await refusal(checks.create(pvc, false)),
      "finetune:createNamespace: is false, but namespace research does not exist, so nothing was created in it: create it (kubectl create namespace research), or set finetune:createNamespace to true for this stack to create and own it",
    );
  });

  it("checks nothing while the object's namespace is unknown (a preview): the update checks it", async () => {
    const reader = { get: () => assert.fail("read") } as unknown as ClusterReader;
    const unknownNamespace = { ...pvc, metadata: { ...pvc.metadata, namespace: {} } };
    assert.equal(await refusal(guardChecks(context(reader)).create(unknownNamespace, false)), "resolved");
  });

  it("says what it could not check when the cluster cannot be read, and that nothing changed", async () => {
    const reader = {
      get: async () => {
        throw new Error("could not read PersistentVolumeClaim research/granite-output: HTTP 403: forbidden\nmore");
      },
    } as unknown as ClusterReader;
    assert.equal(
      await refusal(guardChecks(context(reader)).create(pvc, false)),
      "finetune:jobs.granite: the program could not read the cluster to check that PersistentVolumeClaim research/granite-output does not exist yet (could not read PersistentVolumeClaim research/granite-output: HTTP 403: forbidden), so it was not created",
    );
  });
});

describe("the namespace's delete guard", () => {
  const kinds: ServedKind[] = [
    { apiVersion: "v1", kind: "PersistentVolumeClaim" },
    { apiVersion: "v1", kind: "ServiceAccount" },
    { apiVersion: "v1", kind: "ConfigMap" },
    { apiVersion: "v1", kind: "Pod" },
  ];
  const ns = obj("Namespace", "research", { uid: "u-1" });
  const outputs = { apiVersion: "v1", kind: "Namespace", metadata: { name: "research", uid: "u-1" } };
  const urn = "urn:pulumi:team-a::finetune::finetune:index:JobNamespace$kubernetes:core/v1:Namespace::research";

  it("lets it go when it holds only what Kubernetes keeps there, owned objects and objects being deleted", async () => {
    const leaving = {
      ...obj("Pod", "old", { namespace: "research" }),
      metadata: { name: "old", namespace: "research", deletionTimestamp: "2026-12-03T10:00:00Z" },
    };
    const { reader } = cluster(
      [
        ns,
        obj("ServiceAccount", "default", { namespace: "research" }),
        obj("ConfigMap", "kube-root-ca.crt", { namespace: "research" }),
        obj("Pod", "granite-master-0", { namespace: "research", owned: true }),
        leaving,
      ],
      kinds,
    );
    assert.equal(await refusal(guardChecks(context(reader)).deleteNamespace(outputs, urn)), "resolved");
  });

  it("keeps a namespace that holds a volume it does not declare, listing it, and says how to remove it on purpose", async () => {
    const { reader } = cluster([ns, obj("PersistentVolumeClaim", "shared-models", { namespace: "research" })], kinds);
    assert.equal(
      await refusal(guardChecks(context(reader)).deleteNamespace(outputs, urn)),
      `finetune:namespace: namespace research still holds 1 object this stack does not declare: PersistentVolumeClaim research/shared-models. Deleting the namespace would delete them with it, so it is kept and nothing more was deleted. Delete them (or wait for their stacks to remove them) and run pulumi destroy --run-program again; or leave the namespace on the cluster and let this stack forget it: pulumi state delete --target-dependents '${urn}'.`,
    );
  });

  it("refuses when the namespace it reads is not the one the stack created (another cluster)", async () => {
    const { reader } = cluster([obj("Namespace", "research", { uid: "u-2" })], kinds);
    assert.equal(
      await refusal(guardChecks(context(reader)).deleteNamespace(outputs, urn)),
      "finetune:namespace: namespace research on the cluster the program reads is not the one this stack created (another UID): the program and the provider read different clusters (check finetune:cluster.context), so nothing more was deleted",
    );
  });

  it("has nothing to keep once the namespace is gone", async () => {
    const { reader } = cluster([], kinds);
    assert.equal(await refusal(guardChecks(context(reader)).deleteNamespace(outputs, urn)), "resolved");
  });
});

describe("the install's delete guard", () => {
  const crd = (plural: string, group: string, kind: string, owner: string | undefined, scope = "Namespaced") => ({
    ...obj("CustomResourceDefinition", `${plural}.${group}`, {
      apiVersion: "apiextensions.k8s.io/v1",
      ...(owner ? { owner } : {}),
    }),
    spec: {
      group,
      scope,
      names: { kind },
      versions: [
        { name: "v1alpha1", storage: false },
        { name: "v1", storage: true },
      ],
    },
  });

  it("refuses while runs of other stacks exist, listing them; ignores its own runtimes and owned objects", async () => {
    const { reader, lists } = cluster([
      crd("pytorchjobs", "kubeflow.org", "PyTorchJob", ME),
      crd("clustertrainingruntimes", "trainer.kubeflow.org", "ClusterTrainingRuntime", ME, "Cluster"),
      crd("somethings", "example.com", "Something", OTHER),
      obj("PyTorchJob", "granite", { apiVersion: "kubeflow.org/v1", namespace: "team-b", owner: OTHER }),
      obj("PyTorchJob", "done", { apiVersion: "kubeflow.org/v1", namespace: "team-b", owned: true }),
      obj("ClusterTrainingRuntime", "torch-distributed", { apiVersion: "trainer.kubeflow.org/v1", owner: ME }),
    ]);
    const checks = guardChecks(context(reader));
    const [first, second] = await Promise.all([refusal(checks.deleteInstall()), refusal(checks.deleteInstall())]);
    assert.equal(
      first,
      "finetune:trainingOperator.install: the training operator this stack installed is in use by 1 object it does not declare: PyTorchJob team-b/granite (stack organization/finetune/team-b). Deleting the install would delete its CustomResourceDefinitions and every such object with them, so it is kept and nothing more was deleted. Delete them (or wait for their stacks to remove them) and run pulumi destroy --run-program again; or leave the install on the cluster and let this stack forget it: pulumi state delete --target-dependents 'urn:pulumi:team-a::finetune::finetune:index:TrainingOperator::training-operator'.",
    );
    assert.equal(second, first);
    // Checked once for all the install's objects; only the kinds of this stack's own CRDs.
    assert.deepEqual(lists, ["CustomResourceDefinition", "PyTorchJob", "ClusterTrainingRuntime"]);
  });

  it("lets it go when only its own cluster-wide objects are left", async () => {
    const { reader } = cluster([
      crd("clustertrainingruntimes", "trainer.kubeflow.org", "ClusterTrainingRuntime", ME, "Cluster"),
      obj("ClusterTrainingRuntime", "torch-distributed", { apiVersion: "trainer.kubeflow.org/v1", owner: ME }),
    ]);
    assert.equal(await refusal(guardChecks(context(reader)).deleteInstall()), "resolved");
  });

  it("counts this stack's own runs left behind (a job removed from the config while the state was not saved)", () => {
    const left = obj("PyTorchJob", "old", { apiVersion: "kubeflow.org/v1", namespace: "research", owner: ME });
    assert.deepEqual(installUsers([left], ME), [left]);
  });
});

describe("the queue objects' delete guards", () => {
  const lq = (name: string, namespace: string, clusterQueue: string) =>
    obj("LocalQueue", name, { apiVersion: "kueue.x-k8s.io/v1beta2", namespace, spec: { clusterQueue }, owner: OTHER });
  const cqOutputs = { apiVersion: "kueue.x-k8s.io/v1beta2", kind: "ClusterQueue", metadata: { name: "research" } };

  it("keeps a ClusterQueue that LocalQueues submit to", async () => {
    const { reader } = cluster([lq("team-b", "team-b", "research"), lq("other", "team-c", "elsewhere")]);
    assert.equal(
      await refusal(guardChecks(context(reader)).deleteClusterQueue(cqOutputs)),
      "finetune:queues.clusterQueues.research: ClusterQueue research is in use by LocalQueue team-b/team-b (stack organization/finetune/team-b). Deleting it would leave their jobs with no queue, so it is kept and nothing more was deleted. Delete those LocalQueues (or wait for their stacks to remove them) and run pulumi destroy --run-program again.",
    );
    assert.equal(
      await refusal(
        guardChecks(context(cluster([lq("other", "team-c", "elsewhere")]).reader)).deleteClusterQueue(cqOutputs),
      ),
      "resolved",
    );
  });

  it("keeps a ResourceFlavor that ClusterQueues quote", async () => {
    const quoting = obj("ClusterQueue", "research", {
      apiVersion: "kueue.x-k8s.io/v1beta2",
      spec: { resourceGroups: [{ flavors: [{ name: "h100" }] }] },
    });
    const { reader } = cluster([quoting]);
    const flavor = { apiVersion: "kueue.x-k8s.io/v1beta2", kind: "ResourceFlavor", metadata: { name: "h100" } };
    assert.equal(
      await refusal(guardChecks(context(reader)).deleteFlavor(flavor)),
      "finetune:queues.resourceFlavors.h100: ResourceFlavor h100 is quoted by ClusterQueue research. Deleting it would leave their quotas without nodes, so it is kept and nothing more was deleted. Remove it from those ClusterQueues (or wait for their stacks to) and run pulumi destroy --run-program again.",
    );
    const other = { ...flavor, metadata: { name: "a100" } };
    assert.equal(await refusal(guardChecks(context(reader)).deleteFlavor(other)), "resolved");
  });
});

describe("what keeps a namespace", () => {
  it("is every independent object but those Kubernetes keeps in every namespace", () => {
    const kept = [obj("PersistentVolumeClaim", "data", { namespace: "n" }), obj("Secret", "token", { namespace: "n" })];
    const all = [
      ...kept,
      obj("Event", "e", { namespace: "n" }),
      obj("Endpoints", "svc", { namespace: "n" }),
      obj("ServiceAccount", "default", { namespace: "n" }),
      obj("ConfigMap", "kube-root-ca.crt", { namespace: "n" }),
      obj("Service", "master", { namespace: "n", owned: true }),
      obj("PodMetrics", "granite-master-0", { namespace: "n", apiVersion: "metrics.k8s.io/v1beta1" }),
    ];
    assert.deepEqual(namespaceContents(all), kept);
  });

  it("counts an object listed under two API groups once", () => {
    const lease = (apiVersion: string) => obj("Lease", "l", { namespace: "n", uid: "u-7", apiVersion });
    assert.deepEqual(namespaceContents([lease("coordination.k8s.io/v1"), lease("coordination.k8s.io/v1beta1")]), [
      lease("coordination.k8s.io/v1"),
    ]);
  });
});

describe("the guard transforms", () => {
  const hooks = Object.fromEntries(Object.entries(HOOKS).map(([k, name]) => [k, { name }])) as never;
  const stack = guardTransform(hooks, ME, false);
  const install = guardTransform(hooks, ME, true);
  const bound = (
    transform: pulumi.ResourceTransform,
    type: string,
    opts: pulumi.ResourceOptions = {},
    props: Record<string, unknown> = { metadata: { name: "x" } },
  ) => {
    const result = transform({ type, name: "x", custom: true, props, opts }) as
      | pulumi.ResourceTransformResult
      | undefined;
    if (result === undefined) return undefined;
    const names = (list?: unknown[]) => (list ?? []).map((h) => (h as { name: string }).name);
    return {
      annotations: (result.props.metadata as { annotations?: unknown }).annotations,
      beforeCreate: names(result.opts.hooks?.beforeCreate),
      beforeDelete: names(result.opts.hooks?.beforeDelete),
    };
  };

  it("records the stack and binds the create guard on every object, a delete guard on each shared kind", () => {
    const owner = { "finetune/stack": ME };
    assert.deepEqual(bound(stack, "kubernetes:core/v1:Namespace"), {
      annotations: owner,
      beforeCreate: [HOOKS.create],
      beforeDelete: [HOOKS.deleteNamespace],
    });
    assert.deepEqual(bound(stack, "kubernetes:core/v1:Namespace", { retainOnDelete: true }), {
      annotations: owner,
      beforeCreate: [HOOKS.create],
      beforeDelete: [],
    });
    assert.deepEqual(bound(stack, "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue")?.beforeDelete, [
      HOOKS.deleteClusterQueue,
    ]);
    assert.deepEqual(bound(stack, "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor")?.beforeDelete, [
      HOOKS.deleteFlavor,
    ]);
    assert.deepEqual(
      bound(stack, "kubernetes:kubeflow.org/v1:PyTorchJob", {}, { metadata: { name: "x", annotations: { a: "b" } } }),
      {
        annotations: { a: "b", ...owner },
        beforeCreate: [HOOKS.create],
        beforeDelete: [],
      },
    );
    assert.deepEqual(bound(install, "kubernetes:core/v1:Namespace"), {
      annotations: owner,
      beforeCreate: [HOOKS.createInstall],
      beforeDelete: [HOOKS.deleteNamespace, HOOKS.deleteInstall],
    });
    assert.deepEqual(bound(install, "kubernetes:apps/v1:Deployment")?.beforeDelete, [HOOKS.deleteInstall]);
  });

  it("leaves what is not a Kubernetes object alone (components, kustomize, the provider)", () => {
    for (const type of [
      "kubernetes:kustomize/v2:Directory",
      "kubernetes:yaml:ConfigGroup",
      "pulumi:providers:kubernetes",
      "finetune:index:FineTuneJob",
    ]) {
      assert.equal(bound(stack, type), undefined, type);
    }
  });

  it("keeps annotations given as an Output an Output", async () => {
    const result = stack({
      type: "kubernetes:core/v1:Secret",
      name: "x",
      custom: true,
      props: { metadata: { name: "x", annotations: pulumi.output({ a: "b" }) } },
      opts: {},
    }) as pulumi.ResourceTransformResult;
    const annotations = (result.props.metadata as { annotations: pulumi.Output<unknown> }).annotations;
    assert.deepEqual(await (annotations as unknown as { promise(): Promise<unknown> }).promise(), {
      a: "b",
      "finetune/stack": ME,
    });
  });
});

describe("createNamespace: false", () => {
  it("declares no Namespace: the jobs and the namespace's shared objects go into the one that exists", async () => {
    const run = await runStack({
      namespace: "research",
      createNamespace: false,
      trainingOperator: { install: false },
      jobs: { granite: commandJob({ output: { existingClaim: "shared-models" } }) },
    });
    assert.deepEqual(summary(run), [
      "pulumi:providers:kubernetes cluster",
      "finetune:index:JobNamespace research",
      "kubernetes:core/v1:ServiceAccount research-service-account",
      "finetune:index:FineTuneJob granite",
      "kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob",
    ]);
    assert.equal(
      (one(run, T.pytorchJob, "granite-pytorchjob").inputs as { metadata: { namespace: string } }).metadata.namespace,
      "research",
    );
    assert.equal(run.outputs.namespace, "research");
  });
});
