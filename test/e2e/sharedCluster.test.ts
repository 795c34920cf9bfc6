// Stacks that share a cluster, end to end, as teams run them: the Pulumi CLI on copies of the
// project directory, against one loopback cluster with its controllers (the namespace controller
// among them: it is what turns a namespace's deletion into the loss of everything in it), KWOK GPU
// nodes and the real training operator v1.9.4; then Kubeflow Trainer v2.3.0 with JobSet v0.12.0
// and the real Kueue v0.19.0. No stack takes over an object it did not create (preview and up
// refuse, naming the config key), and no stack's destroy deletes what others still use: a
// namespace holding others' objects, the operator install while others' jobs exist, a
// ClusterQueue while others' LocalQueues submit to it (components/guards.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { exits } from "../../harness/assertions";
import { type CommandResult, createProject, type Project } from "../../harness/cli";
import { buildToolchain, until } from "../../harness/cluster";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { JOBSET, KUEUE, kueueInstall, TRAINER_V2, TRAINING_OPERATOR_V1 } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE, TRAINER_V2_BUNDLE, TRAINER_V2_RUNTIMES } from "../../harness/paths";
import { V1_CRDS } from "../support/structuralSchema";

type Json = Record<string, any>;

const V1_BUNDLE = OPERATOR_V1_BUNDLE;
const TRAINER_BUNDLE = TRAINER_V2_BUNDLE;
const RUNTIMES_BUNDLE = TRAINER_V2_RUNTIMES;
/** The exit code of a CLI command whose update failed. */
const FAILED = 1;
/** The organization the CLI gives a stack of a file:// backend; each stack records `organization/finetune/<stack>`. */
const owner = (stack: string) => `organization/finetune/${stack}`;

const job = (extra: Json = {}): Json => ({
  image: "registry.example.com/ml/trainer:1.0",
  resources: { memory: "16Gi" },
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  wait: "running",
  ...extra,
});

/** Asserts that `output` holds `text` (as the CLI prints it, lines joined). */
function says(result: CommandResult, text: string): void {
  const flat = result.output.replace(/\s*\n\s*/g, " ");
  assert.equal(
    flat.includes(text),
    true,
    `expected the output to say:\n${text}\n\nit was:\n${result.output.slice(-6000)}`,
  );
}

/** Every resource type and name in a stack's state. */
function stateOf(project: Project): string[] {
  if (!fs.existsSync(project.stateFile())) return [];
  const state = JSON.parse(fs.readFileSync(project.stateFile(), "utf8"));
  return (state.checkpoint.latest?.resources ?? []).map((r: Json) => `${r.type}::${String(r.urn).split("::").pop()}`);
}

