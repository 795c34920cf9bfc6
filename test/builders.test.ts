// The pure manifest builders, field by field, without the Pulumi runtime.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildHfTokenSecret, buildNamespace, buildPersistentVolumeClaim } from "../components/builders/storage";
import { trainerArgv } from "../components/builders/trainingPod";
import { buildPodTemplate, buildPyTorchJob } from "../components/builders/v1/pytorchJob";
import { type Job, parseConfig } from "../components/config";

const LABELS = {
  "app.kubernetes.io/name": "finetune",
  "app.kubernetes.io/instance": "granite",
  "app.kubernetes.io/component": "training",
  "app.kubernetes.io/part-of": "finetune",
  "app.kubernetes.io/managed-by": "pulumi",
};

/** A job as the config module returns it, so builders see exactly what the program passes. */
function jobFrom(raw: Record<string, unknown>): Job {
  return parseConfig({ namespace: "ml", jobs: { granite: raw } }, new Set()).jobs.granite;
}

const commandJob = (extra: Record<string, unknown> = {}) =>
  jobFrom({
    image: "quay.io/acme/trainer:1.0",
    output: { size: "100Gi" },
    trainer: { type: "command", command: ["torchrun", "train.py", "--lr=1e-5"] },
    ...extra,
  });

/** An InstructLab job with `trainer` keys and job keys (`extra`) as given. */
const ilab = (extra: Record<string, unknown>, trainer: Record<string, unknown> = {}) =>
  jobFrom({
    image: "quay.io/acme/ilab:1",
    model: { existingClaim: "m" },
    dataset: { existingClaim: "d" },
    output: { size: "1Gi" },
    trainer: { type: "instructlab", ...trainer },
    ...extra,
  });

describe("buildPyTorchJob", () => {
  it("builds a one-node job: a Master only, nprocPerNode as a string, run policy defaults", () => {
    const pj = buildPyTorchJob({ name: "granite", namespace: "ml", job: commandJob(), hfToken: false });
    assert.equal(pj.apiVersion, "kubeflow.org/v1");
    assert.equal(pj.kind, "PyTorchJob");
    assert.deepEqual(pj.metadata, {
      name: "granite",
      namespace: "ml",
      labels: LABELS,
      annotations: {
        "pulumi.com/waitFor":
          'jsonpath={.status.conditions[?@.status=="True" && (@.type=="Running" || @.type=="Succeeded" || @.type=="Failed")].type}',
      },
    });
    assert.equal(pj.spec.nprocPerNode, "1");
    assert.deepEqual(pj.spec.runPolicy, {
      cleanPodPolicy: "Running",
      backoffLimit: 3,
      ttlSecondsAfterFinished: 604800,
    });
    assert.deepEqual(Object.keys(pj.spec.pytorchReplicaSpecs), ["Master"]);
    assert.equal(pj.spec.pytorchReplicaSpecs.Master.replicas, 1);
    assert.equal(pj.spec.pytorchReplicaSpecs.Master.restartPolicy, "OnFailure");
  });

  it("builds a three-node job: one Master, two Workers, the same pod template", () => {
    const job = commandJob({ nodes: 3, gpusPerNode: 8 });
    const pj = buildPyTorchJob({ name: "granite", namespace: "ml", job, hfToken: false });
    assert.equal(pj.spec.nprocPerNode, "8");
    assert.equal(pj.spec.pytorchReplicaSpecs.Master.replicas, 1);
    assert.equal(pj.spec.pytorchReplicaSpecs.Worker?.replicas, 2);
    assert.deepEqual(pj.spec.pytorchReplicaSpecs.Worker?.template, pj.spec.pytorchReplicaSpecs.Master.template);
  });

  it("sets every run policy field given; restartPolicy on every replica, not in the run policy", () => {
    const job = commandJob({
      nodes: 2,
      runPolicy: {
        cleanPodPolicy: "All",
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 600,
        restartPolicy: "ExitCode",
      },
    });
    const pj = buildPyTorchJob({ name: "granite", namespace: "ml", job, hfToken: false });
    assert.deepEqual(pj.spec.runPolicy, {
      cleanPodPolicy: "All",
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      ttlSecondsAfterFinished: 600,
    });
    assert.equal(pj.spec.pytorchReplicaSpecs.Master.restartPolicy, "ExitCode");
    assert.equal(pj.spec.pytorchReplicaSpecs.Worker?.restartPolicy, "ExitCode");
  });

  it("restarts failed containers in place by default (OnFailure), as before runPolicy.restartPolicy existed", () => {
    const pj = buildPyTorchJob({ name: "granite", namespace: "ml", job: commandJob({ nodes: 2 }), hfToken: false });
    assert.equal(pj.spec.pytorchReplicaSpecs.Master.restartPolicy, "OnFailure");
    assert.equal(pj.spec.pytorchReplicaSpecs.Worker?.restartPolicy, "OnFailure");
  });
});

