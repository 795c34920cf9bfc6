// The program's wait for a run (no queue) against a scripted cluster: the story told as it changes,
// a stuck container ending the wait after its grace, a failed run ending it with its first failed
// container, its log's end (secrets replaced) and warning events, one look at an unchanged run,
// and a timeout that says what the run was waiting for. The judgement each ends in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PYTORCHJOB_BACKEND } from "../components/builders/v1/backend";
import { judgeRun } from "../components/cluster/judge";
import { type ObservedPod, readPod } from "../components/cluster/pods";
import type { ClusterReader } from "../components/cluster/reader";
import { type WatchRequest, type WatchResult, watchRun } from "../components/cluster/watchRun";

type Json = Record<string, any>;

const UID = "7f1e-uid";
const SCHEDULED = { type: "PodScheduled", status: "True" };
const created = { status: { conditions: [{ type: "Created", status: "True", reason: "PyTorchJobCreated" }] } };
const running = { status: { conditions: [{ type: "Running", status: "True", reason: "PyTorchJobRunning" }] } };
const failed = {
  status: {
    conditions: [{ type: "Failed", status: "True", reason: "PyTorchJobFailed", message: "PyTorchJob a has failed" }],
  },
};

const pullError = (message: string) => ({
  metadata: { name: "a-master-0" },
  spec: { nodeName: "gpu-0" },
  status: {
    phase: "Pending",
    conditions: [SCHEDULED],
    containerStatuses: [{ name: "pytorch", restartCount: 0, state: { waiting: { reason: "ErrImagePull", message } } }],
  },
});
const oomRestarted = {
  metadata: { name: "a-master-0" },
  spec: { nodeName: "gpu-0" },
  status: {
    phase: "Running",
    conditions: [SCHEDULED],
    containerStatuses: [
      {
        name: "pytorch",
        restartCount: 1,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: "2026-12-04T09:00:00Z" } },
      },
    ],
  },
};
const unschedulable = (message: string) => ({
  metadata: { name: "a-master-0" },
  status: {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }],
  },
});

/** A cluster whose answers change with each look (a look is one read of the job). */
function scripted(
  looks: { job: Json; pods: Json[] }[],
  extra: { log?: string | ((look: number) => string | undefined); events?: Json[] } = {},
) {
  const reads: string[] = [];
  let look = -1;
  const reader: ClusterReader = {
    get: async (_apiVersion, kind, name, namespace) => {
      reads.push(`get ${kind} ${namespace}/${name}`);
      look = Math.min(look + 1, looks.length - 1);
      return { metadata: { uid: UID }, ...looks[look].job };
    },
    list: async (_apiVersion, kind, namespace, selector) => {
      reads.push(`list ${kind} ${namespace}${selector !== undefined ? ` ${selector}` : ""}`);
      if (kind === "Pod") return looks[look].pods;
      if (kind === "Event") return extra.events ?? [];
      return [];
    },
    namespacedKinds: async () => [],
    log: async (namespace, pod, container, previous) => {
      reads.push(`log ${namespace}/${pod} ${container}${previous ? " previous" : ""}`);
      return typeof extra.log === "function" ? extra.log(look) : extra.log;
    },
  };
  return reader;
}

/** Runs a watch on a clock that moves `stepSeconds` at each sleep; returns what it said and ended with. */
async function watch(reader: ClusterReader, request: Partial<WatchRequest>, stepSeconds = 10) {
  let clock = 0;
  const lines: string[] = [];
  const result = await watchRun(
    {
      reader: async () => reader,
      sleep: async () => {
        clock += stepSeconds * 1000;
      },
      now: () => clock,
      onLine: (l) => lines.push(l),
      secrets: () => ["hf_s3cr3t"],
    },
    {
      backend: PYTORCHJOB_BACKEND,
      namespace: "ml",
      name: "a",
      uid: UID,
      mode: "running",
      timeoutSeconds: 600,
      ...request,
    },
  );
  return { lines, result, seconds: clock / 1000 };
}

const judge = (seen: WatchResult, preview = false) =>
  judgeRun({
    backend: PYTORCHJOB_BACKEND,
    key: "finetune:jobs.a",
    job: "ml/a",
    wait: "running",
    judge: true,
    programWaits: true,
    seen,
    status: undefined,
    preview,
  });