describe("end to end: stacks sharing a cluster with the training operator v1, through the CLI", () => {
  let world: FullCluster;
  let platform: Project;
  let team: Project;
  let research: Project;
  let solo: Project;
  const get = async (...args: string[]): Promise<Json> =>
    JSON.parse(await world.cluster.kubectlAsync("get", ...args, "-o", "json"));
  /** Whether `kubectl get ARGS` finds the object. */
  const present = async (...args: string[]) =>
    world.cluster.kubectlAsync("get", ...args, "-o", "name").then(
      () => true,
      () => false,
    );
  const uids = async (kind: string, names: string[], ns?: string) =>
    Promise.all(names.map(async (n) => (await get(kind, n, ...(ns ? ["-n", ns] : []))).metadata.uid as string));
  const CRDS = V1_CRDS;
  let crdUids: string[] = [];
  const running = async (name: string, ns: string) =>
    ((await get("pytorchjob", name, "-n", ns)).status?.conditions ?? [])
      .filter((c: Json) => c.status === "True")
      .map((c: Json) => c.type);
  const platformConfig = (jobs: Json) => ({
    namespace: "platform",
    cluster: { context: world.cluster.context },
    trainingOperator: { source: V1_BUNDLE },
    jobs,
  });

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    world.supervise(TRAINING_OPERATOR_V1);
    platform = await createProject(world.cluster, bin, "platform", "platform");
    team = await createProject(world.cluster, bin, "team", "team-b");
    research = await createProject(world.cluster, bin, "research", "research");
    solo = await createProject(world.cluster, bin, "solo", "solo");
  });

  after(async () => {
    await world?.stop();
  });

  it("s1. the first stack installs the operator and runs a job; every object it creates records it", async () => {
    await world.controllers.setHolding(["alpha/master"]);
    platform.writeConfig(platformConfig({ alpha: job() }));
    exits(await platform.pulumi("up", "--yes"), 0);
    for (const crd of CRDS) {
      assert.equal((await get("crd", crd)).metadata.annotations["finetune/stack"], owner("platform"), crd);
    }
    assert.equal(
      (await get("pytorchjob", "alpha", "-n", "platform")).metadata.annotations["finetune/stack"],
      owner("platform"),
    );
    crdUids = await uids("crd", CRDS);
  });

  it("s2. a second stack with the default install is refused at preview and at up, naming the stack that owns it", async () => {
    team.writeConfig({
      namespace: "team-b",
      cluster: { context: world.cluster.context },
      trainingOperator: { source: V1_BUNDLE },
      jobs: { beta: job() },
    });
    // Each object of the install that exists is refused; which the engine reaches first varies.
    const refusal = `already exists and was created by the stack ${owner("platform")}; this stack does not take over what it did not create, so it was left as it is. The training operator is installed on this cluster already: set finetune:trainingOperator.install to false to use it as it is; this stack then never deletes it.`;
    const preview = await team.pulumi("preview");
    assert.notEqual(preview.code, 0);
    says(preview, refusal);
    const up = await team.pulumi("up", "--yes");
    exits(up, FAILED);
    says(up, refusal);
    says(up, "finetune:trainingOperator.install: ");
    // Nothing of the install was taken over: the same objects, still recorded as the platform's.
    assert.deepEqual(await uids("crd", CRDS), crdUids);
    for (const crd of CRDS) {
      const { metadata } = await get("crd", crd);
      assert.equal(metadata.annotations["finetune/stack"], owner("platform"), crd);
    }
    assert.deepEqual(
      stateOf(team).filter((r) => r.includes("CustomResourceDefinition")),
      [],
    );
  });

  it("s3. with install: false, the second stack runs its job on the first stack's operator", async () => {
    await world.controllers.setHolding(["alpha/master", "beta/master"]);
    team.writeConfig({
      namespace: "team-b",
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false, workerPodSecurity: "restricted" },
      jobs: { beta: job() },
    });
    exits(await team.pulumi("up", "--yes"), 0);
    assert.deepEqual(await running("beta", "team-b"), ["Created", "Running"]);
  });

  it("a1. a namespace made beforehand with a volume in it: a stack naming it is refused at preview and up; nothing in it changes", async () => {
    await world.cluster.kubectlAsync("create", "namespace", "research");
    const claim = path.join(world.cluster.dir, "shared-models.yaml");
    fs.writeFileSync(
      claim,
      stringify({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "shared-models", namespace: "research" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      }),
    );
    await world.cluster.kubectlAsync("apply", "-f", claim);
    const before = [
      (await get("namespace", "research")).metadata.uid,
      (await get("pvc", "shared-models", "-n", "research")).metadata.uid,
    ];
    research.writeConfig({
      namespace: "research",
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false, workerPodSecurity: "restricted" },
      jobs: { gamma: job({ output: { existingClaim: "shared-models" }, wait: "succeeded" }) },
    });
    const refusal = `finetune:namespace: Namespace research already exists and was not created by this stack (it has no finetune/stack annotation); this stack does not take over what it did not create, so it was left as it is. To run the jobs in it without managing it, set finetune:createNamespace to false; this stack then never deletes it.`;
    const preview = await research.pulumi("preview");
    assert.notEqual(preview.code, 0);
    says(preview, refusal);
    const up = await research.pulumi("up", "--yes");
    exits(up, FAILED);
    says(up, refusal);
    const ns = await get("namespace", "research");
    assert.deepEqual([ns.metadata.uid, (await get("pvc", "shared-models", "-n", "research")).metadata.uid], before);
    assert.equal(ns.metadata.annotations?.["finetune/stack"], undefined);
    assert.equal(
      stateOf(research).some((r) => r.startsWith("kubernetes:core/v1:Namespace")),
      false,
    );
  });

  it("a2. with createNamespace: false the stack runs there; its destroy leaves the namespace and the volume as they were", async () => {
    const before = [
      (await get("namespace", "research")).metadata.uid,
      (await get("pvc", "shared-models", "-n", "research")).metadata.uid,
    ];
    research.writeConfig({
      namespace: "research",
      createNamespace: false,
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false, workerPodSecurity: "restricted" },
      jobs: { gamma: job({ output: { existingClaim: "shared-models" }, wait: "succeeded" }) },
    });
    exits(await research.pulumi("up", "--yes"), 0);
    assert.deepEqual(await running("gamma", "research"), ["Created", "Succeeded"]);
    exits(await research.pulumi("destroy", "--run-program", "--yes"), 0);
    const ns = await get("namespace", "research");
    assert.equal(ns.metadata.deletionTimestamp, undefined);
    assert.deepEqual([ns.metadata.uid, (await get("pvc", "shared-models", "-n", "research")).metadata.uid], before);
    assert.deepEqual(await world.items("pytorchjobs", "-n", "research"), []);
  });

  it("s4. the owner's destroy is refused while the other stack's job runs: the CRDs and that job keep their UIDs, it stays Running", async () => {
    const [beta] = await uids("pytorchjob", ["beta"], "team-b");
    const plain = await platform.pulumi("destroy", "--yes");
    assert.notEqual(plain.code, 0);
    says(plain, "You must run with the `--run-program` flag to use delete hooks during destroy.");
    const destroy = await platform.pulumi("destroy", "--run-program", "--yes");
    exits(destroy, FAILED);
    says(
      destroy,
      `finetune:trainingOperator.install: the training operator this stack installed is in use by 1 object it does not declare: PyTorchJob team-b/beta (stack ${owner("team-b")}). Deleting the install would delete its CustomResourceDefinitions and every such object with them, so it is kept and nothing more was deleted.`,
    );
    assert.deepEqual(await uids("crd", CRDS), crdUids);
    assert.deepEqual(await uids("pytorchjob", ["beta"], "team-b"), [beta]);
    assert.deepEqual(await running("beta", "team-b"), ["Created", "Running"]);
    assert.equal(await present("deployment", "training-operator", "-n", "kubeflow"), true);
  });

  it("s5. the other stack's destroy leaves the install alone", async () => {
    exits(await team.pulumi("destroy", "--run-program", "--yes"), 0);
    assert.deepEqual(await uids("crd", CRDS), crdUids);
    assert.equal(await present("deployment", "training-operator", "-n", "kubeflow"), true);
  });

  it("d1. a namespace the stack created is kept while it holds an object the stack does not declare, and listed", async () => {
    solo.writeConfig({
      namespace: "solo",
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false, workerPodSecurity: "restricted" },
      jobs: { delta: job({ output: { size: "1Gi", retain: false }, wait: "succeeded" }) },
    });
    exits(await solo.pulumi("up", "--yes"), 0);
    const ns = (await get("namespace", "solo")).metadata.uid;
    await world.cluster.kubectlAsync("create", "configmap", "notes", "-n", "solo", "--from-literal=owner=someone-else");
    const destroy = await solo.pulumi("destroy", "--run-program", "--yes");
    exits(destroy, FAILED);
    says(
      destroy,
      "finetune:namespace: namespace solo still holds 1 object this stack does not declare: ConfigMap solo/notes. Deleting the namespace would delete them with it, so it is kept and nothing more was deleted.",
    );
    assert.equal((await get("namespace", "solo")).metadata.uid, ns);
    assert.equal(await present("configmap", "notes", "-n", "solo"), true);
    // Everything else of the stack is gone; only the namespace is left in its state.
    assert.deepEqual(
      stateOf(solo).filter((r) => r.startsWith("kubernetes:")),
      ["kubernetes:core/v1:Namespace::solo"],
    );
  });

  it("d2. once it holds only what the stack declared, destroy deletes the namespace it created", async () => {
    await world.cluster.kubectlAsync("delete", "configmap", "notes", "-n", "solo");
    exits(await solo.pulumi("destroy", "--run-program", "--yes"), 0);
    await until("namespace solo to be gone", async () => !(await present("namespace", "solo")), 120_000);
  });

  it("s6. once no other stack uses it, the owner's destroy removes the install", async () => {
    await world.controllers.setHolding([]);
    exits(await platform.pulumi("destroy", "--run-program", "--yes"), 0);
    await until(
      "the kubeflow.org CRDs to be gone",
      async () => (await world.items("crds")).every((c) => !CRDS.includes(c.metadata.name)),
      120_000,
    );
  });
});

