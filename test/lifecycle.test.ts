// The job lifecycle under the SDK's mock runtime: staging and data preparation Jobs, waits,
// reruns (what a config change replaces), retention, gang scheduling and run outputs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { HF_DOWNLOAD_PROGRAM } from "../components/sources/hf";
import { skipAwaitTransform } from "../components/transforms";
import type { RunOptions } from "../tools/mockRun";
import { recordLogs } from "./support/logs";
import { commandJob, OWNED, one, plan, runStack, T, withoutRecord } from "./support/stacks";

type Json = Record<string, any>;
const JOB = "kubernetes:batch/v1:Job";

const ilabJob = (extra: Record<string, unknown> = {}) => ({
  image: "quay.io/acme/ilab:1.0",
  model: { source: "hf://ibm-granite/granite-3.1-8b-base@main", size: "40Gi" },
  dataset: { source: "s3://training-data/granite", endpoint: "https://minio.example.com:9000", size: "10Gi" },
  output: { size: "100Gi" },
  trainer: { type: "instructlab", epochs: 2 },
  ...extra,
});

const base = (jobs: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  namespace: "ml",
  trainingOperator: { install: false },
  jobs,
  ...extra,
});

const SECRETS = ["hfToken", "s3AccessKeyId", "s3SecretAccessKey"];
const withSecrets = { hfToken: "hf_canary", s3AccessKeyId: "AKIA_CANARY", s3SecretAccessKey: "s3_canary" };

