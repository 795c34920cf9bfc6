// Kubeflow Trainer v2: the TrainJob a job becomes, field by field; the install of the manager and
// its runtimes; every rendered TrainJob against the v2.3.0 CRD schema and the webhooks' rules on
// the built-in runtimes; and the move of a job from the v1 operator to v2 as a preview plans it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { patchTrainerInstall } from "../components/builders/v2/install";
import { readTrainJobStatus, waitAnnotations } from "../components/builders/v2/status";
import { buildTrainJob } from "../components/builders/v2/trainJob";
import { parseConfig } from "../components/config";
import { one, plan, runStack, T } from "./support/stacks";
import { validateStructural } from "./support/structuralSchema";
import {
  builtInRuntimes,
  RUNTIMES_BUNDLE,
  TRAINER_BUNDLE,
  trainJobSchema,
  trainJobWebhookViolations,
} from "./support/trainJob";

type Json = Record<string, any>;
const TRAINJOB = "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob";

const job = (extra: Json = {}): Json => ({
  image: "registry.example.com/ml/trainer:1.0",
  nodes: 2,
  gpusPerNode: 4,
  resources: { cpu: "16", memory: "128Gi" },
  shmSize: "32Gi",
  env: { EPOCHS: "3" },
  model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "40Gi" },
  dataset: { existingClaim: "sft-data" },
  output: { size: "100Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  scheduling: { nodeSelector: { "gpu.example.com/model": "h100" } },
  runPolicy: { activeDeadlineSeconds: 86400 },
  ...extra,
});
const v2 = (jobs: Json, extra: Json = {}) => ({
  namespace: "ml",
  trainingOperator: { version: "v2.3.0", install: false },
  jobs,
  ...extra,
});

