// Config for Kubeflow Trainer v2: the backend is chosen by trainingOperator.version, the v2 keys,
// and the keys a TrainJob cannot express refused with their path before anything is declared.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig, upstreamOperatorSource, upstreamRuntimesSource } from "../components/config";
import { problemsOf } from "./support/problems";

const job = (extra: Record<string, unknown> = {}) => ({
  image: "registry.example.com/ml/trainer:1.0",
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  resources: { memory: "64Gi" },
  ...extra,
});
const v2 = (jobs: Record<string, unknown>, operator: Record<string, unknown> = {}) => ({
  namespace: "ml",
  trainingOperator: { version: "v2.3.0", ...operator },
  jobs,
});

describe("the backend follows trainingOperator.version", () => {
  it("v1.x.y is the training operator v1; v2.3.x is Trainer v2, with its manager and runtimes overlays", () => {
    const one = parseConfig({ namespace: "ml", jobs: { a: job() } }, new Set());
    assert.equal(one.trainingOperator.generation, 1);
    assert.equal(one.jobs.a.runtime, undefined);
    const two = parseConfig(v2({ a: job() }), new Set());
    assert.equal(two.trainingOperator.generation, 2);
    assert.deepEqual(two.trainingOperator.source, { kind: "remote", location: upstreamOperatorSource("v2.3.0") });
    assert.deepEqual(two.trainingOperator.runtimesSource, {
      kind: "remote",
      location: upstreamRuntimesSource("v2.3.0"),
    });
    assert.equal(
      upstreamOperatorSource("v2.3.0"),
      "https://github.com/kubeflow/trainer.git/manifests/overlays/manager?ref=v2.3.0",
    );
    assert.equal(
      upstreamRuntimesSource("v2.3.0"),
      "https://github.com/kubeflow/trainer.git/manifests/overlays/runtimes?ref=v2.3.0",
    );
    assert.deepEqual(two.jobs.a.runtime, { name: "torch-distributed", kind: "ClusterTrainingRuntime" });
  });

  it("with install: false, version still names the generation the cluster runs", () => {
    const two = parseConfig(v2({ a: job() }, { install: false }), new Set());
    assert.equal(two.trainingOperator.generation, 2);
    assert.equal(two.trainingOperator.source, undefined);
  });

  it("reads a job's runtime, cluster-wide or namespaced", () => {
    const two = parseConfig(v2({ a: job({ runtime: "my-torch", runtimeKind: "TrainingRuntime" }) }), new Set());
    assert.deepEqual(two.jobs.a.runtime, { name: "my-torch", kind: "TrainingRuntime" });
  });

  it("refuses other v2 releases, and v2 keys on v1", () => {
    assert.deepEqual(problemsOf(v2({ a: job() }, { version: "v2.1.0" })), [
      "finetune:trainingOperator.version: must be a release tag of kubeflow/trainer: v1.x.y for the training operator v1 (PyTorchJob kubeflow.org/v1, e.g. v1.9.4), or v2.3.x for Kubeflow Trainer v2 (TrainJob trainer.kubeflow.org/v1alpha1, e.g. v2.3.0: its API changed in every minor release, and this program writes v2.3's)",
    ]);
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        trainingOperator: { runtimesSource: "https://example.com/runtimes" },
        jobs: { a: job({ runtime: "torch-distributed" }) },
      }),
      [
        "finetune:trainingOperator.runtimesSource: applies to Kubeflow Trainer v2 only (trainingOperator.version v2.3.x)",
        "finetune:jobs.a.runtime: applies to Kubeflow Trainer v2 only (trainingOperator.version v2.3.x)",
      ],
    );
    assert.deepEqual(problemsOf(v2({ a: job() }, { install: false, workerPodSecurity: "restricted" })), [
      "finetune:trainingOperator.workerPodSecurity: applies to the training operator v1 only: Trainer v2 adds no init container to the trainer's pods",
    ]);
  });

  it("trainJobStatus: a boolean, for a Trainer v2 this stack installs", () => {
    assert.deepEqual(problemsOf({ namespace: "ml", trainingOperator: { trainJobStatus: true }, jobs: { a: job() } }), [
      "finetune:trainingOperator.trainJobStatus: applies to Kubeflow Trainer v2 only (trainingOperator.version v2.3.x)",
    ]);
    assert.deepEqual(problemsOf(v2({ a: job() }, { install: false, trainJobStatus: true })), [
      "finetune:trainingOperator.trainJobStatus: applies only when this stack installs Trainer v2 (install: true): the feature gate is a flag of the manager it installs; on a cluster whose Trainer another stack installs, set it there",
    ]);
    assert.deepEqual(problemsOf(v2({ a: job() }, { install: false, trainJobStatus: "yes" })), [
      'finetune:trainingOperator.trainJobStatus: must be true or false; "yes" is text to Pulumi, which reads YAML 1.2: write true',
    ]);
    assert.deepEqual(problemsOf(v2({ a: job() }, { install: false, trainJobStatus: false })), []);
  });
});

