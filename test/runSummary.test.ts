// A run's account from the pods the program saw: start, end, duration, restarts, GPU-hours.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodView } from "../components/cluster/pods";
import { summarizeRun } from "../components/cluster/runSummary";

const pod = (name: string, startedAt: string | undefined, ...restarts: number[]): PodView => ({
  name,
  phase: "Running",
  containers: restarts.map((r, i) => ({ name: `c${i}`, init: false, state: "running", restarts: r })),
  ...(startedAt !== undefined ? { startedAt } : {}),
  deleting: false,
});

describe("a run's account", () => {
  it("a run still going is counted from its first pod's start to the last look", () => {
    assert.deepEqual(
      summarizeRun({
        run: { state: "running", since: "2026-12-04T10:00:30Z" },
        pods: [pod("a-worker-0", "2026-12-04T10:00:20Z", 0, 1), pod("a-master-0", "2026-12-04T10:00:00Z", 2)],
        gpus: 4,
        lookedAt: Date.parse("2026-12-04T10:30:00Z"),
      }),
      { startedAt: "2026-12-04T10:00:00Z", durationSeconds: 1800, restarts: 3, gpuHours: 2 },
    );
  });

  it("a finished run ends at its deciding condition, whenever the program looked", () => {
    assert.deepEqual(
      summarizeRun({
        run: { state: "failed", reason: "PyTorchJobFailed", since: "2026-12-04T10:10:00Z" },
        pods: [pod("a-master-0", "2026-12-04T10:00:00Z", 0)],
        gpus: 1,
        lookedAt: Date.parse("2026-12-04T11:00:00Z"),
      }),
      {
        startedAt: "2026-12-04T10:00:00Z",
        finishedAt: "2026-12-04T10:10:00Z",
        durationSeconds: 600,
        restarts: 0,
        gpuHours: 0.17,
      },
    );
  });

  it("no pod started: no start, duration or GPU-hours", () => {
    assert.deepEqual(
      summarizeRun({ run: { state: "pending" }, pods: [pod("a-master-0", undefined)], gpus: 8, lookedAt: 0 }),
      { restarts: 0 },
    );
    // A run whose pods are gone (deleted after it finished) still has its end.
    assert.deepEqual(
      summarizeRun({ run: { state: "succeeded", since: "2026-12-04T10:10:00Z" }, pods: [], gpus: 8, lookedAt: 0 }),
      { finishedAt: "2026-12-04T10:10:00Z", restarts: 0 },
    );
  });

  it("a finished run whose condition has no readable time has a start and no duration", () => {
    assert.deepEqual(
      summarizeRun({
        run: { state: "succeeded", since: "t1" },
        pods: [pod("a-master-0", "2026-12-04T10:00:00Z", 0)],
        gpus: 8,
        lookedAt: 0,
      }),
      { startedAt: "2026-12-04T10:00:00Z", finishedAt: "t1", restarts: 0 },
    );
  });
});