describe("buildPodTemplate", () => {
  it("gives the pods the grace period asked for; 300 s with InstructLab's onDemandCheckpointing (its default); else none", () => {
    const grace = (job: Job) =>
      buildPodTemplate({ name: "granite", namespace: "ml", job, hfToken: false }).spec?.terminationGracePeriodSeconds;
    assert.equal(grace(commandJob()), undefined);
    assert.equal(grace(ilab({})), 300);
    assert.equal(grace(ilab({}, { onDemandCheckpointing: false })), undefined);
    assert.equal(grace(ilab({ terminationGracePeriodSeconds: 900 }, { onDemandCheckpointing: true })), 900);
    assert.equal(grace(commandJob({ terminationGracePeriodSeconds: 120 })), 120);
    assert.equal(grace(commandJob({ terminationGracePeriodSeconds: 0 })), 0);
  });

  it("mounts /dev/shm from memory, the model and dataset read-only, the output read-write", () => {
    const job = commandJob({
      shmSize: "16Gi",
      model: { existingClaim: "base-models" },
      dataset: { size: "10Gi" },
    });
    const t = buildPodTemplate({ name: "granite", namespace: "ml", job, hfToken: false });
    assert.deepEqual(t.metadata, { labels: LABELS });
    assert.deepEqual(t.spec?.volumes, [
      { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } },
      { name: "model", persistentVolumeClaim: { claimName: "base-models", readOnly: true } },
      { name: "dataset", persistentVolumeClaim: { claimName: "granite-dataset", readOnly: true } },
      { name: "output", persistentVolumeClaim: { claimName: "granite-output" } },
    ]);
    const [container] = (t.spec?.containers ?? []) as Record<string, unknown>[];
    assert.deepEqual(container.volumeMounts, [
      { name: "dshm", mountPath: "/dev/shm" },
      { name: "model", mountPath: "/mnt/model", readOnly: true },
      { name: "dataset", mountPath: "/mnt/dataset", readOnly: true },
      { name: "output", mountPath: "/mnt/output" },
    ]);
  });

  it("names the container pytorch and runs the argv as given", () => {
    const t = buildPodTemplate({ name: "granite", namespace: "ml", job: commandJob(), hfToken: false });
    const containers = t.spec?.containers as Record<string, unknown>[];
    assert.equal(containers.length, 1);
    assert.equal(containers[0].name, "pytorch");
    assert.equal(containers[0].image, "quay.io/acme/trainer:1.0");
    assert.deepEqual(containers[0].command, ["torchrun", "train.py", "--lr=1e-5"]);
    assert.equal(containers[0].args, undefined);
    assert.deepEqual(containers[0].env, [{ name: "CHECKPOINT_DIR", value: "/mnt/output/checkpoints" }]);
  });

  it("puts GPUs under the configured resource, with cpu and memory", () => {
    const job = commandJob({
      gpuResource: "habana.ai/gaudi",
      gpusPerNode: 8,
      resources: { cpu: "32", memory: "256Gi" },
    });
    const t = buildPodTemplate({ name: "granite", namespace: "ml", job, hfToken: false });
    const [container] = (t.spec?.containers ?? []) as Record<string, unknown>[];
    assert.deepEqual(container.resources, {
      requests: { cpu: "32", memory: "256Gi" },
      limits: { "habana.ai/gaudi": "8", memory: "256Gi" },
    });
  });

  it("exposes the token only through secretKeyRef, after the user's env", () => {
    const job = commandJob({ env: { NCCL_DEBUG: "INFO" } });
    const t = buildPodTemplate({ name: "granite", namespace: "ml", job, hfToken: true });
    const [container] = (t.spec?.containers ?? []) as Record<string, unknown>[];
    assert.deepEqual(container.env, [
      { name: "NCCL_DEBUG", value: "INFO" },
      { name: "CHECKPOINT_DIR", value: "/mnt/output/checkpoints" },
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
    ]);
  });

  it("copies scheduling from config", () => {
    const scheduling = {
      nodeSelector: { "nvidia.com/gpu.product": "H100" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "nvidia.com/gpu.memory", operator: "Gt", values: ["40000"] }] },
            ],
          },
        },
      },
      priorityClassName: "training-high",
      schedulerName: "volcano",
    };
    const t = buildPodTemplate({ name: "granite", namespace: "ml", job: commandJob({ scheduling }), hfToken: false });
    const spec = t.spec as Record<string, unknown>;
    const copied = Object.fromEntries(Object.keys(scheduling).map((k) => [k, spec[k]]));
    assert.deepEqual(copied, scheduling);
  });
});

