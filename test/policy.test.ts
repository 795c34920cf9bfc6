// The policy pack (policy/): how it reads workloads, each rule with a passing and a violating case
// and its exact message, and every policy called as the engine calls it on what the program
// declares for the fixture stacks the end-to-end suite previews with --policy-pack.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_S3_IMAGE } from "../components/config";
import { workloadOf } from "../policy/kinds";
import { POLICIES } from "../policy/policies";
import { deviceCount } from "../policy/quantity";
import {
  DEFAULT_GPU_RESOURCES,
  DEFAULT_TAGGED_IMAGES,
  gpusOf,
  gpusPerJobViolation,
  gpusPerStackViolation,
  missingQueueViolation,
  rootReasons,
  unboundedViolation,
  unpinnedImages,
} from "../policy/rules";
import type { Workload } from "../policy/workloads";
import { evaluate } from "./support/policyEval";

const WORKLOAD_TYPES = {
  pytorchJob: "kubernetes:kubeflow.org/v1:PyTorchJob",
  trainJob: "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob",
  job: "kubernetes:batch/v1:Job",
} as const;
const FIXTURES = path.join(__dirname, "fixtures");
const DIGEST = `@sha256:${"ab".repeat(32)}`;
const STRICT = JSON.parse(fs.readFileSync(path.join(FIXTURES, "policy-strict.json"), "utf8")) as Record<
  string,
  unknown
>;

const pod = (
  containers: Record<string, unknown>[],
  securityContext: Record<string, unknown> = { runAsNonRoot: true },
) => ({
  securityContext,
  containers,
});
const gpuContainer = (gpus: number, image = `registry.example.com/t${DIGEST}`) => ({
  name: "pytorch",
  image,
  resources: { limits: { "nvidia.com/gpu": gpus }, requests: { "nvidia.com/gpu": String(gpus) } },
});

function pytorchJob(
  workers: number,
  gpus: number,
  extra: { labels?: Record<string, string>; runPolicy?: Record<string, unknown>; image?: string } = {},
): Workload {
  const template = { spec: pod([gpuContainer(gpus, extra.image)]) };
  return workloadOf(WORKLOAD_TYPES.pytorchJob, {
    metadata: { name: "run", namespace: "team-a", labels: extra.labels ?? {} },
    spec: {
      pytorchReplicaSpecs: { Master: { replicas: 1, template }, Worker: { replicas: workers, template } },
      runPolicy: extra.runPolicy ?? {},
    },
  })!;
}

