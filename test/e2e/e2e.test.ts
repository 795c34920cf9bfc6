// End to end: the real program driven by the Pulumi engine (Automation API, local file backend)
// with the real Kubernetes provider against a real kube-apiserver and etcd on loopback. No kubelet
// and no controllers run, so pods never start: this proves what the engine and the API server do
// with what the program declares (creates, CRD validation, no-op second runs, replacements,
// retention on destroy), not that training runs.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalWorkspace, type OpType, type Stack } from "@pulumi/pulumi/automation";
import { parseBundle } from "../../components/bundle";
import { loadConfig } from "../../components/config";
import { declareStack } from "../../components/stack";
import { buildToolchain, type Cluster, startCluster, until } from "../../harness/cluster";
import { OPERATOR_BUNDLE, V1_CRDS } from "../support/structuralSchema";

type Json = Record<string, any>;

const SECRETS = { hfToken: "hf_e2e_canary", s3AccessKeyId: "AKIA_E2E", s3SecretAccessKey: "e2e_secret" };

const jobs = (epochs: number) => ({
  granite: {
    image: "registry.example.com/ml/instructlab-training:0.10.1",
    nodes: 2,
    model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "1Gi" },
    dataset: { source: "s3://training-data/granite", endpoint: "https://minio.example.com:9000", size: "1Gi" },
    output: { size: "1Gi" },
    trainer: { type: "instructlab", epochs },
    wait: "none",
  },
  smoke: {
    image: "registry.example.com/ml/trainer:1.0",
    output: { size: "1Gi" },
    trainer: { type: "command", command: ["python", "-m", "smoke"] },
    wait: "none",
  },
});

/** What one preview or update did, per resource: `type name` to its operations. */
interface Plan {
  readonly ops: Map<string, Set<OpType>>;
  readonly summary: Record<string, number>;
}

function recorder() {
  const ops = new Map<string, Set<OpType>>();
  return {
    ops,
    onEvent: (e: Json) => {
      const m = e.resourcePreEvent?.metadata;
      if (!m) return;
      const name = String(m.urn).split("::").pop();
      const key = `${m.type} ${name}`;
      if (!ops.has(key)) ops.set(key, new Set());
      ops.get(key)?.add(m.op);
    },
  };
}

async function preview(stack: Stack): Promise<Plan> {
  const r = recorder();
  const result = await stack.preview({ onEvent: r.onEvent as never });
  return { ops: r.ops, summary: result.changeSummary as Record<string, number> };
}

/** The resources (`type name`) whose planned operations are other than "same". */
function changed(plan: Plan): Record<string, string[]> {
  return Object.fromEntries(
    [...plan.ops].filter(([, ops]) => [...ops].some((op) => op !== "same")).map(([k, ops]) => [k, [...ops].sort()]),
  );
}