describe("end to end: stacks sharing a cluster with Kubeflow Trainer v2 and Kueue, through the CLI", () => {
  let world: FullCluster;
  let platform: Project;
  let team: Project;
  let other: Project;
  const get = async (...args: string[]): Promise<Json> =>
    JSON.parse(await world.cluster.kubectlAsync("get", ...args, "-o", "json"));
  const queues = {
    resourceFlavors: { "gpu-nodes": {} },
    clusterQueues: { gpus: { flavors: { "gpu-nodes": { cpu: "64", memory: "512Gi", "nvidia.com/gpu": 8 } } } },
    localQueues: { "team-queue": "gpus" },
  };
  const v2 = { version: "v2.3.0", source: TRAINER_BUNDLE, runtimesSource: RUNTIMES_BUNDLE };
  let crdUid = "";

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    const operators = [world.supervise(JOBSET), world.supervise(TRAINER_V2)];
    platform = await createProject(world.cluster, bin, "platform-v2", "platform-v2");
    team = await createProject(world.cluster, bin, "team-v2", "team-v2");
    other = await createProject(world.cluster, bin, "other-v2", "other-v2");
    platform.writeConfig({
      namespace: "platform-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: v2,
      jobs: {},
    });
    exits(await platform.pulumi("up", "--yes"), 0);
    await Promise.all(operators.map((o) => o.started));
    crdUid = (await get("crd", "trainjobs.trainer.kubeflow.org")).metadata.uid;
    const kueue = world.supervise(KUEUE);
    const install = path.join(world.cluster.dir, "kueue-install.yaml");
    fs.writeFileSync(install, kueueInstall(bin, "trainer.kubeflow.org/trainjob"));
    await world.cluster.kubectlAsync("apply", "--server-side", "-f", install);
    await kueue.started;
  });

  after(async () => {
    await world?.stop();
  });

  it("c1. a second Trainer v2 install is refused; with install: false the team's TrainJob runs on the platform's", async () => {
    team.writeConfig({
      namespace: "team-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: v2,
      jobs: { epsilon: job() },
    });
    const preview = await team.pulumi("preview");
    assert.notEqual(preview.code, 0);
    says(preview, `already exists and was created by the stack ${owner("platform-v2")}`);
    says(preview, "set finetune:trainingOperator.install to false to use it as it is");
    await world.controllers.setHolding(["epsilon-node-0"]);
    team.writeConfig({
      namespace: "team-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: { version: "v2.3.0", install: false },
      queues,
      jobs: { epsilon: job() },
    });
    exits(await team.pulumi("up", "--yes"), 0);
    assert.equal((await get("clusterqueue", "gpus")).metadata.annotations["finetune/stack"], owner("team-v2"));
  });

  it("c2. a ClusterQueue declared by a second stack is refused, naming the key; a LocalQueue of its own onto it is not", async () => {
    other.writeConfig({
      namespace: "other-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: { version: "v2.3.0", install: false },
      queues: { ...queues, resourceFlavors: {}, localQueues: { "other-queue": "gpus" } },
      jobs: {},
    });
    const cq = (await get("clusterqueue", "gpus")).metadata.uid;
    const up = await other.pulumi("up", "--yes");
    exits(up, FAILED);
    says(
      up,
      `finetune:queues.clusterQueues.gpus: ClusterQueue gpus already exists and was created by the stack ${owner("team-v2")}; this stack does not take over what it did not create, so it was left as it is. Leave it out of finetune:queues.clusterQueues and point a LocalQueue at it as it is (finetune:queues.localQueues: { <queue>: gpus }); this stack then never deletes it.`,
    );
    assert.equal((await get("clusterqueue", "gpus")).metadata.uid, cq);
    other.writeConfig({
      namespace: "other-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: { version: "v2.3.0", install: false },
      queues: { localQueues: { "other-queue": "gpus" } },
      jobs: {},
    });
    exits(await other.pulumi("up", "--yes"), 0);
    assert.equal((await get("localqueue", "other-queue", "-n", "other-v2")).spec.clusterQueue, "gpus");
  });

  it("c3. the install's owner cannot destroy it under the team's TrainJob; the queue's owner cannot delete it under the other's LocalQueue", async () => {
    const trainJob = (await get("trainjob", "epsilon", "-n", "team-v2")).metadata.uid;
    const destroy = await platform.pulumi("destroy", "--run-program", "--yes");
    exits(destroy, FAILED);
    says(destroy, `is in use by 1 object it does not declare: TrainJob team-v2/epsilon (stack ${owner("team-v2")})`);
    assert.equal((await get("crd", "trainjobs.trainer.kubeflow.org")).metadata.uid, crdUid);
    assert.equal((await get("trainjob", "epsilon", "-n", "team-v2")).metadata.uid, trainJob);
    const pods = await world.items("pods", "-n", "team-v2", "-l", "jobset.sigs.k8s.io/jobset-name=epsilon");
    assert.deepEqual(
      pods.map((p) => p.status.phase),
      ["Running"],
    );
    // The queue's owner removes its jobs and queues: the ClusterQueue stays while the other's LocalQueue submits to it.
    const cq = (await get("clusterqueue", "gpus")).metadata.uid;
    const teamDown = await team.pulumi("destroy", "--run-program", "--yes");
    exits(teamDown, FAILED);
    says(
      teamDown,
      `finetune:queues.clusterQueues.gpus: ClusterQueue gpus is in use by LocalQueue other-v2/other-queue (stack ${owner("other-v2")}). Deleting it would leave their jobs with no queue, so it is kept and nothing more was deleted.`,
    );
    assert.equal((await get("clusterqueue", "gpus")).metadata.uid, cq);
  });

  it("c4. once the others are gone, each owner's destroy completes", async () => {
    await world.controllers.setHolding([]);
    exits(await other.pulumi("destroy", "--run-program", "--yes"), 0);
    exits(await team.pulumi("destroy", "--run-program", "--yes"), 0);
    exits(await platform.pulumi("destroy", "--run-program", "--yes"), 0);
    await until(
      "the trainer.kubeflow.org CRDs to be gone",
      async () => (await world.items("crds")).every((c) => !c.metadata.name.endsWith(".trainer.kubeflow.org")),
      120_000,
    );
  });
});