describe("policy: reading workloads from resource inputs", () => {
  it("quantities of accelerators, in whole devices", () => {
    assert.deepEqual(["8", 8, "1k", "2.5", "100m", "", undefined, "8Gi", "x"].map(deviceCount), [
      8,
      8,
      1000,
      3,
      1,
      0,
      0,
      8 * 2 ** 30,
      0,
    ]);
  });

  it("a PyTorchJob: its replicas, their pods' accelerators, images (init containers too) and bounds", () => {
    const w = workloadOf(WORKLOAD_TYPES.pytorchJob, {
      metadata: { name: "granite", namespace: "ml", labels: { a: "b", n: 1 } },
      spec: {
        pytorchReplicaSpecs: {
          Master: { replicas: 1, template: { spec: pod([gpuContainer(8, "m:1")]) } },
          Worker: {
            replicas: 3,
            template: {
              spec: {
                initContainers: [{ name: "wait", image: "busybox:1" }],
                containers: [gpuContainer(8, "w:1"), { name: "sidecar", image: "s:1", resources: {} }],
              },
            },
          },
        },
        runPolicy: { ttlSecondsAfterFinished: 0 },
      },
    })!;
    assert.equal(w.id, "ml/granite");
    assert.deepEqual(w.labels, { a: "b" });
    assert.deepEqual(
      w.pods.map((p: Workload["pods"][number]) => [p.role, p.count, p.resources]),
      [
        ["Master", 1, { "nvidia.com/gpu": 8 }],
        ["Worker", 3, { "nvidia.com/gpu": 8 }],
      ],
    );
    assert.deepEqual(w.images, [
      { where: "Master/pytorch", image: "m:1" },
      { where: "Worker/wait", image: "busybox:1" },
      { where: "Worker/pytorch", image: "w:1" },
      { where: "Worker/sidecar", image: "s:1" },
    ]);
    assert.deepEqual(w.bounds, { activeDeadlineSeconds: undefined, ttlSecondsAfterFinished: 0 });
    assert.equal(gpusOf(w, DEFAULT_GPU_RESOURCES), 32);
  });

  it("a TrainJob: numNodes × resourcesPerNode, the trainer's and initializers' images, its runtimePatches' pod spec", () => {
    const w = workloadOf(WORKLOAD_TYPES.trainJob, {
      metadata: { name: "tj", namespace: "ml" },
      spec: {
        trainer: { image: "t:1", numNodes: 2, resourcesPerNode: { limits: { "habana.ai/gaudi": 8 } } },
        initializer: { model: { image: "i:1" } },
        runtimePatches: [
          {
            manager: "x",
            trainingRuntimeSpec: {
              template: {
                spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec: pod([]) } } } }] },
              },
            },
          },
        ],
        activeDeadlineSeconds: 60,
      },
    })!;
    assert.deepEqual(w.images, [
      { where: "trainer", image: "t:1" },
      { where: "initializer/model", image: "i:1" },
    ]);
    assert.deepEqual(
      w.pods.map((p: Workload["pods"][number]) => [p.role, p.count, p.resources, p.spec.securityContext]),
      [["node", 2, { "habana.ai/gaudi": 8 }, { runAsNonRoot: true }]],
    );
    assert.equal(gpusOf(w, DEFAULT_GPU_RESOURCES), 16);
    assert.equal(gpusOf(w, ["nvidia.com/gpu"]), 0);
    assert.deepEqual(w.bounds, { activeDeadlineSeconds: 60 });
  });

  it("a batch Job by its parallelism; kinds without pods are not workloads", () => {
    const w = workloadOf(WORKLOAD_TYPES.job, {
      metadata: {},
      spec: { parallelism: 2, template: { spec: pod([gpuContainer(1)]) } },
    })!;
    assert.deepEqual([w.id, w.kind, gpusOf(w, DEFAULT_GPU_RESOURCES)], ["default/?", "Job", 2]);
    assert.equal(workloadOf("kubernetes:core/v1:ConfigMap", { data: { spec: "x" } }), undefined);
  });
});