describe("end to end: pulumi preview, up, preview, change, destroy against a real API server", () => {
  let cluster: Cluster;
  let work: string;
  let stack: Stack;
  const names = (kind: string, ns?: string) =>
    cluster
      .kubectl("get", kind, ...(ns ? ["-n", ns] : []), "-o", "jsonpath={.items[*].metadata.name}")
      .split(" ")
      .filter(Boolean)
      .sort();

  before(async () => {
    const bin = buildToolchain();
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    cluster = await startCluster(bin);
    work = path.join(cluster.dir, "pulumi");
    fs.mkdirSync(path.join(work, "state"), { recursive: true });
  });

  after(async () => {
    await cluster?.stop();
  });

  const workspaceOptions = () => ({
    workDir: work,
    projectSettings: {
      name: "finetune",
      runtime: "nodejs" as const,
      backend: { url: `file://${path.join(work, "state")}` },
    },
    envVars: {
      PULUMI_CONFIG_PASSPHRASE: "e2e",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: path.join(work, "home"),
      KUBECONFIG: cluster.kubeconfig,
    },
  });

  async function configure(s: Stack, config: Record<string, unknown>) {
    for (const [key, value] of Object.entries(config)) {
      const secret = key in SECRETS;
      await s.setConfig(`finetune:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
        secret,
      });
    }
  }

  it("1. installs the PyTorchJob CRD from the upstream bundle", async () => {
    const crd = parseBundle(fs.readFileSync(OPERATOR_BUNDLE, "utf8"), OPERATOR_BUNDLE).find(
      (o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "pytorchjobs.kubeflow.org",
    );
    const file = path.join(cluster.dir, "pytorchjob-crd.json");
    fs.writeFileSync(file, JSON.stringify(crd));
    cluster.kubectl("apply", "--server-side", "-f", file);
    // The CRD's status appears a moment after it is applied; wait for it to be Established.
    const established = () =>
      (
        (JSON.parse(cluster.kubectl("get", "crd/pytorchjobs.kubeflow.org", "-o", "json")).status?.conditions ??
          []) as Json[]
      ).some((c) => c.type === "Established" && c.status === "True");
    await until("the PyTorchJob CRD is Established", established, 60_000);
    assert.deepEqual(names("crd"), ["pytorchjobs.kubeflow.org"]);
  });

  it("2. preview plans the expected creates", async () => {
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "e2e", projectName: "finetune", program: async () => declareStack(loadConfig()) },
      workspaceOptions(),
    );
    await configure(stack, {
      namespace: "e2e-jobs",
      cluster: { kubeconfig: cluster.kubeconfig, skipAwait: true },
      trainingOperator: { install: false },
      ...SECRETS,
      jobs: jobs(2),
    });
    const plan = await preview(stack);
    const k8sCreates = [...plan.ops]
      .filter(([k, ops]) => k.startsWith("kubernetes:") && ops.has("create"))
      .map(([k]) => k)
      .sort();
    assert.deepEqual(k8sCreates, [
      "kubernetes:batch/v1:Job granite-prepare",
      "kubernetes:batch/v1:Job granite-stage-dataset",
      "kubernetes:batch/v1:Job granite-stage-model",
      "kubernetes:core/v1:Namespace e2e-jobs",
      "kubernetes:core/v1:PersistentVolumeClaim granite-dataset",
      "kubernetes:core/v1:PersistentVolumeClaim granite-model",
      "kubernetes:core/v1:PersistentVolumeClaim granite-output",
      "kubernetes:core/v1:PersistentVolumeClaim smoke-output",
      "kubernetes:core/v1:Secret e2e-jobs-hf-token",
      "kubernetes:core/v1:Secret e2e-jobs-s3-credentials",
      "kubernetes:core/v1:ServiceAccount e2e-jobs-service-account",
      "kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob",
      "kubernetes:kubeflow.org/v1:PyTorchJob smoke-pytorchjob",
    ]);
  });

  it("3. up creates every object, the PyTorchJobs accepted against the CRD schema", async () => {
    const result = await stack.up();
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(names("pytorchjobs.kubeflow.org", "e2e-jobs"), ["granite", "smoke"]);
    assert.deepEqual(names("jobs.batch", "e2e-jobs"), [
      "granite-prepare",
      "granite-stage-dataset",
      "granite-stage-model",
    ]);
    assert.deepEqual(names("pvc", "e2e-jobs"), ["granite-dataset", "granite-model", "granite-output", "smoke-output"]);
    assert.deepEqual(names("secrets", "e2e-jobs"), ["hf-token", "s3-credentials"]);
    const token = JSON.parse(cluster.kubectl("get", "secret", "hf-token", "-n", "e2e-jobs", "-o", "json")).data.token;
    assert.equal(Buffer.from(token, "base64").toString(), SECRETS.hfToken);
    const pj = JSON.parse(cluster.kubectl("get", "pytorchjob", "granite", "-n", "e2e-jobs", "-o", "json"));
    assert.equal(pj.spec.pytorchReplicaSpecs.Worker.replicas, 1);
    assert.equal(pj.spec.nprocPerNode, "1");
    assert.equal(JSON.stringify(result.outputs).includes(SECRETS.hfToken), false);
    assert.deepEqual(result.outputs.jobs.value.granite.outputClaim, "granite-output");
  });

  it("4. a second preview changes nothing", async () => {
    const plan = await preview(stack);
    assert.deepEqual(changed(plan), {});
    assert.deepEqual(Object.keys(plan.summary), ["same"]);
  });

  it("5. a hyperparameter change replaces that job's PyTorchJob only, and up applies it", async () => {
    await configure(stack, { jobs: jobs(3) });
    const plan = await preview(stack);
    assert.deepEqual(Object.keys(changed(plan)), ["kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob"]);
    assert.equal(plan.ops.get("kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob")?.has("replace"), true);
    const result = await stack.up();
    assert.equal(result.summary.result, "succeeded");
    const pj = JSON.parse(cluster.kubectl("get", "pytorchjob", "granite", "-n", "e2e-jobs", "-o", "json"));
    assert.equal(
      pj.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].command.includes("--num_epochs=3"),
      true,
    );
  });

  it("6. destroy removes jobs, staging Jobs and Secrets, and keeps the output PVCs", async () => {
    const result = await stack.destroy({ runProgram: true });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(names("pytorchjobs.kubeflow.org", "e2e-jobs"), []);
    assert.deepEqual(names("jobs.batch", "e2e-jobs"), []);
    assert.deepEqual(names("secrets", "e2e-jobs"), []);
    assert.deepEqual(names("serviceaccounts", "e2e-jobs"), []);
    assert.deepEqual(names("pvc", "e2e-jobs"), ["granite-output", "smoke-output"]);
    assert.deepEqual(names("namespaces").includes("e2e-jobs"), true, "the namespace holding retained outputs is kept");
  });

  it("7. a second stack installs the operator bundle from the local file, once the hand-installed CRD is gone", async () => {
    // The CRD test 1 applied by hand: no stack created it, so an install is refused while it is there.
    cluster.kubectl("delete", "crd", "pytorchjobs.kubeflow.org", "--wait=true");
    const operator = await LocalWorkspace.createOrSelectStack(
      { stackName: "e2e-operator", projectName: "finetune", program: async () => declareStack(loadConfig()) },
      workspaceOptions(),
    );
    await configure(operator, {
      namespace: "e2e-platform",
      cluster: { kubeconfig: cluster.kubeconfig, skipAwait: true },
      trainingOperator: { source: OPERATOR_BUNDLE },
      jobs: {},
    });
    const result = await operator.up();
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(names("crd"), V1_CRDS);
    assert.deepEqual(names("deployments", "kubeflow"), ["training-operator"]);
    assert.deepEqual(names("validatingwebhookconfigurations"), ["validator.training-operator.kubeflow.org"]);
    assert.equal(names("secrets", "kubeflow").includes("training-operator-webhook-cert"), true);
    const again = await preview(operator);
    assert.deepEqual(changed(again), {});
  });
});