describe("trainer argv", () => {
  it("launches the InstructLab entry point with torchrun, checkpoints on the output volume", () => {
    const job = jobFrom({
      image: "quay.io/acme/ilab:1",
      model: { existingClaim: "m" },
      dataset: { existingClaim: "d" },
      output: { size: "1Gi" },
      trainer: {
        type: "instructlab",
        epochs: 3,
        learningRate: 0.0001,
        effectiveBatchSize: 64,
        maxBatchLen: 20000,
        warmupSteps: 10,
        saveSamples: 5000,
        seed: 7,
        isGranite: true,
        lora: { rank: 8, targetModules: ["q_proj", "v_proj"] },
        extraArgs: ["--use_liger"],
      },
    });
    assert.deepEqual(trainerArgv("granite", job.trainer), [
      "torchrun",
      "--module",
      "instructlab.training.main_ds",
      "--model_name_or_path=/mnt/model",
      "--data_path=/mnt/dataset/processed/granite/data.jsonl",
      "--output_dir=/mnt/output/checkpoints",
      "--num_epochs=3",
      "--effective_batch_size=64",
      "--learning_rate=0.0001",
      "--num_warmup_steps=10",
      "--save_samples=5000",
      "--max_batch_len=20000",
      "--seed=7",
      "--distributed_training_framework=fsdp",
      "--log_level=INFO",
      "--checkpoint_at_epoch",
      "--on_demand_checkpointing",
      "--is_granite",
      "--lora_r=8",
      "--lora_alpha=32",
      "--lora_dropout=0.1",
      "--lora_target_modules",
      "q_proj",
      "v_proj",
      "--use_liger",
    ]);
  });

  it("asks InstructLab to checkpoint on demand (on SIGTERM) unless onDemandCheckpointing is false", () => {
    const flags = (job: Job) => trainerArgv("granite", job.trainer).filter((a) => /^--(checkpoint|on_demand)/.test(a));
    assert.deepEqual(flags(ilab({})), ["--checkpoint_at_epoch", "--on_demand_checkpointing"]);
    assert.deepEqual(flags(ilab({}, { onDemandCheckpointing: false })), ["--checkpoint_at_epoch"]);
    assert.deepEqual(flags(ilab({}, { checkpointAtEpoch: false })), ["--on_demand_checkpointing"]);
  });

  it("keeps hostile strings as single arguments", () => {
    const hostile = ["python", "-c", "$(rm -rf /); `id` && echo 'x' \"y\"\nz"];
    const job = commandJob({ trainer: { type: "command", command: hostile } });
    assert.deepEqual(trainerArgv("granite", job.trainer), hostile);
  });
});

describe("storage builders", () => {
  it("builds the namespace with standard labels", () => {
    assert.deepEqual(buildNamespace("ml"), {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "ml",
        labels: {
          "app.kubernetes.io/name": "finetune",
          "app.kubernetes.io/component": "namespace",
          "app.kubernetes.io/part-of": "finetune",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
    });
  });

  it("builds a PVC that does not block the deploy on binding", () => {
    const pvc = buildPersistentVolumeClaim(
      "granite",
      "output",
      { kind: "new", size: "100Gi", storageClass: "fast", accessMode: "ReadWriteMany", retain: true, protect: false },
      "ml",
    );
    assert.deepEqual(pvc, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "granite-output",
        namespace: "ml",
        labels: { ...LABELS, "app.kubernetes.io/component": "storage" },
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "100Gi" } }, storageClassName: "fast" },
    });
  });

  it("omits storageClassName to use the cluster default", () => {
    const pvc = buildPersistentVolumeClaim(
      "granite",
      "model",
      { kind: "new", size: "1Gi", accessMode: "ReadWriteOnce", retain: false, protect: false },
      "ml",
    );
    assert.equal("storageClassName" in pvc.spec, false);
  });

  it("puts the token in stringData under one key", () => {
    const secret = buildHfTokenSecret("ml", "TOKEN");
    assert.deepEqual(secret.stringData, { token: "TOKEN" });
    assert.equal(secret.metadata.name, "hf-token");
    assert.equal(secret.type, "Opaque");
  });
});