describe("policy rules: a passing and a violating case each, with the message", () => {
  const finetune = { "app.kubernetes.io/part-of": "finetune", "app.kubernetes.io/instance": "run" };

  it("images pinned by digest", () => {
    assert.deepEqual(unpinnedImages(pytorchJob(1, 1)), []);
    assert.deepEqual(unpinnedImages(pytorchJob(1, 1, { image: "r/t@sha256:abc" })).length, 2);
    assert.deepEqual(unpinnedImages(pytorchJob(1, 1, { image: "r/t:1", labels: finetune })), [
      'PyTorchJob team-a/run: image "r/t:1" (Master/pytorch) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:jobs.run.image.',
      'PyTorchJob team-a/run: image "r/t:1" (Worker/pytorch) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:jobs.run.image.',
    ]);
  });

  it("GPUs per job: at the ceiling passes, one over it fails; gpuResources chooses what counts", () => {
    assert.equal(gpusPerJobViolation(pytorchJob(3, 8), 32, DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(
      gpusPerJobViolation(pytorchJob(3, 8, { labels: finetune }), 31, DEFAULT_GPU_RESOURCES),
      "PyTorchJob team-a/run asks for 32 GPUs (1 Master pod × 8 nvidia.com/gpu, 3 Worker pods × 8 nvidia.com/gpu), more than the 31 a job may have (policy config maxGpus): lower finetune:jobs.run.nodes or gpusPerNode.",
    );
    assert.equal(gpusPerJobViolation(pytorchJob(3, 8), 31, ["amd.com/gpu"]), undefined);
  });

  it("GPUs per stack: the sum over workloads", () => {
    const jobs = [pytorchJob(1, 8), pytorchJob(0, 4)];
    assert.equal(gpusPerStackViolation(jobs, 20, DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(
      gpusPerStackViolation(jobs, 19, DEFAULT_GPU_RESOURCES),
      "the stack asks for 20 GPUs at once (PyTorchJob team-a/run: 16, PyTorchJob team-a/run: 4), more than the 19 a stack may have (policy config maxGpus): run fewer jobs, or smaller ones, in this stack.",
    );
  });

  it("runs bounded: a deadline or a TTL (0 counts); a Job without GPUs is not a run", () => {
    assert.equal(
      unboundedViolation(pytorchJob(1, 1, { runPolicy: { ttlSecondsAfterFinished: 0 } }), DEFAULT_GPU_RESOURCES),
      undefined,
    );
    assert.equal(
      unboundedViolation(pytorchJob(1, 1, { runPolicy: { activeDeadlineSeconds: 5 } }), DEFAULT_GPU_RESOURCES),
      undefined,
    );
    assert.equal(
      unboundedViolation(pytorchJob(1, 1), DEFAULT_GPU_RESOURCES),
      "PyTorchJob team-a/run has neither a deadline nor a TTL: set spec.runPolicy.activeDeadlineSeconds or spec.runPolicy.ttlSecondsAfterFinished.",
    );
    assert.equal(
      unboundedViolation(pytorchJob(1, 1, { labels: finetune }), DEFAULT_GPU_RESOURCES),
      "PyTorchJob team-a/run has neither a deadline nor a TTL: set finetune:jobs.run.runPolicy.activeDeadlineSeconds, or leave ttlSecondsAfterFinished at its default instead of null.",
    );
    const job = (gpus: number) =>
      workloadOf(WORKLOAD_TYPES.job, {
        metadata: { name: "j", namespace: "n" },
        spec: { template: { spec: pod([gpuContainer(gpus)]) } },
      })!;
    assert.equal(unboundedViolation(job(0), DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(
      unboundedViolation(job(1), DEFAULT_GPU_RESOURCES),
      "Job n/j has neither a deadline nor a TTL: set spec.activeDeadlineSeconds or spec.ttlSecondsAfterFinished.",
    );
    const trainJob = workloadOf(WORKLOAD_TYPES.trainJob, {
      metadata: { name: "t", namespace: "n" },
      spec: { trainer: {} },
    })!;
    assert.equal(
      unboundedViolation(trainJob, DEFAULT_GPU_RESOURCES),
      "TrainJob n/t has no deadline: set spec.activeDeadlineSeconds.",
    );
  });

  it("no root pods: the pod's runAsNonRoot, user 0 anywhere, privileged containers", () => {
    const job = (spec: Record<string, unknown>, labels = {}) =>
      workloadOf(WORKLOAD_TYPES.job, {
        metadata: { name: "j", namespace: "n", labels },
        spec: { template: { spec } },
      })!;
    assert.deepEqual(rootReasons(job(pod([{ name: "c" }]))), []);
    assert.deepEqual(rootReasons(job(pod([{ name: "c", securityContext: { runAsNonRoot: true } }], {}))), [
      "Job n/j: the pod does not set securityContext.runAsNonRoot: true.",
    ]);
    assert.deepEqual(
      rootReasons(
        job({
          securityContext: { runAsUser: 0, runAsNonRoot: true },
          initContainers: [{ name: "i", securityContext: { runAsNonRoot: false } }],
          containers: [{ name: "c", securityContext: { runAsUser: 0, privileged: true } }],
        }),
      ),
      [
        "Job n/j: the pod runs as user 0 and lets container i run as root (runAsNonRoot: false) and runs container c as user 0 and runs container c privileged.",
      ],
    );
    const root = pytorchJob(1, 1, { labels: finetune });
    const asRoot = {
      ...root,
      pods: root.pods.map((p) => ({ ...p, spec: { ...p.spec, securityContext: { runAsUser: 0 } } })),
    };
    assert.deepEqual(rootReasons(asRoot), [
      "PyTorchJob team-a/run: the Master pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.run.securityContext.runAsUser to a user other than 0.",
      "PyTorchJob team-a/run: the Worker pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.run.securityContext.runAsUser to a user other than 0.",
    ]);
  });

  it("queue label: only in the listed namespaces (`*`: all), on training runs and what holds GPUs", () => {
    const queued = pytorchJob(1, 1, { labels: { ...finetune, "kueue.x-k8s.io/queue-name": "q" } });
    assert.equal(missingQueueViolation(pytorchJob(1, 1), [], DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(missingQueueViolation(pytorchJob(1, 1), ["team-b"], DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(missingQueueViolation(queued, ["*"], DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(
      missingQueueViolation(pytorchJob(1, 1), ["team-a"], DEFAULT_GPU_RESOURCES),
      "PyTorchJob team-a/run names no Kueue LocalQueue, which namespace team-a requires: label it kueue.x-k8s.io/queue-name.",
    );
    assert.equal(
      missingQueueViolation(pytorchJob(1, 1, { labels: finetune }), ["*"], DEFAULT_GPU_RESOURCES),
      "PyTorchJob team-a/run names no Kueue LocalQueue, which namespace team-a requires: set finetune:queue or finetune:jobs.run.queue.",
    );
    const job = (gpus: number) =>
      workloadOf(WORKLOAD_TYPES.job, {
        metadata: { name: "j", namespace: "team-a" },
        spec: { template: { spec: pod([gpuContainer(gpus)]) } },
      })!;
    assert.equal(missingQueueViolation(job(0), ["*"], DEFAULT_GPU_RESOURCES), undefined);
    assert.equal(
      missingQueueViolation(job(1), ["*"], DEFAULT_GPU_RESOURCES),
      "Job team-a/j names no Kueue LocalQueue, which namespace team-a requires: label it kueue.x-k8s.io/queue-name.",
    );
  });
});

describe("the pack on what the program declares (the stacks the end-to-end suite previews)", () => {
  it("Pulumi.policy-pass.yaml passes every policy under policy-strict.json", async () => {
    const result = await evaluate(path.join(FIXTURES, "Pulumi.policy-pass.yaml"), STRICT);
    assert.deepEqual(result, Object.fromEntries(POLICIES.map((p) => [p.name, []])));
  });

  it("Pulumi.policy-fail.yaml violates every policy under policy-strict.json", async () => {
    const result = await evaluate(path.join(FIXTURES, "Pulumi.policy-fail.yaml"), STRICT);
    assert.deepEqual(result, {
      "images-pinned-by-digest": [
        'PyTorchJob policy-fail/big: image "registry.example.com/ml/trainer:1.0" (Master/pytorch) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:jobs.big.image.',
        'PyTorchJob policy-fail/big: image "registry.example.com/ml/trainer:1.0" (Worker/pytorch) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:jobs.big.image.',
      ],
      "gpus-per-job": [
        "PyTorchJob policy-fail/big asks for 32 GPUs (1 Master pod × 8 nvidia.com/gpu, 3 Worker pods × 8 nvidia.com/gpu), more than the 16 a job may have (policy config maxGpus): lower finetune:jobs.big.nodes or gpusPerNode.",
      ],
      "gpus-per-stack": [
        "the stack asks for 40 GPUs at once (PyTorchJob policy-fail/big: 32, PyTorchJob policy-fail/forever: 8), more than the 24 a stack may have (policy config maxGpus): run fewer jobs, or smaller ones, in this stack.",
      ],
      "runs-bounded": [
        "PyTorchJob policy-fail/forever has neither a deadline nor a TTL: set finetune:jobs.forever.runPolicy.activeDeadlineSeconds, or leave ttlSecondsAfterFinished at its default instead of null.",
      ],
      "no-root-pods": [
        "PyTorchJob policy-fail/forever: the Master pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.forever.securityContext.runAsUser to a user other than 0.",
        "PyTorchJob policy-fail/forever: the Worker pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.forever.securityContext.runAsUser to a user other than 0.",
      ],
      "queue-label": [
        "PyTorchJob policy-fail/big names no Kueue LocalQueue, which namespace policy-fail requires: set finetune:queue or finetune:jobs.big.queue.",
        "PyTorchJob policy-fail/forever names no Kueue LocalQueue, which namespace policy-fail requires: set finetune:queue or finetune:jobs.forever.queue.",
      ],
      "operator-install-contents": [],
    });
  });

  it("the program's default S3 staging image is the one tag images-pinned-by-digest excepts by default", async () => {
    assert.deepEqual(DEFAULT_TAGGED_IMAGES, [DEFAULT_S3_IMAGE]);
    const stack = () => ({
      namespace: "s3-team",
      trainingOperator: { install: false },
      jobs: {
        run: {
          image: `registry.example.com/t${DIGEST}`,
          dataset: { source: "s3://bucket/data", size: "1Gi" },
          output: { size: "1Gi" },
          trainer: { type: "command", command: ["python", "train.py"] },
        },
      },
    });
    const strict = await evaluate(stack(), STRICT);
    assert.deepEqual(strict["images-pinned-by-digest"], []);
    const none = await evaluate(stack(), { ...STRICT, "images-pinned-by-digest": { exceptImages: [] } });
    assert.deepEqual(none["images-pinned-by-digest"], [
      `Job s3-team/run-stage-dataset: image "${DEFAULT_S3_IMAGE}" (pod/stage) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:staging.hfImage or finetune:staging.s3Image (else finetune:jobs.run.image).`,
    ]);
  });

  it("the defaults: images advisory, 64 GPUs per job, 256 per stack, no namespace requires a queue", async () => {
    const levels = Object.fromEntries(POLICIES.map((p) => [p.name, p.enforcementLevel]));
    assert.deepEqual(levels, {
      "images-pinned-by-digest": "advisory",
      "gpus-per-job": "mandatory",
      "gpus-per-stack": "mandatory",
      "runs-bounded": "mandatory",
      "no-root-pods": "mandatory",
      "queue-label": "mandatory",
      "operator-install-contents": "mandatory",
    });
    const result = await evaluate(path.join(FIXTURES, "Pulumi.policy-fail.yaml"), {});
    assert.deepEqual(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.length])), {
      "images-pinned-by-digest": 2,
      "gpus-per-job": 0,
      "gpus-per-stack": 0,
      "runs-bounded": 1,
      "no-root-pods": 2,
      "queue-label": 0,
      "operator-install-contents": 0,
    });
  });

  it("the dev stack and the fixtures written by platform teams pass every mandatory policy by default", async () => {
    for (const file of ["../../Pulumi.dev.yaml", "Pulumi.multinode.yaml", "Pulumi.gaudi.yaml", "Pulumi.sources.yaml"]) {
      const result = await evaluate(path.join(FIXTURES, file), {});
      const mandatory = POLICIES.filter((p) => p.enforcementLevel === "mandatory").flatMap((p) => result[p.name]);
      assert.deepEqual(mandatory, [], file);
    }
  });

  it("a TrainJob (Trainer v2) is read through its runtimePatches: root and an unbounded run are refused", async () => {
    const job = (securityContext: Record<string, unknown>, runPolicy: Record<string, unknown>) => ({
      namespace: "v2-team",
      trainingOperator: { install: false, version: "v2.3.0" },
      jobs: {
        tj: {
          image: `registry.example.com/t${DIGEST}`,
          nodes: 3,
          gpusPerNode: 8,
          output: { size: "1Gi" },
          trainer: { type: "command", command: ["torchrun", "train.py"] },
          securityContext,
          runPolicy,
        },
      },
    });
    const passing = await evaluate(job({}, { activeDeadlineSeconds: 600 }), STRICT);
    assert.deepEqual(passing["no-root-pods"], []);
    assert.deepEqual(passing["runs-bounded"], []);
    assert.deepEqual(passing["images-pinned-by-digest"], []);
    assert.deepEqual(passing["gpus-per-job"], [
      "TrainJob v2-team/tj asks for 24 GPUs (3 node pods × 8 nvidia.com/gpu), more than the 16 a job may have (policy config maxGpus): lower finetune:jobs.tj.nodes or gpusPerNode.",
    ]);
    const failing = await evaluate(job({ runAsUser: 0 }, {}), {});
    assert.deepEqual(failing["no-root-pods"], [
      "TrainJob v2-team/tj: the node pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.tj.securityContext.runAsUser to a user other than 0.",
    ]);
    assert.deepEqual(failing["runs-bounded"], [
      "TrainJob v2-team/tj has no deadline: set finetune:jobs.tj.runPolicy.activeDeadlineSeconds.",
    ]);
  });
});
