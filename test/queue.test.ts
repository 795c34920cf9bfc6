// Kueue: a job submitted to a LocalQueue by its label (per job or for the whole stack), never
// suspended by the program, a queue change as a new run, the `admitted` wait on both backends,
// and the mistakes refused with their keys.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runVerdict } from "../components/builders/run";
import { waitAnnotations as v1Wait } from "../components/builders/v1/status";
import { waitAnnotations as v2Wait } from "../components/builders/v2/status";
import { parseConfig } from "../components/config";
import { problemsOf } from "./support/problems";
import { commandJob, one, plan, runStack, T } from "./support/stacks";

type Json = Record<string, any>;
const TRAINJOB = "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob";
const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

describe("queues: the job is submitted to a LocalQueue by its label", () => {
  it("labels the PyTorchJob with the job's queue, records it in the pods' spec, and leaves suspend to Kueue", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: {
        granite: commandJob({ queue: "team-a", nodes: 2, output: { size: "1Gi", accessMode: "ReadWriteMany" } }),
      },
    });
    const job = one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json;
    assert.equal(job.metadata.labels[QUEUE_LABEL], "team-a");
    assert.equal(job.spec.runPolicy.suspend, undefined);
    for (const replica of ["Master", "Worker"]) {
      assert.equal(
        job.spec.pytorchReplicaSpecs[replica].template.metadata.annotations["finetune/queue"],
        "team-a",
        replica,
      );
    }
  });

  it("takes finetune:queue for every job that names none; a job's own queue wins", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      queue: "shared",
      jobs: { a: commandJob(), b: commandJob({ queue: "urgent" }) },
    });
    const labels = (name: string) => (one(run, T.pytorchJob, `${name}-pytorchjob`).inputs as Json).metadata.labels;
    assert.equal(labels("a")[QUEUE_LABEL], "shared");
    assert.equal(labels("b")[QUEUE_LABEL], "urgent");
  });

  it("gives the Workload the priority of a Kueue WorkloadPriorityClass by label", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      queue: "shared",
      jobs: { a: commandJob({ workloadPriorityClass: "urgent" }) },
    });
    const labels = (one(run, T.pytorchJob, "a-pytorchjob").inputs as Json).metadata.labels;
    assert.equal(labels["kueue.x-k8s.io/priority-class"], "urgent");
  });

  it("writes no queue label without a queue", async () => {
    const run = await runStack({ namespace: "ml", trainingOperator: { install: false }, jobs: { a: commandJob() } });
    const job = one(run, T.pytorchJob, "a-pytorchjob").inputs as Json;
    assert.equal(QUEUE_LABEL in job.metadata.labels, false);
    assert.equal(job.spec.pytorchReplicaSpecs.Master.template.metadata.annotations, undefined);
  });

  it("labels the TrainJob the same way on Trainer v2, and leaves spec.suspend to Kueue", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { version: "v2.3.0", install: false },
      jobs: { granite: commandJob({ queue: "team-a" }) },
    });
    const job = one(run, TRAINJOB, "granite-trainjob").inputs as Json;
    assert.equal(job.metadata.labels[QUEUE_LABEL], "team-a");
    assert.equal(job.spec.suspend, undefined);
    const patch = job.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0];
    assert.equal(patch.template.spec.template.metadata.annotations["finetune/queue"], "team-a");
  });

  it("plans a queue change as a new run of that job only: its PyTorchJob is replaced", async () => {
    const stack = (queue: string) => ({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { a: commandJob({ queue }), b: commandJob() },
    });
    const changes = plan(await runStack(stack("team-a")), await runStack(stack("team-b")));
    assert.deepEqual(Object.fromEntries(Object.entries(changes).filter(([, action]) => action !== "same")), {
      [`${T.pytorchJob} a-pytorchjob`]: "replace",
    });
  });
});

describe("queues: the admitted wait", () => {
  it("is never the provider's, on either generation: the program reads admission from the Workload", () => {
    assert.deepEqual(v1Wait("admitted"), { "pulumi.com/skipAwait": "true" });
    assert.deepEqual(v2Wait("admitted"), { "pulumi.com/skipAwait": "true" });
  });

  it("passes an admitted run that has not started yet, and fails one that failed", () => {
    assert.deepEqual(runVerdict("PyTorchJob", "ml/a", "admitted", { state: "created" }), {
      ok: true,
      status: { state: "created" },
    });
    const failed = { state: "failed", reason: "PyTorchJobFailed", message: "backoff limit" } as const;
    assert.deepEqual(runVerdict("PyTorchJob", "ml/a", "admitted", failed), {
      ok: false,
      status: failed,
      error: "PyTorchJob ml/a failed (PyTorchJobFailed: backoff limit)",
    });
  });

  it("defaults its timeout to 1h", () => {
    const parsed = parseConfig(
      {
        namespace: "ml",
        trainingOperator: { install: false },
        jobs: { a: commandJob({ queue: "q", wait: "admitted" }) },
      },
      new Set(),
    );
    assert.equal(parsed.jobs.a.timeout, "1h");
  });
});

describe("queues: mistakes", () => {
  it("refuses the admitted wait without a queue, a queue label written by hand, and a queue name that is no label value", () => {
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        jobs: {
          a: commandJob({ wait: "admitted" }),
          b: commandJob({ queue: "Team_A" }),
          c: commandJob({ queue: "q".repeat(64) }),
          d: commandJob({ labels: { [QUEUE_LABEL]: "team-a" } }),
        },
      }),
      [
        "finetune:jobs.b.queue: must be a LocalQueue name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
        "finetune:jobs.c.queue: must be at most 63 characters (a LocalQueue name, written as a label value)",
        "finetune:jobs.a.wait: is admitted, which waits for Kueue to admit the job, but the job has no queue: set finetune:jobs.a.queue (or finetune:queue) to a LocalQueue of the namespace, or wait for running",
        "finetune:jobs.d.labels.kueue.x-k8s.io/queue-name: is set by the program from the job's queue: set finetune:jobs.d.queue (or finetune:queue for every job) instead",
      ],
    );
  });

  it("refuses a WorkloadPriorityClass without a queue, and its label written by hand", () => {
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        jobs: {
          a: commandJob({ workloadPriorityClass: "urgent" }),
          b: commandJob({ queue: "q", labels: { "kueue.x-k8s.io/priority-class": "urgent" } }),
        },
      }),
      [
        "finetune:jobs.a.workloadPriorityClass: applies only to a job with a Kueue queue: set finetune:jobs.a.queue (or finetune:queue), or remove it",
        "finetune:jobs.b.labels.kueue.x-k8s.io/priority-class: is set by the program: set finetune:jobs.b.workloadPriorityClass instead",
      ],
    );
  });

  it("accepts the admitted wait with the stack's queue", () => {
    assert.deepEqual(
      problemsOf({ namespace: "ml", queue: "shared", jobs: { a: commandJob({ wait: "admitted" }) } }),
      [],
    );
  });
});
