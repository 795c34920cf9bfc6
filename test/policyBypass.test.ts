// The ways around the policy pack that an audit found, one case each: an operator source that
// carries workloads, GPUs under names, spellings or containers the pack did not count, and a
// TrainJob patch that hid another. Each case runs what the engine hands the pack.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { KUBEFLOW } from "../harness/paths";
import { workloadOf } from "../policy/kinds";
import { POLICIES } from "../policy/policies";
import { DEFAULT_GPU_RESOURCES, gpusOf, gpusPerJobViolation, rootReasons } from "../policy/rules";
import { evaluate } from "./support/policyEval";

const SHARED = KUBEFLOW;
const DIGEST = `@sha256:${"ab".repeat(32)}`;
const IMAGE = `registry.example.com/ml/trainer${DIGEST}`;

/** A one-job stack in namespace `ml`, with `extra` config merged in. */
const stack = (extra: Record<string, unknown>, job: Record<string, unknown> = {}) => ({
  namespace: "ml",
  jobs: {
    run: {
      image: IMAGE,
      nodes: 1,
      gpusPerNode: 1,
      output: { size: "1Gi" },
      trainer: { type: "command", command: ["torchrun", "train.py"] },
      ...job,
    },
  },
  ...extra,
});

const HOSTILE = path.join(__dirname, "fixtures", "operator-hostile.yaml");

describe("policy: an operator source cannot carry workloads past the pack", () => {
  it("a privileged root Deployment (8 × 8 GPUs) and a root CronJob asking 64 GPUs are refused", async () => {
    const result = await evaluate(stack({ trainingOperator: { source: HOSTILE } }), {});
    assert.deepEqual(result["operator-install-contents"], [
      "the training operator install's Deployment kubeflow/miner holds GPUs and runs container miner privileged and runs container miner as user 0, which no operator controller needs: take it out of finetune:trainingOperator.source (and runtimesSource).",
      "the training operator install's CronJob default/nightly is not a kind an operator install may hold (policy config kinds: Namespace, CustomResourceDefinition, ServiceAccount, Role, ClusterRole, RoleBinding, ClusterRoleBinding, ConfigMap, Secret, Service, Deployment, ValidatingWebhookConfiguration, MutatingWebhookConfiguration, ClusterTrainingRuntime, TrainingRuntime): take it out of finetune:trainingOperator.source (and runtimesSource), or deploy it another way.",
      "the training operator install's CronJob default/nightly is in namespace default, outside the namespaces an operator install may write to (policy config namespaces: kubeflow, kubeflow-system): take it out of finetune:trainingOperator.source (and runtimesSource).",
      "the training operator install's CronJob default/nightly holds GPUs and runs container c as user 0, which no operator controller needs: take it out of finetune:trainingOperator.source (and runtimesSource).",
    ]);
    assert.deepEqual(result["gpus-per-job"], [
      "CronJob default/nightly asks for an unbounded number of GPUs (every pod of overlapping runs × 64 nvidia.com/gpu), more than the 64 a job may have (policy config maxGpus): set spec.concurrencyPolicy to Forbid or Replace, so that runs cannot pile up.",
    ]);
    assert.deepEqual(result["gpus-per-stack"], [
      "the stack asks for an unbounded number of GPUs at once (PyTorchJob ml/run: 1, Deployment kubeflow/miner: 64, CronJob default/nightly: unbounded), more than the 256 a stack may have (policy config maxGpus): run fewer jobs, or smaller ones, in this stack.",
    ]);
  });

  it("the upstream bundles hold nothing the pack refuses: the v1 operator, Trainer v2 with JobSet and its runtimes", async () => {
    const v1 = await evaluate(
      stack({ trainingOperator: { source: path.join(SHARED, "training-operator-v1.9.4.yaml") } }),
      {},
    );
    const v2 = await evaluate(
      stack(
        {
          trainingOperator: {
            version: "v2.3.0",
            source: path.join(SHARED, "trainer-v2.3.0.yaml"),
            runtimesSource: path.join(SHARED, "trainer-v2.3.0-runtimes.yaml"),
          },
        },
        { runPolicy: { activeDeadlineSeconds: 600 } },
      ),
      {},
    );
    const none = Object.fromEntries(POLICIES.map((p) => [p.name, []]));
    assert.deepEqual(v1, none);
    assert.deepEqual(v2, none);
  });
});