describe("what a TrainJob cannot express is refused with its key", () => {
  it("terminationGracePeriodSeconds: the runtime's pod template holds it", () => {
    assert.deepEqual(problemsOf(v2({ a: job({ terminationGracePeriodSeconds: 300 }) })), [
      "finetune:jobs.a.terminationGracePeriodSeconds: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its podTemplateOverrides have no such field); set terminationGracePeriodSeconds in the pod template of the runtime the job names",
    ]);
  });

  it("run policy keys other than activeDeadlineSeconds, and scheduling keys runtimePatches cannot patch", () => {
    assert.deepEqual(
      problemsOf(
        v2({
          a: job({
            runPolicy: {
              activeDeadlineSeconds: 3600,
              backoffLimit: 2,
              ttlSecondsAfterFinished: 60,
              cleanPodPolicy: "All",
              restartPolicy: "ExitCode",
            },
            scheduling: { priorityClassName: "high", schedulerName: "volcano", gang: true, queue: "q" },
          }),
        }),
      ),
      [
        "finetune:jobs.a.runPolicy.backoffLimit: has no TrainJob field in Kubeflow Trainer v2.3 (retries, cleanup and TTL are the runtime's: its JobSet failurePolicy and ttlSecondsAfterFinished); remove it, or set it in a runtime of your own",
        "finetune:jobs.a.runPolicy.ttlSecondsAfterFinished: has no TrainJob field in Kubeflow Trainer v2.3 (retries, cleanup and TTL are the runtime's: its JobSet failurePolicy and ttlSecondsAfterFinished); remove it, or set it in a runtime of your own",
        "finetune:jobs.a.runPolicy.cleanPodPolicy: has no TrainJob field in Kubeflow Trainer v2.3 (retries, cleanup and TTL are the runtime's: its JobSet failurePolicy and ttlSecondsAfterFinished); remove it, or set it in a runtime of your own",
        "finetune:jobs.a.runPolicy.restartPolicy: has no TrainJob field in Kubeflow Trainer v2.3 (retries, cleanup and TTL are the runtime's: its JobSet failurePolicy and ttlSecondsAfterFinished); remove it, or set it in a runtime of your own",
        "finetune:jobs.a.scheduling.priorityClassName: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its runtimePatches patch nodeSelector, affinity and tolerations only); set it in the runtime (podGroupPolicy for gang scheduling)",
        "finetune:jobs.a.scheduling.schedulerName: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its runtimePatches patch nodeSelector, affinity and tolerations only); set it in the runtime (podGroupPolicy for gang scheduling)",
        "finetune:jobs.a.scheduling.gang: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its runtimePatches patch nodeSelector, affinity and tolerations only); set it in the runtime (podGroupPolicy for gang scheduling)",
        "finetune:jobs.a.scheduling.queue: cannot be set on a TrainJob in Kubeflow Trainer v2.3 (its runtimePatches patch nodeSelector, affinity and tolerations only); set it in the runtime (podGroupPolicy for gang scheduling)",
      ],
    );
  });

  it("the TrainJob CRD's limits: 128 arguments, 128 env entries (1 or 2 are the program's), a 500-character image", () => {
    const env = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`E${i}`, "x"]));
    const command = Array.from({ length: 129 }, (_, i) => `a${i}`);
    assert.deepEqual(
      problemsOf(
        v2({ a: job({ env, trainer: { type: "command", command }, image: `r.example.com/${"x".repeat(490)}:1` }) }),
      ),
      [
        "finetune:jobs.a.image: is 506 characters; a TrainJob takes images of at most 500",
        "finetune:jobs.a.trainer.command: has 129 arguments; a TrainJob takes at most 128",
        "finetune:jobs.a.env: has 128 entries; a TrainJob takes at most 128 environment variables, and the program adds CHECKPOINT_DIR (and HF_TOKEN with a token): at most 127",
      ],
    );
  });

  it("job names short enough for the pods JobSet names after them", () => {
    const name = "a".repeat(49);
    assert.deepEqual(problemsOf(v2({ [name]: job() })), [
      `finetune:jobs.${name}: job name is 49 characters; at most 48 fit, since JobSet names the trainer's pods "<name>-node-0-<node>-<5 characters>" within 63 characters`,
    ]);
    assert.deepEqual(problemsOf(v2({ ["b".repeat(48)]: job() })), []);
  });

  it("a name too long for the v1 operator's pod Services too is told with JobSet's rule, beside the other problems", () => {
    const name = "a".repeat(60);
    assert.deepEqual(problemsOf(v2({ [name]: job({ nodes: 3 }), b: job({ gpusPerNode: -1 }) })), [
      "finetune:jobs.b.gpusPerNode: must be at least 1",
      `finetune:jobs.${name}: job name is 60 characters; at most 48 fit, since JobSet names the trainer's pods "<name>-node-0-<node>-<5 characters>" within 63 characters`,
    ]);
  });
});