describe("staging and data preparation", () => {
  it("stages each fetched volume once, prepares the data once, and trains after both", async () => {
    const run = await runStack(base({ granite: ilabJob() }, withSecrets), SECRETS);
    assert.deepEqual(
      run.resources.filter((r) => r.type === JOB).map((r) => r.name),
      ["granite-stage-model", "granite-stage-dataset", "granite-prepare"],
    );
    assert.deepEqual(one(run, JOB, "granite-stage-model").options.dependsOn, [
      "granite-model",
      "ml-hf-token",
      "ml-service-account",
    ]);
    assert.deepEqual(one(run, JOB, "granite-stage-dataset").options.dependsOn, [
      "granite-dataset",
      "ml-s3-credentials",
      "ml-service-account",
    ]);
    assert.deepEqual(one(run, JOB, "granite-prepare").options.dependsOn, [
      "granite-model",
      "granite-dataset",
      "granite-stage-model",
      "granite-stage-dataset",
      "ml-service-account",
    ]);
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-model",
      "granite-dataset",
      "granite-output",
      "granite-stage-model",
      "granite-stage-dataset",
      "granite-prepare",
      "ml-hf-token",
      "ml-service-account",
    ]);
    for (const name of ["granite-stage-model", "granite-stage-dataset", "granite-prepare"]) {
      const options = one(run, JOB, name).options;
      assert.deepEqual(options.customTimeouts, { create: "2h", update: "2h" }, name);
      assert.deepEqual(options.replaceOnChanges, ["spec"], name);
      assert.equal(options.deleteBeforeReplace, true, name);
    }
  });

  it("fetches hf:// with a constant program and argv, the token only through secretKeyRef", async () => {
    const run = await runStack(base({ granite: ilabJob() }, withSecrets), SECRETS);
    const pod = (one(run, JOB, "granite-stage-model").inputs as Json).spec.template.spec;
    const [container] = pod.containers;
    assert.equal(container.image, "quay.io/acme/ilab:1.0");
    assert.deepEqual(container.command, [
      "python3",
      "-c",
      HF_DOWNLOAD_PROGRAM,
      "model",
      "ibm-granite/granite-3.1-8b-base",
      "main",
      "/mnt/target",
    ]);
    assert.deepEqual(container.env, [
      { name: "HOME", value: "/tmp" },
      { name: "HF_HOME", value: "/tmp/huggingface" },
      { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
    ]);
    assert.deepEqual(pod.volumes[0], { name: "target", persistentVolumeClaim: { claimName: "granite-model" } });
    assert.equal(pod.restartPolicy, "Never");
  });

  it("fetches s3:// with aws s3 sync against the endpoint, credentials through secretKeyRef", async () => {
    const run = await runStack(base({ granite: ilabJob() }, withSecrets), SECRETS);
    const [container] = (one(run, JOB, "granite-stage-dataset").inputs as Json).spec.template.spec.containers;
    assert.equal(container.image, "docker.io/amazon/aws-cli:2.22.35");
    assert.deepEqual(container.command, [
      "aws",
      "s3",
      "sync",
      "s3://training-data/granite",
      "/mnt/target",
      "--no-progress",
      "--endpoint-url",
      "https://minio.example.com:9000",
    ]);
    assert.deepEqual(container.env, [
      { name: "HOME", value: "/tmp" },
      { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "s3-credentials", key: "accessKeyId" } } },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: { secretKeyRef: { name: "s3-credentials", key: "secretAccessKey" } },
      },
    ]);
    for (const r of run.resources.filter((r) => r.type !== T.secret)) {
      const text = JSON.stringify(r.inputs);
      for (const canary of Object.values(withSecrets)) assert.equal(text.includes(canary), false, `${r.name}`);
    }
  });

  it("prepares data with InstructLab's data_process, writing into the dataset volume", async () => {
    const run = await runStack(base({ granite: ilabJob({ trainer: { type: "instructlab", maxSeqLen: 8192 } }) }));
    const pod = (one(run, JOB, "granite-prepare").inputs as Json).spec.template.spec;
    assert.deepEqual(pod.containers[0].command, [
      "python3",
      "-m",
      "instructlab.training.data_process",
      "--data_path=/mnt/dataset/data.jsonl",
      "--data_output_path=/mnt/dataset/processed/granite",
      "--max_seq_len=8192",
      "--model_name_or_path=/mnt/model",
    ]);
    assert.deepEqual(pod.containers[0].volumeMounts.slice(0, 2), [
      { name: "model", mountPath: "/mnt/model", readOnly: true },
      { name: "dataset", mountPath: "/mnt/dataset" },
    ]);
    const train = (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master.template
      .spec.containers[0].command;
    assert.equal(train.includes("--data_path=/mnt/dataset/processed/granite/data.jsonl"), true);
  });

  it("declares no staging for claims and pvc:// sources, no preparation for commands or processData: false", async () => {
    const run = await runStack(
      base({
        a: commandJob({ model: { source: "pvc://shared-models/granite" }, dataset: { existingClaim: "data" } }),
        b: ilabJob({
          model: { existingClaim: "models" },
          dataset: { existingClaim: "data" },
          trainer: { type: "instructlab", processData: false },
        }),
      }),
    );
    assert.equal(run.resources.filter((r) => r.type === JOB).length, 0);
    const mounts = (one(run, T.pytorchJob, "a-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master.template.spec
      .containers[0].volumeMounts;
    assert.deepEqual(mounts[1], { name: "model", mountPath: "/mnt/model", subPath: "granite", readOnly: true });
  });

  it("uses staging.hfImage, staging.s3Image and staging.timeout when set", async () => {
    const run = await runStack(
      base(
        { granite: ilabJob() },
        { staging: { hfImage: "registry.example.com/hf:1", s3Image: "registry.example.com/aws:2", timeout: "45m" } },
      ),
    );
    const image = (name: string) => (one(run, JOB, name).inputs as Json).spec.template.spec.containers[0].image;
    assert.equal(image("granite-stage-model"), "registry.example.com/hf:1");
    assert.equal(image("granite-stage-dataset"), "registry.example.com/aws:2");
    assert.deepEqual(one(run, JOB, "granite-prepare").options.customTimeouts, { create: "45m", update: "45m" });
  });
});

describe("waits", () => {
  const annotations = async (extra: Record<string, unknown>) => {
    const run = await runStack(base({ a: commandJob(extra) }));
    const pj = one(run, T.pytorchJob, "a-pytorchjob");
    return {
      annotations: withoutRecord((pj.inputs as Json).metadata.annotations),
      timeouts: pj.options.customTimeouts,
    };
  };

  it("running (the default): the program waits, not the provider: skipAwait, and the wait recorded", async () => {
    assert.deepEqual(await annotations({}), {
      annotations: { ...OWNED, "pulumi.com/skipAwait": "true", "finetune/wait": "running" },
      timeouts: undefined,
    });
  });

  it("succeeded, with a timeout: the same, the timeout being the program's", async () => {
    assert.deepEqual(await annotations({ wait: "succeeded", timeout: "36h" }), {
      annotations: { ...OWNED, "pulumi.com/skipAwait": "true", "finetune/wait": "succeeded" },
      timeouts: undefined,
    });
  });

  it("under cluster.skipAwait the run is not judged, and the provider's wait annotation is left for the transform", async () => {
    const run = await runStack(base({ a: commandJob({ wait: "succeeded" }) }, { cluster: { skipAwait: true } }));
    const pj = one(run, T.pytorchJob, "a-pytorchjob");
    assert.deepEqual(withoutRecord((pj.inputs as Json).metadata.annotations), {
      ...OWNED,
      "pulumi.com/skipAwait": "true",
      "pulumi.com/deletionPropagationPolicy": "background",
      "pulumi.com/waitFor":
        'jsonpath={.status.conditions[?@.status=="True" && (@.type=="Succeeded" || @.type=="Failed")].type}',
    });
  });

  it("none: skipAwait, no timeout", async () => {
    assert.deepEqual(await annotations({ wait: "none" }), {
      annotations: { ...OWNED, "pulumi.com/skipAwait": "true" },
      timeouts: undefined,
    });
  });
});

describe("reruns: what a config change replaces", () => {
  const planFor = async (before: Record<string, unknown>, after: Record<string, unknown>) => {
    const a = await runStack(base({ granite: ilabJob(before), other: commandJob() }));
    const b = await runStack(base({ granite: ilabJob(after), other: commandJob() }));
    return Object.fromEntries(Object.entries(plan(a, b)).filter(([, action]) => action !== "same"));
  };

  it("a hyperparameter replaces that job's PyTorchJob and nothing else", async () => {
    assert.deepEqual(await planFor({}, { trainer: { type: "instructlab", epochs: 3 } }), {
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    });
  });

  it("node or GPU count replace the PyTorchJob only", async () => {
    assert.deepEqual(await planFor({}, { gpusPerNode: 2 }), { [`${T.pytorchJob} granite-pytorchjob`]: "replace" });
  });

  it("the rerun key prepares the data and trains again, and stages nothing", async () => {
    const run = {
      [`${JOB} granite-prepare`]: "replace",
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    };
    assert.deepEqual(await planFor({}, { rerun: "again" }), run);
    assert.deepEqual(await planFor({ rerun: "1" }, { rerun: "2" }), run);
  });

  it("more nodes also widens the new volumes' default access mode", async () => {
    const changes = await planFor({}, { nodes: 2 });
    assert.equal(changes[`${T.pytorchJob} granite-pytorchjob`], "replace");
  });

  it("a source change re-stages that volume, re-prepares the data and reruns training", async () => {
    assert.deepEqual(await planFor({}, { dataset: { source: "s3://training-data/granite-v2", size: "10Gi" } }), {
      [`${JOB} granite-stage-dataset`]: "replace",
      [`${JOB} granite-prepare`]: "replace",
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    });
  });

  it("restage re-fetches that volume, re-prepares the data and reruns training", async () => {
    const model = ilabJob().model as Json;
    assert.deepEqual(await planFor({}, { model: { ...model, restage: "2026-11-29" } }), {
      [`${JOB} granite-stage-model`]: "replace",
      [`${JOB} granite-prepare`]: "replace",
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    });
    const dataset = ilabJob().dataset as Json;
    assert.deepEqual(
      await planFor({ dataset: { ...dataset, restage: "a" } }, { dataset: { ...dataset, restage: "b" } }),
      {
        [`${JOB} granite-stage-dataset`]: "replace",
        [`${JOB} granite-prepare`]: "replace",
        [`${T.pytorchJob} granite-pytorchjob`]: "replace",
      },
    );
  });

  it("labels and annotations are updated in place", async () => {
    assert.deepEqual(await planFor({}, { labels: { team: "a" }, annotations: { "example.com/ticket": "ML-1" } }), {
      [`${T.pytorchJob} granite-pytorchjob`]: "update",
    });
  });

  it("changing the wait is an in-place update (after which the program waits as the new mode asks)", async () => {
    const update = { [`${T.pytorchJob} granite-pytorchjob`]: "update" };
    assert.deepEqual(await planFor({}, { wait: "none" }), update);
    assert.deepEqual(await planFor({ wait: "running" }, { wait: "succeeded" }), update);
  });

  it("puts sources and the rerun token into the pod template", async () => {
    const run = await runStack(base({ granite: ilabJob({ rerun: "2026-11-28" }) }));
    const template = (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master
      .template;
    assert.deepEqual(template.metadata.annotations, {
      "finetune/model-source": "hf://ibm-granite/granite-3.1-8b-base@main",
      "finetune/dataset-source": "s3://training-data/granite",
      "finetune/rerun": "2026-11-28",
    });
  });
});

describe("retries of staging and data preparation", () => {
  it("marks each staging and preparation Job replaceUnready: a failed one is replaced by the next up", async () => {
    const run = await runStack(base({ granite: ilabJob() }));
    for (const name of ["granite-stage-model", "granite-stage-dataset", "granite-prepare"]) {
      assert.deepEqual((one(run, JOB, name).inputs as Json).metadata.annotations, {
        ...OWNED,
        "pulumi.com/replaceUnready": "true",
      });
    }
  });

  it("records the restage token on the staging pod template and in every later step", async () => {
    const run = await runStack(
      base({ granite: ilabJob({ model: { ...(ilabJob().model as Json), restage: "2026-11-29" } }) }),
    );
    const template = (name: string) => (one(run, JOB, name).inputs as Json).spec.template.metadata.annotations;
    assert.deepEqual(template("granite-stage-model"), {
      "finetune/model-source": "hf://ibm-granite/granite-3.1-8b-base@main",
      "finetune/model-restage": "2026-11-29",
    });
    assert.deepEqual(template("granite-stage-dataset"), { "finetune/dataset-source": "s3://training-data/granite" });
    const expected = {
      "finetune/model-source": "hf://ibm-granite/granite-3.1-8b-base@main",
      "finetune/model-restage": "2026-11-29",
      "finetune/dataset-source": "s3://training-data/granite",
    };
    assert.deepEqual(template("granite-prepare"), expected);
    assert.deepEqual(
      (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master.template.metadata
        .annotations,
      expected,
    );
  });
});

describe("cleanup and retention", () => {
  it("retains output PVCs on delete by default, and the namespace that holds them", async () => {
    const run = await runStack(base({ granite: ilabJob() }));
    assert.equal(one(run, T.pvc, "granite-output").options.retainOnDelete, true);
    assert.equal(one(run, T.pvc, "granite-output").options.protect, false);
    assert.equal(one(run, T.pvc, "granite-model").options.retainOnDelete, false);
    assert.equal(one(run, T.pvc, "granite-dataset").options.retainOnDelete, false);
    assert.equal(one(run, T.namespace, "ml").options.retainOnDelete, true);
    for (const name of ["granite-stage-model", "granite-stage-dataset", "granite-prepare"]) {
      assert.equal(one(run, JOB, name).options.retainOnDelete, undefined, name);
    }
    assert.equal(one(run, T.pytorchJob, "granite-pytorchjob").options.retainOnDelete, undefined);
  });

  it("output.retain: false deletes the PVC, and then the namespace too", async () => {
    const run = await runStack(base({ granite: ilabJob({ output: { size: "1Gi", retain: false } }) }));
    assert.equal(one(run, T.pvc, "granite-output").options.retainOnDelete, false);
    assert.equal(one(run, T.namespace, "ml").options.retainOnDelete, false);
  });

  it("output.protect: true protects the PVC", async () => {
    const run = await runStack(base({ granite: ilabJob({ output: { size: "1Gi", protect: true } }) }));
    assert.equal(one(run, T.pvc, "granite-output").options.protect, true);
  });

  it("run policy defaults free GPUs, expire the finished job and bound retries", async () => {
    const run = await runStack(base({ a: commandJob() }));
    assert.deepEqual((one(run, T.pytorchJob, "a-pytorchjob").inputs as Json).spec.runPolicy, {
      cleanPodPolicy: "Running",
      backoffLimit: 3,
      ttlSecondsAfterFinished: 604800,
    });
  });
});

describe("gang scheduling", () => {
  it("fills schedulingPolicy with minAvailable = nodes, queue and priority class", async () => {
    const run = await runStack(
      base({
        a: commandJob({
          nodes: 4,
          scheduling: { gang: true, queue: "research", priorityClassName: "high", schedulerName: "volcano" },
        }),
      }),
    );
    const spec = (one(run, T.pytorchJob, "a-pytorchjob").inputs as Json).spec;
    assert.deepEqual(spec.runPolicy.schedulingPolicy, { minAvailable: 4, queue: "research", priorityClass: "high" });
    assert.equal(spec.pytorchReplicaSpecs.Worker.template.spec.schedulerName, "volcano");
  });

  it("leaves schedulingPolicy out without gang: true", async () => {
    const run = await runStack(base({ a: commandJob({ nodes: 4 }) }));
    assert.equal("schedulingPolicy" in (one(run, T.pytorchJob, "a-pytorchjob").inputs as Json).spec.runPolicy, false);
  });
});

describe("outputs", () => {
  const conditions = [
    { type: "Created", status: "True", reason: "PyTorchJobCreated", message: "created", lastTransitionTime: "t0" },
    { type: "Running", status: "True", reason: "PyTorchJobRunning", message: "running", lastTransitionTime: "t1" },
  ];
  // The job as the provider created it (its UID), and the cluster the program reads it from: a run
  // this update leaves unchanged is looked at once (the mock engine runs no hooks).
  const UID = "0b7d-granite";
  const withStatus = (status: Json): RunOptions => ({
    state: (r) =>
      r.type === T.pytorchJob ? { metadata: { ...(r.inputs.metadata as Json), uid: UID }, status } : undefined,
    cluster: {
      get: async (_apiVersion, kind, name) =>
        kind === "PyTorchJob" && name === "granite" ? { metadata: { uid: UID }, status } : undefined,
      list: async () => [],
      namespacedKinds: async () => [],
      log: async () => undefined,
    },
  });

  it("exports name, namespace, claim, checkpoint path, the conditions seen and the logs command", async () => {
    const run = await runStack(
      base({ granite: ilabJob() }, { cluster: { context: "gpu-east" } }),
      [],
      withStatus({ conditions }),
    );
    assert.deepEqual((run.outputs.jobs as Json).granite, {
      name: "granite",
      namespace: "ml",
      outputClaim: "granite-output",
      checkpointPath: "checkpoints",
      conditions: [
        { type: "Created", status: "True", reason: "PyTorchJobCreated", message: "created" },
        { type: "Running", status: "True", reason: "PyTorchJobRunning", message: "running" },
      ],
      logs: "kubectl --context gpu-east -n ml logs -f pod/granite-master-0 -c pytorch",
      // One look, no pod yet: nothing started, nothing restarted.
      run: { restarts: 0 },
    });
  });

  it("exports the run's account: its pods' first start, its end, duration, restarts and GPU-hours", async () => {
    const succeeded = [
      conditions[0],
      { type: "Succeeded", status: "True", reason: "PyTorchJobSucceeded", lastTransitionTime: "2026-12-04T12:30:00Z" },
    ];
    const pod = (name: string, startTime: string, restartCount: number) => ({
      metadata: { name },
      status: {
        phase: "Succeeded",
        startTime,
        containerStatuses: [{ name: "pytorch", restartCount, state: { terminated: { exitCode: 0 } } }],
      },
    });
    const options = withStatus({ conditions: succeeded });
    const run = await runStack(base({ granite: { ...ilabJob(), nodes: 2, gpusPerNode: 8 } }), [], {
      ...options,
      cluster: {
        ...(options.cluster as NonNullable<RunOptions["cluster"]>),
        list: async (_apiVersion, kind) =>
          kind === "Pod"
            ? [pod("granite-master-0", "2026-12-04T10:00:00Z", 1), pod("granite-worker-0", "2026-12-04T10:00:05Z", 2)]
            : [],
      },
    });
    // 2 h 30 min from the first pod's start to the Succeeded condition, on 2 nodes of 8 GPUs.
    assert.deepEqual((run.outputs.jobs as Json).granite.run, {
      startedAt: "2026-12-04T10:00:00Z",
      finishedAt: "2026-12-04T12:30:00Z",
      durationSeconds: 9000,
      restarts: 3,
      gpuHours: 40,
    });
  });

  const failed = [
    conditions[0],
    { type: "Failed", status: "True", reason: "PyTorchJobFailed", message: "1 Master replica(s) failed." },
  ];
  const FAILED_MESSAGE =
    "finetune:jobs.granite: PyTorchJob ml/granite failed (PyTorchJobFailed: 1 Master replica(s) failed.). " +
    "A failed run is not started again by itself: fix its cause, then set finetune:jobs.granite.rerun to a new value " +
    "(or change anything else that defines the run) and run pulumi up again.";

  it("fails the deploy with the job's reason when the run failed: an error the engine sees, not a log line", async () => {
    const errors = await recordLogs("error", () =>
      assert.rejects(
        runStack(base({ granite: ilabJob({ wait: "succeeded" }) }), [], withStatus({ conditions: failed })),
        (e: Error) => {
          assert.equal(pulumi.ResourceError.isInstance(e), true, String(e));
          assert.equal(e.message, FAILED_MESSAGE);
          assert.equal((e as pulumi.ResourceError).hideStack, true);
          // No frames: the CLI never shows them, and Node.js 20 and 22 loop for seconds to
          // gigabytes formatting the SDK's source-mapped frames (nodejs/node#64011).
          assert.equal(e.stack, `Error: ${FAILED_MESSAGE}`);
          return true;
        },
      ),
    );
    // Logged diagnostics do not fail a CLI run, so the failure must not rely on one.
    assert.deepEqual(errors, []);
  });

  it("in a preview, a failed run held in the state is a warning: the plan still shows", async () => {
    const warnings = await recordLogs("warn", async () => {
      const run = await runStack(base({ granite: ilabJob() }), [], {
        ...withStatus({ conditions: failed }),
        preview: true,
      });
      assert.deepEqual(((run.outputs.jobs as Json).granite as Json).conditions, [
        { type: "Created", status: "True", reason: "PyTorchJobCreated", message: "created" },
        { type: "Failed", status: "True", reason: "PyTorchJobFailed", message: "1 Master replica(s) failed." },
      ]);
    });
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("finetune:jobs.granite:")),
      [`${FAILED_MESSAGE} Until then, pulumi up fails.`],
    );
  });

  it("waits again for an unchanged run short of what wait asks (its last wait did not end), and tells it", async () => {
    const succeeded = [
      conditions[0],
      { type: "Succeeded", status: "True", reason: "PyTorchJobSucceeded", message: "completed" },
    ];
    const looks = [conditions, succeeded];
    let gets = 0;
    const options = withStatus({ conditions });
    const cluster = {
      ...(options.cluster as NonNullable<RunOptions["cluster"]>),
      get: async (_apiVersion: string, kind: string, name: string) =>
        kind === "PyTorchJob" && name === "granite"
          ? { metadata: { uid: UID }, status: { conditions: looks[Math.min(gets++, looks.length - 1)] } }
          : undefined,
    };
    let outputs: Json = {};
    const lines = await recordLogs("info", async () => {
      const run = await runStack(base({ granite: ilabJob({ wait: "succeeded" }) }), [], { ...options, cluster });
      outputs = (run.outputs.jobs as Json).granite;
    });
    assert.equal(gets, 2);
    assert.deepEqual(
      outputs.conditions.map((c: Json) => `${c.type}=${c.status}`),
      ["Created=True", "Succeeded=True"],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith("PyTorchJob ml/granite")),
      [
        "PyTorchJob ml/granite: running (PyTorchJobRunning: running)",
        "PyTorchJob ml/granite: succeeded (PyTorchJobSucceeded: completed)",
      ],
    );
  });

  it("does not fail a run that reached what wait asked for, nor one with no status (a preview)", async () => {
    assert.deepEqual(
      await recordLogs("error", () => runStack(base({ granite: ilabJob() }), [], withStatus({ conditions }))),
      [],
    );
    assert.deepEqual(await recordLogs("error", () => runStack(base({ granite: ilabJob() }))), []);
  });
});