describe("policy: GPUs counted as the API server counts them", () => {
  const container = (resources: Record<string, unknown>, name = "c") => ({ name, image: IMAGE, resources });
  const job = (spec: Record<string, unknown>, parallelism = 1) =>
    workloadOf("kubernetes:batch/v1:Job", {
      metadata: { name: "j", namespace: "n" },
      spec: { parallelism, template: { spec: { securityContext: { runAsNonRoot: true }, ...spec } } },
    })!;

  it("MIG profiles and other vendors' devices count by default: 100 nodes × 8 nvidia.com/mig-7g.80gb is 800", async () => {
    const result = await evaluate(stack({}, { nodes: 100, gpusPerNode: 8, gpuResource: "nvidia.com/mig-7g.80gb" }), {});
    assert.deepEqual(result["gpus-per-job"], [
      "PyTorchJob ml/run asks for 800 GPUs (1 Master pod × 8 nvidia.com/mig-7g.80gb, 99 Worker pods × 8 nvidia.com/mig-7g.80gb), more than the 64 a job may have (policy config maxGpus): lower finetune:jobs.run.nodes or gpusPerNode.",
    ]);
    for (const name of [
      "nvidia.com/gpu.shared",
      "amd.com/gpu",
      "habana.ai/gaudi",
      "gpu.intel.com/xe",
      "aws.amazon.com/neuroncore",
      "google.com/tpu",
    ]) {
      assert.equal(gpusOf(job({ containers: [container({ limits: { [name]: 2 } })] }), DEFAULT_GPU_RESOURCES), 2, name);
    }
    assert.equal(
      gpusOf(job({ containers: [container({ limits: { "example.com/fpga": 2 } })] }), DEFAULT_GPU_RESOURCES),
      0,
    );
    assert.equal(gpusOf(job({ containers: [container({ limits: { "example.com/fpga": 2 } })] }), ["example.com/*"]), 2);
  });

  it("every spelling the API server takes: 8000m, 8e0, +8, 0.008k are 8", () => {
    for (const q of ["8000m", "8e0", "+8", "0.008k", "8", 8]) {
      const w = job({ containers: [container({ limits: { "nvidia.com/gpu": q } })] }, 2);
      assert.equal(gpusOf(w, DEFAULT_GPU_RESOURCES), 16, String(q));
    }
  });

  it("init containers: one alone needing more than the app containers counts, sidecars add", () => {
    const gpu = (n: number) => ({ limits: { "nvidia.com/gpu": n } });
    const cases: [Record<string, unknown>, number][] = [
      [{ initContainers: [container(gpu(8), "warm")], containers: [container(gpu(1))] }, 8],
      [{ initContainers: [container(gpu(1), "warm")], containers: [container(gpu(4))] }, 4],
      [
        {
          initContainers: [{ ...container(gpu(2), "side"), restartPolicy: "Always" }],
          containers: [container(gpu(4))],
        },
        6,
      ],
      [
        {
          initContainers: [{ ...container(gpu(2), "side"), restartPolicy: "Always" }, container(gpu(7), "late")],
          containers: [container(gpu(1))],
        },
        9,
      ],
    ];
    for (const [spec, gpus] of cases)
      assert.equal(gpusOf(job(spec), DEFAULT_GPU_RESOURCES), gpus, JSON.stringify(spec));
  });

  it("a DaemonSet's GPUs grow with the cluster: over any ceiling", () => {
    const ds = workloadOf("kubernetes:apps/v1:DaemonSet", {
      metadata: { name: "d", namespace: "n" },
      spec: { template: { spec: { containers: [container({ limits: { "nvidia.com/gpu": 1 } })] } } },
    })!;
    assert.equal(
      gpusPerJobViolation(ds, 1000, DEFAULT_GPU_RESOURCES),
      "DaemonSet n/d asks for an unbounded number of GPUs (every pod (one per node) × 1 nvidia.com/gpu), more than the 1000 a job may have (policy config maxGpus): run GPU work as a Job or a training run, not on every node.",
    );
  });
});

describe("policy: a kind the pack was not taught is read for the pod specs it holds", () => {
  it("a Volcano Job's tasks: replicas × the pod's GPUs, root refused, no deadline found", () => {
    const w = workloadOf("kubernetes:batch.volcano.sh/v1alpha1:Job", {
      metadata: { name: "v", namespace: "n" },
      spec: {
        tasks: [
          {
            name: "worker",
            replicas: 4,
            template: {
              spec: {
                securityContext: { runAsUser: 0 },
                containers: [{ name: "w", image: IMAGE, resources: { limits: { "nvidia.com/gpu": 8 } } }],
              },
            },
          },
        ],
      },
    })!;
    assert.deepEqual([w.class, w.pods.map((p) => [p.role, p.count])], ["other", [["spec.tasks.0.template.spec", 4]]]);
    assert.equal(gpusOf(w, DEFAULT_GPU_RESOURCES), 32);
    assert.deepEqual(rootReasons(w), [
      "Job n/v: the spec.tasks.0.template.spec pod runs as user 0 and does not set securityContext.runAsNonRoot: true.",
    ]);
    assert.deepEqual(w.bounds, {});
  });
});

describe("policy: a TrainJob's replicated jobs are read one by one", () => {
  it("a non-root patch for the trainer's nodes does not hide a root patch for the launcher", () => {
    const patch = (name: string, securityContext: Record<string, unknown>) => ({
      manager: `example.com/${name}`,
      trainingRuntimeSpec: {
        template: {
          spec: {
            replicatedJobs: [{ name, template: { spec: { template: { spec: { securityContext } } } } }],
          },
        },
      },
    });
    const w = workloadOf("kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob", {
      metadata: { name: "t", namespace: "n" },
      spec: {
        trainer: { image: IMAGE, numNodes: 2 },
        runtimePatches: [patch("launcher", { runAsUser: 0 }), patch("node", { runAsNonRoot: true })],
      },
    })!;
    assert.deepEqual(
      w.pods.map((p) => [p.role, p.count]),
      [
        ["node", 2],
        ["launcher", 1],
      ],
    );
    assert.deepEqual(rootReasons(w), [
      "TrainJob n/t: the launcher pod runs as user 0 and does not set securityContext.runAsNonRoot: true.",
    ]);
  });
});
