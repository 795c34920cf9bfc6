// Reading pods as the scheduler, kubelet and controllers write them: where each stands, which
// container states will not heal (stalls, with their grace), and which container ended a run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Cause,
  causeOf,
  describeCause,
  type ObservedPod,
  type PodView,
  readPod,
  ripeStall,
  stallsOf,
  trackStalls,
} from "../components/cluster/pods";

const pending = (name: string, message: string): ObservedPod => ({
  metadata: { name },
  status: {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }],
  },
});

const waiting = (name: string, reason: string, message?: string, init = false): ObservedPod => {
  const status = { name: init ? "init-pytorch" : "pytorch", restartCount: 0, state: { waiting: { reason, message } } };
  return {
    metadata: { name },
    spec: { nodeName: "gpu-1" },
    status: {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True" }],
      ...(init ? { initContainerStatuses: [status] } : { containerStatuses: [status] }),
    },
  };
};

const terminated = (
  name: string,
  exitCode: number,
  reason: string,
  finishedAt: string,
  restarted = false,
): ObservedPod => {
  const ended = { terminated: { exitCode, reason, finishedAt, message: "  out of memory\n" } };
  return {
    metadata: { name },
    spec: { nodeName: "gpu-0" },
    status: {
      phase: restarted ? "Running" : "Failed",
      containerStatuses: [
        restarted
          ? { name: "pytorch", restartCount: 2, state: { running: {} }, lastState: ended }
          : { name: "pytorch", restartCount: 0, state: ended },
      ],
    },
  };
};

describe("readPod", () => {
  it("an unschedulable pod carries the scheduler's message", () => {
    const view = readPod(pending("g-master-0", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."));
    assert.deepEqual(view, {
      name: "g-master-0",
      phase: "Pending",
      unschedulable: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
      containers: [],
      deleting: false,
    });
  });

  it("init containers come first, marked; a terminated container keeps how it ended", () => {
    const view = readPod({
      metadata: { name: "w", deletionTimestamp: "2026-12-03T10:00:00Z" },
      spec: { nodeName: "n" },
      status: {
        phase: "Running",
        reason: "Evicted",
        initContainerStatuses: [{ name: "init", state: { terminated: { exitCode: 0, reason: "Completed" } } }],
        containerStatuses: [{ name: "pytorch", restartCount: 1, state: { running: { startedAt: "t" } } }],
      },
    });
    assert.deepEqual(view, {
      name: "w",
      phase: "Running",
      node: "n",
      reason: "Evicted",
      containers: [
        {
          name: "init",
          init: true,
          restarts: 0,
          state: "terminated",
          reason: "Completed",
          exitCode: 0,
          ended: { exitCode: 0, reason: "Completed" },
        },
        { name: "pytorch", init: false, restarts: 1, state: "running" },
      ],
      deleting: true,
    });
  });
});

describe("stalls", () => {
  const stalls = (...pods: ObservedPod[]) => stallsOf(pods.map(readPod));

  it("table: which waiting reasons stall, and which need no grace", () => {
    const table: [string, boolean | undefined][] = [
      ["InvalidImageName", true],
      ["ErrImageNeverPull", true],
      ["ErrImagePull", false],
      ["ImagePullBackOff", false],
      ["CreateContainerConfigError", false],
      ["CreateContainerError", false],
      ["ContainerCreating", undefined],
      ["PodInitializing", undefined],
      ["CrashLoopBackOff", undefined],
    ];
    for (const [reason, immediate] of table) {
      const found = stalls(waiting("p", reason, "why"));
      assert.deepEqual(
        found,
        immediate === undefined
          ? []
          : [{ pod: "p", container: "pytorch", init: false, reason, message: "why", immediate }],
        reason,
      );
    }
  });

  it("an init container's stall is named as one; a pod being deleted has none", () => {
    assert.deepEqual(stalls(waiting("w", "ImagePullBackOff", undefined, true)), [
      { pod: "w", container: "init-pytorch", init: true, reason: "ImagePullBackOff", immediate: false },
    ]);
    const gone = waiting("w", "InvalidImageName");
    assert.deepEqual(stalls({ ...gone, metadata: { name: "w", deletionTimestamp: "t" } }), []);
  });

  it("a pull error ripens after the grace, counted from the first look, across ErrImagePull and ImagePullBackOff", () => {
    const first = stalls(waiting("p", "ErrImagePull"));
    const t0 = 1_000_000;
    const since0 = trackStalls(new Map(), first, t0);
    assert.deepEqual([...since0], [["p/pytorch/ErrImagePull", t0]]);
    assert.equal(ripeStall(first, since0, t0, 60_000), undefined);
    const second = stalls(waiting("p", "ImagePullBackOff"));
    const since1 = trackStalls(since0, second, t0 + 30_000);
    assert.deepEqual([...since1], [["p/pytorch/ImagePullBackOff", t0]]);
    assert.equal(ripeStall(second, since1, t0 + 59_999, 60_000), undefined);
    assert.deepEqual(ripeStall(second, since1, t0 + 60_000, 60_000), second[0]);
    // Healed in between: the clock starts again.
    const since2 = trackStalls(trackStalls(since1, [], t0 + 61_000), second, t0 + 62_000);
    assert.deepEqual([...since2], [["p/pytorch/ImagePullBackOff", t0 + 62_000]]);
  });

  it("an invalid image name is ripe at the first look", () => {
    const found = stalls(waiting("p", "InvalidImageName"));
    assert.deepEqual(ripeStall(found, trackStalls(new Map(), found, 5), 5, 60_000), found[0]);
  });
});

describe("causeOf", () => {
  /** The cause found in these pods, and how it reads. */
  const expectCause = (pods: PodView[], namespace: string, cause: Cause, words: string) => {
    assert.deepEqual(causeOf(pods), cause);
    assert.equal(describeCause(namespace, cause), words);
  };

  it("the first container to fail is the cause, now or before its restart", () => {
    const pods = [
      terminated("g-worker-0", 1, "Error", "2026-12-03T10:00:09Z"),
      terminated("g-master-0", 137, "OOMKilled", "2026-12-03T10:00:05Z", true),
    ].map(readPod);
    expectCause(
      pods,
      "team-a",
      {
        pod: "g-master-0",
        container: "pytorch",
        exitCode: 137,
        reason: "OOMKilled",
        message: "out of memory",
        previous: true,
      },
      "pod team-a/g-master-0, container pytorch: exit code 137 (OOMKilled): out of memory",
    );
  });

  it("exit code 0 is no cause; an evicted pod is, when no container failed", () => {
    const ok = readPod({
      metadata: { name: "done" },
      status: { phase: "Succeeded", containerStatuses: [{ name: "c", state: { terminated: { exitCode: 0 } } }] },
    });
    assert.equal(causeOf([ok]), undefined);
    const evicted = readPod({
      metadata: { name: "e" },
      status: { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." },
    });
    expectCause(
      [ok, evicted],
      "ns",
      { pod: "e", reason: "Evicted", message: "The node was low on resource: memory.", previous: false },
      "pod ns/e: Evicted: The node was low on resource: memory.",
    );
  });
});
