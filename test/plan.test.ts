// A run's plan (builders/plan.ts) is what the FineTuneJob component declares, in its order, for
// either backend; and the judgement of a run (cluster/judge.ts) when the wait ends.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backendOf } from "../components/builders/backends";
import { planRun, programWaits } from "../components/builders/plan";
import { judgeRun } from "../components/cluster/judge";
import { parseConfig } from "../components/config";
import { runStack } from "./support/stacks";

const SECRETS = { hfToken: "hf_x", s3AccessKeyId: "AKIA", s3SecretAccessKey: "s" };

function stack(version: string): Record<string, unknown> {
  return {
    namespace: "ml",
    networkPolicy: true,
    trainingOperator: { install: false, version },
    ...SECRETS,
    jobs: {
      granite: {
        image: "quay.io/acme/trainer:1.0",
        model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "40Gi" },
        dataset: { source: "s3://data/run-1", endpoint: "https://minio.example.com:9000", size: "10Gi" },
        output: { size: "100Gi" },
        trainer: { type: "instructlab" },
      },
    },
  };
}

for (const [version, kind] of [
  ["v1.9.4", "PyTorchJob"],
  ["v2.3.0", "TrainJob"],
] as const) {
  describe(`planRun, ${kind}`, () => {
    const raw = stack(version);
    const config = parseConfig(raw, new Set(Object.keys(SECRETS)));
    const job = config.jobs.granite;
    const plan = planRun({
      name: "granite",
      namespace: "ml",
      job,
      backend: backendOf(config.trainingOperator.generation),
      staging: config.staging,
      credentials: { hfToken: true, s3Credentials: true },
      imagePullSecrets: false,
      networkPolicy: true,
      programWaits: false,
    });
    const planned = [
      ...plan.networkPolicies.map((p) => p.manifest),
      ...plan.claims.map((c) => c.manifest),
      ...plan.staging.map((s) => s.manifest),
      ...(plan.prepare ? [plan.prepare] : []),
      plan.training,
    ].map((m) => `${m.kind} ${m.metadata.name}`);

    it("lists every child of the run, in the order the component declares them", async () => {
      const run = await runStack(raw, Object.keys(SECRETS));
      const declared = run.resources
        .filter((r) => r.options.parent === "granite")
        .map((r) => `${r.inputs.kind} ${(r.inputs.metadata as { name: string }).name}`);
      assert.deepEqual(planned, [
        "NetworkPolicy granite-training",
        "NetworkPolicy granite-staging",
        "PersistentVolumeClaim granite-model",
        "PersistentVolumeClaim granite-dataset",
        "PersistentVolumeClaim granite-output",
        "Job granite-stage-model",
        "Job granite-stage-dataset",
        "Job granite-prepare",
        `${kind} granite`,
      ]);
      assert.deepEqual(declared, planned);
    });

    it("names the credentials each fetch reads and the image that runs it", () => {
      assert.deepEqual(
        plan.staging.map((s) => [s.role, s.credentials, s.manifest.spec.template.spec.containers[0]?.image]),
        [
          ["model", "hfToken", "quay.io/acme/trainer:1.0"],
          ["dataset", "s3Credentials", config.staging.s3Image],
        ],
      );
    });
  });
}

describe("programWaits", () => {
  const job = (extra: Record<string, unknown>) =>
    parseConfig(
      {
        namespace: "ml",
        jobs: { a: { image: "i:1", output: { size: "1Gi" }, trainer: { type: "command", command: ["x"] }, ...extra } },
      },
      new Set(),
    ).jobs.a;
  it("is the program's for every awaited run that is judged, queued or not; nothing waits under wait: none or skipAwait", () => {
    assert.equal(programWaits(job({ queue: "team-a" }), true), true);
    assert.equal(programWaits(job({ queue: "team-a", wait: "admitted" }), true), true);
    assert.equal(programWaits(job({ queue: "team-a" }), false), false);
    assert.equal(programWaits(job({ queue: "team-a", wait: "none" }), true), false);
    assert.equal(programWaits(job({}), true), true);
    assert.equal(programWaits(job({ wait: "succeeded" }), true), true);
    assert.equal(programWaits(job({ wait: "none" }), true), false);
    assert.equal(programWaits(job({}), false), false);
  });
});

describe("judgeRun", () => {
  const base = {
    backend: backendOf(1),
    key: "finetune:jobs.a",
    job: "ml/a",
    wait: "running" as const,
    judge: true,
    programWaits: false,
    seen: undefined,
    preview: false,
  };
  const failed = { conditions: [{ type: "Failed", status: "True", reason: "PyTorchJobFailed", message: "boom" }] };
  const message =
    "finetune:jobs.a: PyTorchJob ml/a failed (PyTorchJobFailed: boom). A failed run is not started again by itself: fix its cause, then set finetune:jobs.a.rerun to a new value (or change anything else that defines the run) and run pulumi up again.";

  it("fails a failed run on up, warns of it in a preview, and judges nothing unobserved or unjudged", () => {
    assert.deepEqual(judgeRun({ ...base, status: failed }), { kind: "fail", message });
    assert.deepEqual(judgeRun({ ...base, status: failed, preview: true }), {
      kind: "warn",
      message: `${message} Until then, pulumi up fails.`,
    });
    assert.deepEqual(judgeRun({ ...base, status: undefined }), { kind: "pass" });
    assert.deepEqual(judgeRun({ ...base, status: failed, judge: false }), { kind: "pass" });
  });

  it("judges nothing in a destroy: a failed run, or one Kueue can never admit, is about to be deleted", () => {
    assert.deepEqual(judgeRun({ ...base, status: failed, destroy: true }), { kind: "pass" });
    const inadmissible = {
      status: undefined,
      queue: { state: "inadmissible" as const },
      error: "PyTorchJob ml/a can never be admitted",
      forever: true,
    };
    assert.deepEqual(judgeRun({ ...base, programWaits: true, status: undefined, seen: inadmissible, destroy: true }), {
      kind: "pass",
    });
  });

  it("judges a queued run from the watch: passed, or failed with why it did not start", () => {
    const queued = { ...base, programWaits: true, status: undefined };
    assert.deepEqual(judgeRun({ ...queued, seen: { status: undefined, queue: { state: "admitted" } } }), {
      kind: "pass",
    });
    assert.deepEqual(
      judgeRun({
        ...queued,
        seen: {
          status: undefined,
          queue: { state: "inadmissible", reason: "Pending" },
          error: "PyTorchJob ml/a can never be admitted by Kueue as its queues stand: inadmissible (Pending)",
          forever: true,
        },
      }),
      {
        kind: "fail",
        message:
          "finetune:jobs.a: PyTorchJob ml/a can never be admitted by Kueue as its queues stand: inadmissible (Pending). Kueue keeps it queued until the job or the queues change: lower its resources or nodes, or move it to another queue (a new run), or have the ClusterQueue's quota raised; then run pulumi up again.",
      },
    );
  });
});