describe("buildTrainJob", () => {
  const config = parseConfig(v2({ granite: job() }), new Set());
  const trainJob = buildTrainJob({ name: "granite", namespace: "ml", job: config.jobs.granite, hfToken: true });

  it("names the runtime and spells the trainer: image, argv, env, nodes, GPUs and memory per node", () => {
    assert.deepEqual(trainJob.spec.runtimeRef, {
      apiGroup: "trainer.kubeflow.org",
      kind: "ClusterTrainingRuntime",
      name: "torch-distributed",
    });
    assert.deepEqual(trainJob.spec.trainer, {
      image: "registry.example.com/ml/trainer:1.0",
      command: ["torchrun", "train.py"],
      env: [
        { name: "EPOCHS", value: "3" },
        { name: "CHECKPOINT_DIR", value: "/mnt/output/checkpoints" },
        { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
      ],
      numNodes: 2,
      numProcPerNode: 4,
      resourcesPerNode: {
        requests: { cpu: "16", memory: "128Gi" },
        limits: { "nvidia.com/gpu": "4", memory: "128Gi" },
      },
    });
    assert.equal(trainJob.spec.activeDeadlineSeconds, 86400);
  });

  it("patches the trainer's pods through one runtimePatches entry the program manages", () => {
    assert.equal(trainJob.spec.runtimePatches.length, 1);
    const [patch] = trainJob.spec.runtimePatches;
    assert.equal(patch.manager, "finetune.dev/program");
    const [node] = patch.trainingRuntimeSpec.template.spec.replicatedJobs;
    assert.equal(node.name, "node");
    const pod = node.template.spec.template;
    assert.deepEqual(pod.metadata, {
      labels: {
        "app.kubernetes.io/name": "finetune",
        "app.kubernetes.io/instance": "granite",
        "app.kubernetes.io/component": "training",
        "app.kubernetes.io/part-of": "finetune",
        "app.kubernetes.io/managed-by": "pulumi",
      },
      annotations: { "finetune/model-source": "hf://ibm-granite/granite-3.1-8b-base" },
    });
    assert.deepEqual(pod.spec, {
      serviceAccountName: "finetune",
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      volumes: [
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "32Gi" } },
        { name: "model", persistentVolumeClaim: { claimName: "granite-model", readOnly: true } },
        { name: "dataset", persistentVolumeClaim: { claimName: "sft-data", readOnly: true } },
        { name: "output", persistentVolumeClaim: { claimName: "granite-output" } },
      ],
      containers: [
        {
          name: "node",
          volumeMounts: [
            { name: "dshm", mountPath: "/dev/shm" },
            { name: "model", mountPath: "/mnt/model", readOnly: true },
            { name: "dataset", mountPath: "/mnt/dataset", readOnly: true },
            { name: "output", mountPath: "/mnt/output" },
          ],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      nodeSelector: { "gpu.example.com/model": "h100" },
    });
  });

  it("waits as for a PyTorchJob: annotations on the TrainJob's metadata", () => {
    assert.deepEqual(trainJob.metadata.annotations, waitAnnotations("running"));
    assert.deepEqual(waitAnnotations("succeeded"), {
      "pulumi.com/waitFor":
        'jsonpath={.status.conditions[?@.status=="True" && (@.type=="Complete" || @.type=="Failed")].type}',
    });
    assert.deepEqual(waitAnnotations("running"), {
      "pulumi.com/waitFor":
        'jsonpath={.status[?$.status.conditions[?@.status=="True" && (@.type=="Complete" || @.type=="Failed")] || $.status.jobsStatus[?@.name=="node" && (@.ready > 0 || @.succeeded > 0)]]}',
    });
  });
});

describe("readTrainJobStatus", () => {
  const table: [string, Json | undefined, Json][] = [
    ["no status", undefined, { state: "pending" }],
    [
      "pods created, not ready",
      { jobsStatus: [{ name: "node", active: 1, ready: 0 }] },
      { state: "created", message: "the trainer's pods are not all ready" },
    ],
    ["the trainer's Job ready", { jobsStatus: [{ name: "node", active: 1, ready: 1 }] }, { state: "running" }],
    [
      "Complete",
      {
        conditions: [
          { type: "Complete", status: "True", reason: "JobSetCompleted", message: "jobset completed successfully" },
        ],
      },
      { state: "succeeded", reason: "JobSetCompleted", message: "jobset completed successfully" },
    ],
    [
      "Failed wins",
      {
        conditions: [
          { type: "Complete", status: "False", reason: "x", message: "y" },
          { type: "Failed", status: "True", reason: "FailedJobs", message: "jobset failed due to failing child jobs" },
        ],
        jobsStatus: [{ name: "node", ready: 1 }],
      },
      { state: "failed", reason: "FailedJobs", message: "jobset failed due to failing child jobs" },
    ],
  ];
  for (const [title, status, expected] of table) {
    it(title, () => assert.deepEqual(readTrainJobStatus(status as never), expected));
  }
});

describe("a v2 stack under the program", () => {
  it("declares one TrainJob per job (named <job>-trainjob), after its PVCs and staging", async () => {
    const run = await runStack(v2({ granite: job() }));
    const trainJobs = run.resources.filter((r) => r.type === TRAINJOB);
    assert.deepEqual(
      trainJobs.map((r) => r.name),
      ["granite-trainjob"],
    );
    assert.equal(
      run.resources.some((r) => r.type === T.pytorchJob),
      false,
    );
    assert.deepEqual(trainJobs[0].options.dependsOn, [
      "granite-model",
      "granite-output",
      "granite-stage-model",
      "ml-service-account",
    ]);
    assert.deepEqual(trainJobs[0].options.replaceOnChanges, ["spec"]);
    assert.equal(
      ((run.outputs.jobs as Json).granite as Json).logs,
      "kubectl -n ml logs -f -l jobset.sigs.k8s.io/jobset-name=granite,jobset.sigs.k8s.io/replicatedjob-name=node,batch.kubernetes.io/job-completion-index=0 -c node",
    );
  });

  it("keeps the namespace restricted: Trainer v2 adds no init container to multi-node jobs", async () => {
    const run = await runStack(v2({ granite: job() }));
    const namespace = run.resources.find((r) => r.type === T.namespace);
    assert.ok(namespace, "a Namespace is declared");
    const labels = (namespace.inputs as Json).metadata.labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.deepEqual(
      run.warnings.filter((w) => w.includes("workerPodSecurity")),
      [],
    );
  });

  /** A stack that installs Trainer v2 from the local bundles. */
  const installing = (extra: Record<string, unknown> = {}) =>
    runStack(
      v2(
        { granite: job() },
        { trainingOperator: { version: "v2.3.0", source: TRAINER_BUNDLE, runtimesSource: RUNTIMES_BUNDLE, ...extra } },
      ),
    );

  it("installs the manager with JobSet, then the built-in runtimes", {
    skip: !fs.existsSync(RUNTIMES_BUNDLE) && "no v2 bundles",
  }, async () => {
    const run = await installing();
    const groups = run.resources.filter((r) => r.type === T.configGroup);
    assert.deepEqual(
      groups.map((g) => [g.name, g.options.dependsOn]),
      [
        ["training-operator-prerequisites", []],
        ["training-operator", []],
        ["training-operator-runtimes", []],
      ],
    );
    // Each object waits for what it needs: namespaced objects for the namespace, the rest of the
    // manager for its CRDs, every runtime for the whole manager (its webhook validates runtimes).
    const children = (group: string) =>
      run.resources
        .filter((r) => r.custom && r.options.parent === group)
        .map((r) => r.name)
        .sort();
    const prerequisites = children("training-operator-prerequisites");
    assert.deepEqual(prerequisites, [
      "clustertrainingruntimes.trainer.kubeflow.org",
      "jobsets.jobset.x-k8s.io",
      "kubeflow-system",
      "trainingruntimes.trainer.kubeflow.org",
      "trainjobs.trainer.kubeflow.org",
    ]);
    const manager = [...prerequisites, ...children("training-operator")].sort();
    assert.equal(manager.includes("kubeflow-system/kubeflow-trainer-controller-manager"), true);
    for (const r of run.resources.filter((r) => r.custom && r.options.parent?.startsWith("training-operator"))) {
      const expected =
        r.options.parent === "training-operator"
          ? prerequisites
          : r.options.parent === "training-operator-runtimes"
            ? manager
            : [];
      assert.deepEqual([...r.options.dependsOn].sort(), expected, r.name);
    }
    const certs = run.resources.filter((r) => r.type === T.secret && r.name.startsWith("kubeflow-system/"));
    assert.deepEqual(
      certs.map((c) => [c.name, c.options.ignoreChanges, "data" in c.inputs]),
      [
        ["kubeflow-system/jobset-webhook-server-cert", ["data", "stringData"], false],
        ["kubeflow-system/kubeflow-trainer-webhook-cert", ["data", "stringData"], false],
      ],
    );
    const runtimes = run.resources.filter(
      (r) => r.type === "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
    );
    assert.equal(runtimes.length, 8);
    // The manager's arguments as the bundle gives them: the TrainJobStatus gate stays off.
    assert.deepEqual(managerArgs(run), ["--config=/controller_manager_config.yaml", "--zap-log-level=2"]);
  });

  it("with trainJobStatus: true, runs the manager with the TrainJobStatus feature gate on", {
    skip: !fs.existsSync(RUNTIMES_BUNDLE) && "no v2 bundles",
  }, async () => {
    const run = await installing({ trainJobStatus: true, images: {} });
    assert.deepEqual(managerArgs(run), [
      "--config=/controller_manager_config.yaml",
      "--zap-log-level=2",
      "--feature-gates=TrainJobStatus=true",
    ]);
    // The bundle's Service already exposes the status server the trainers are told to post to.
    const service = one(run, "kubernetes:core/v1:Service", "kubeflow-system/kubeflow-trainer-controller-manager");
    assert.deepEqual(
      (service.inputs.spec as { ports: { name: string; port: number }[] }).ports.find(
        (p) => p.name === "status-server",
      ),
      { name: "status-server", port: 10443, protocol: "TCP", targetPort: "status-server" },
    );
  });
});

/** The Trainer v2 manager container's arguments, as the stack declares its Deployment. */
function managerArgs(run: Awaited<ReturnType<typeof runStack>>): string[] {
  const deployment = one(run, "kubernetes:apps/v1:Deployment", "kubeflow-system/kubeflow-trainer-controller-manager");
  const spec = deployment.inputs.spec as { template: { spec: { containers: { name: string; args: string[] }[] } } };
  return spec.template.spec.containers.find((c) => c.name === "manager")?.args ?? [];
}

describe("TrainJob conformance: the v2.3.0 CRD schema and the webhooks, on the built-in runtimes", {
  skip: !trainJobSchema() && "no v2 bundles",
}, () => {
  const schema = trainJobSchema();
  const runtimes = builtInRuntimes();
  const stacks: [string, Json][] = [
    ["a command job on 2 nodes", v2({ granite: job() })],
    [
      "an instructlab job with LoRA and a token",
      v2({ ilab: job({ trainer: { type: "instructlab", lora: { rank: 8 } } }) }, { hfToken: "[secret]" }),
    ],
    [
      "1 node, every scheduling key a TrainJob takes",
      v2({
        one: job({ nodes: 1, scheduling: { tolerations: [{ operator: "Exists" }], affinity: { nodeAffinity: {} } } }),
      }),
    ],
    ["the longest name", v2({ ["n".repeat(48)]: job({ nodes: 1 }) })],
  ];
  for (const [title, stack] of stacks) {
    it(title, async () => {
      const run = await runStack(stack, stack.hfToken ? ["hfToken"] : []);
      for (const r of run.resources.filter((r) => r.type === TRAINJOB)) {
        assert.deepEqual(validateStructural(r.inputs, schema as never), [], r.name);
        assert.deepEqual(trainJobWebhookViolations(r.inputs, runtimes), [], r.name);
      }
    });
  }
});

describe("moving a job from the v1 operator to Trainer v2", () => {
  it("plans the delete of its PyTorchJob and the create of its TrainJob, and leaves its PVCs and data alone", async () => {
    const jobs = { granite: job({ runPolicy: {} }) };
    const before = await runStack({ namespace: "ml", trainingOperator: { install: false }, jobs });
    const after = await runStack(v2(jobs));
    const changes = Object.fromEntries(Object.entries(plan(before, after)).filter(([, action]) => action !== "same"));
    assert.deepEqual(changes, {
      // The v1 operator not installed by the stack had the namespace at baseline for its Workers'
      // init container; Trainer v2 adds none, so the namespace is enforced at restricted again.
      [`${T.namespace} ml`]: "update",
      [`${TRAINJOB} granite-trainjob`]: "create",
      [`${T.pytorchJob} granite-pytorchjob`]: "delete",
    });
  });
});

describe("patchTrainerInstall", () => {
  const deployment = (args?: string[]) => ({
    kind: "Deployment",
    metadata: { name: "kubeflow-trainer-controller-manager", namespace: "kubeflow-system" },
    spec: {
      template: {
        spec: {
          containers: [
            { name: "manager", ...(args !== undefined ? { args } : {}) },
            { name: "sidecar", args: ["--x"] },
          ],
        },
      },
    },
  });
  const argsOf = (o: ReturnType<typeof deployment>) =>
    o.spec.template.spec.containers.map((c) => (c as { args?: string[] }).args);

  it("adds the gate to the manager container only, to its own --feature-gates flag when it has one", () => {
    const on = { trainJobStatus: true, images: {} };
    assert.deepEqual(argsOf(patchTrainerInstall(deployment(["--config=/c.yaml"]), undefined, on)), [
      ["--config=/c.yaml", "--feature-gates=TrainJobStatus=true"],
      ["--x"],
    ]);
    assert.deepEqual(argsOf(patchTrainerInstall(deployment(), "Deployment", on)), [
      ["--feature-gates=TrainJobStatus=true"],
      ["--x"],
    ]);
    assert.deepEqual(
      argsOf(patchTrainerInstall(deployment(["--feature-gates=A=true,TrainJobStatus=false", "--v=2"]), undefined, on)),
      [["--feature-gates=A=true,TrainJobStatus=true", "--v=2"], ["--x"]],
    );
  });

  it("leaves everything as it is when not asked, and every other object", () => {
    const d = deployment(["--config=/c.yaml"]);
    assert.equal(patchTrainerInstall(d, undefined, { trainJobStatus: false, images: {} }), d);
    const other = { ...d, metadata: { name: "jobset-controller-manager" } };
    assert.equal(patchTrainerInstall(other, undefined, { trainJobStatus: true, images: {} }), other);
    const service = { kind: "Service", metadata: { name: "kubeflow-trainer-controller-manager" } };
    assert.equal(patchTrainerInstall(service, undefined, { trainJobStatus: true, images: {} }), service);
  });
});