describe("the program's wait for a run", () => {
  it("tells each change once, and returns when the run reaches what it waits for", async () => {
    const reader = scripted([
      { job: created, pods: [] },
      { job: created, pods: [unschedulable("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")] },
      { job: created, pods: [unschedulable("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")] },
      { job: running, pods: [{ ...oomRestarted, status: { phase: "Running", conditions: [SCHEDULED] } }] },
    ]);
    const { lines, result } = await watch(reader, {});
    assert.deepEqual(lines, [
      "PyTorchJob ml/a: created (PyTorchJobCreated)",
      "pod a-master-0: Pending, not scheduled: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
      "PyTorchJob ml/a: running (PyTorchJobRunning)",
      "pod a-master-0: Running on gpu-0",
    ]);
    // Every pod seen, as last seen, and the time of the last look (the fourth, at 30 s).
    assert.deepEqual(result, {
      status: running.status,
      queue: { state: "unknown" },
      pods: [readPod({ ...oomRestarted, status: { phase: "Running", conditions: [SCHEDULED] } } as ObservedPod)],
      lookedAt: 30_000,
    });
    assert.deepEqual(judge(result), { kind: "pass" });
  });

  it("ends a pull error after its grace, with the events, and the judgement names the image key", async () => {
    const message = 'failed to pull and unpack image "quay.io/acme/trainer:nope": not found';
    const reader = scripted([{ job: created, pods: [pullError(message)] }], {
      events: [
        {
          type: "Warning",
          reason: "Failed",
          message: `Failed to pull image "quay.io/acme/trainer:nope": not found`,
          involvedObject: { kind: "Pod", name: "a-master-0" },
          count: 3,
          lastTimestamp: "2026-12-04T09:00:00Z",
        },
      ],
    });
    const { result, seconds } = await watch(reader, { stallGraceSeconds: 60 });
    assert.equal(seconds, 60);
    assert.equal(
      result.error,
      `PyTorchJob ml/a cannot start: pod ml/a-master-0, container pytorch: ErrImagePull (${message})`,
    );
    assert.equal(result.forever, true);
    assert.deepEqual(result.evidence, [
      "Recent warning events:",
      '  pod/a-master-0 Failed: Failed to pull image "quay.io/acme/trainer:nope": not found (x3)',
    ]);
    assert.deepEqual(judge(result), {
      kind: "fail",
      message:
        `finetune:jobs.a: PyTorchJob ml/a cannot start: pod ml/a-master-0, container pytorch: ErrImagePull (${message}). ` +
        "Waiting will not fix it: check the image's name, tag or digest (finetune:jobs.a.image, or the runtime's for its other steps) " +
        "and, for a private registry, finetune:imagePullSecrets; then set finetune:jobs.a.rerun to a new value (or change anything " +
        "else that defines the run) and run pulumi up again.\n" +
        "Recent warning events:\n" +
        '  pod/a-master-0 Failed: Failed to pull image "quay.io/acme/trainer:nope": not found (x3)',
    });
  });

  it("ends a failed run with its first failed container and its log's end, secrets replaced, even once its pods are gone", async () => {
    const reader = scripted(
      [
        { job: running, pods: [oomRestarted] },
        { job: failed, pods: [] },
      ],
      // The log is read while the pod is there; at the failure, the pod and its log are gone.
      { log: (look) => (look === 0 ? "step 10 loss=0.9\nHF_TOKEN=hf_s3cr3t\nKilled\n\n" : undefined) },
    );
    const { result } = await watch(reader, { mode: "succeeded" });
    assert.equal(result.error, "PyTorchJob ml/a failed (PyTorchJobFailed: PyTorchJob a has failed)");
    assert.deepEqual(result.cause, {
      pod: "a-master-0",
      container: "pytorch",
      exitCode: 137,
      reason: "OOMKilled",
      previous: true,
    });
    assert.deepEqual(result.evidence, [
      "First to fail: pod ml/a-master-0, container pytorch: exit code 137 (OOMKilled)",
      "The end of the log of a-master-0 (container pytorch, before its last restart):",
      "  step 10 loss=0.9",
      "  HF_TOKEN=[secret]",
      "  Killed",
    ]);
  });

  it("looks once at an unchanged run: a stuck container fails at once, a run on its way passes", async () => {
    const stuck = await watch(scripted([{ job: created, pods: [pullError("not found")] }]), { once: true });
    assert.equal(stuck.seconds, 0);
    assert.equal(
      stuck.result.error,
      "PyTorchJob ml/a cannot start: pod ml/a-master-0, container pytorch: ErrImagePull (not found)",
    );
    const pending = await watch(scripted([{ job: created, pods: [unschedulable("0/3 nodes are available")] }]), {
      once: true,
    });
    assert.equal(pending.seconds, 0);
    assert.deepEqual(pending.result, {
      status: created.status,
      queue: { state: "unknown" },
      pods: [readPod(unschedulable("0/3 nodes are available") as ObservedPod)],
      lookedAt: 0,
    });
  });

  it("an unchanged run already where its wait ends costs one look and tells nothing; one short of it is waited for and told", async () => {
    const there = await watch(scripted([{ job: running, pods: [] }]), { unchanged: true });
    assert.deepEqual(
      [there.seconds, there.lines, there.result],
      [0, [], { status: running.status, queue: { state: "unknown" }, pods: [], lookedAt: 0 }],
    );
    // Its last wait was interrupted: the run is waited for again, its story told from the first look.
    const short = await watch(
      scripted([
        { job: created, pods: [unschedulable("0/3 nodes are available")] },
        { job: running, pods: [] },
      ]),
      { unchanged: true },
    );
    assert.deepEqual(short.lines, [
      "PyTorchJob ml/a: created (PyTorchJobCreated)",
      "pod a-master-0: Pending, not scheduled: 0/3 nodes are available",
      "PyTorchJob ml/a: running (PyTorchJobRunning)",
    ]);
    assert.deepEqual(
      [short.seconds, short.result],
      [
        10,
        {
          status: running.status,
          queue: { state: "unknown" },
          pods: [readPod(unschedulable("0/3 nodes are available") as ObservedPod)],
          lookedAt: 10_000,
        },
      ],
    );
  });

  it("at its timeout says what the run was waiting for", async () => {
    const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    const { result } = await watch(scripted([{ job: created, pods: [unschedulable(message)] }]), {
      timeoutSeconds: 60,
    });
    assert.equal(
      result.error,
      `PyTorchJob ml/a is not running: it is created (PyTorchJobCreated) (waited 1m 0s; its pod was never scheduled: ${message})`,
    );
    assert.deepEqual(judge(result), {
      kind: "fail",
      message: `finetune:jobs.a: ${result.error}. The job is left as it is: the next pulumi up waits for it again.`,
    });
  });
});