describe("cluster.skipAwait", () => {
  it("gives every component the transform, which reaches every object, and does not judge the run", async () => {
    const errors = await recordLogs("error", async () => {
      const run = await runStack(
        { namespace: "ml", cluster: { skipAwait: true }, jobs: { granite: ilabJob({ wait: "succeeded" }) } },
        [],
        { state: (r) => (r.type === T.pytorchJob ? { status: { conditions: [] } } : undefined) },
      );
      for (const r of run.resources.filter((r) => r.type.startsWith("finetune:index:"))) {
        // After the component's guards (components/guards.ts).
        assert.deepEqual(r.options.transforms.slice(1), [skipAwaitTransform], r.name);
      }
      const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.kind);
      assert.equal(objects.length, 9);
      for (const o of objects) {
        const { "finetune/stack": owner, ...annotations } = (o.inputs as Json).metadata.annotations;
        assert.equal(owner, OWNED["finetune/stack"], o.name);
        assert.equal(annotations["pulumi.com/skipAwait"], "true", o.name);
        assert.equal(annotations["pulumi.com/deletionPropagationPolicy"], "background", o.name);
        assert.equal(annotations["pulumi.com/replaceUnready"], undefined, o.name);
      }
    });
    assert.deepEqual(errors, []);
  });

  it("the transform marks Kubernetes objects not to be awaited, to be deleted in the background, never replaced as unready", () => {
    const result = skipAwaitTransform({
      type: "kubernetes:apps/v1:Deployment",
      name: "d",
      custom: true,
      props: {
        metadata: { name: "training-operator", annotations: { a: "b", "pulumi.com/replaceUnready": "true" } },
        spec: {},
      },
      opts: {},
    } as never);
    assert.deepEqual(result?.props, {
      metadata: {
        name: "training-operator",
        annotations: { a: "b", "pulumi.com/skipAwait": "true", "pulumi.com/deletionPropagationPolicy": "background" },
      },
      spec: {},
    });
    for (const type of [
      "kubernetes:kustomize/v2:Directory",
      "kubernetes:yaml:ConfigGroup",
      "pulumi:providers:kubernetes",
      "finetune:index:FineTuneJob",
    ]) {
      assert.equal(
        skipAwaitTransform({ type, name: "x", custom: true, props: {}, opts: {} } as never),
        undefined,
        type,
      );
    }
  });

  it("is off by default: no component carries it", async () => {
    const run = await runStack(base({ a: commandJob() }));
    for (const r of run.resources.filter((r) => r.type.startsWith("finetune:index:"))) {
      assert.equal(r.options.transforms.length, 1, r.name);
      assert.equal(r.options.transforms.includes(skipAwaitTransform), false, r.name);
    }
    // Only the transform deletes in the background.
    for (const o of run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.kind)) {
      assert.equal((o.inputs as Json).metadata.annotations["pulumi.com/deletionPropagationPolicy"], undefined, o.name);
    }
  });
});
