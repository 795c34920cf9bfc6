// The lines `pulumi up` prints while it waits: one per change, never one per look.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readTrainerProgress } from "../components/builders/v2/status";
import type { PodView } from "../components/cluster/pods";
import { duration, type Look, progressLine, tell } from "../components/cluster/story";

const pod = (name: string, over: Partial<PodView> = {}): PodView => ({
  name,
  phase: "Pending",
  containers: [],
  deleting: false,
  ...over,
});
const WHAT = "PyTorchJob team-a/g";
const look = (pods: PodView[], over: Partial<Look> = {}): Look => ({ run: { state: "created" }, pods, ...over });

describe("tell", () => {
  it("the first look says where everything stands; the same look again says nothing", () => {
    const unschedulable = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    const first = look([pod("g-master-0", { unschedulable }), pod("g-worker-0", { unschedulable })]);
    assert.deepEqual(tell(WHAT, undefined, first), [
      `${WHAT}: created`,
      `pods g-master-0, g-worker-0: Pending, not scheduled: ${unschedulable}`,
    ]);
    assert.deepEqual(tell(WHAT, first, first), []);
  });

  it("pods that changed alike share a line, names bounded; a held container and a restart are told", () => {
    const before = look(["a", "b", "c", "d", "e"].map((n) => pod(n)));
    const now = look(
      [
        ...["a", "b", "c", "d"].map((n) => pod(n, { phase: "Running", node: "gpu-0" })),
        pod("e", {
          node: "gpu-1",
          containers: [
            {
              name: "pytorch",
              init: false,
              state: "waiting",
              reason: "ImagePullBackOff",
              message: 'Back-off pulling image "x:1"',
              restarts: 0,
            },
          ],
        }),
      ],
      { run: { state: "running" } },
    );
    assert.deepEqual(tell(WHAT, before, now), [
      `${WHAT}: running`,
      "pods a, b, c and 1 more: Running on gpu-0",
      'pod e: scheduled on gpu-1; container pytorch waiting: ImagePullBackOff (Back-off pulling image "x:1")',
    ]);
    const crashed = look(
      [
        pod("a", {
          phase: "Running",
          node: "gpu-0",
          containers: [
            {
              name: "pytorch",
              init: false,
              state: "running",
              restarts: 1,
              last: { exitCode: 137, reason: "OOMKilled" },
            },
          ],
        }),
      ],
      { run: { state: "restarting", reason: "PyTorchJobRestarting" } },
    );
    assert.deepEqual(tell(WHAT, now, crashed), [
      `${WHAT}: restarting (PyTorchJobRestarting)`,
      "pod a: container pytorch restarted (1 in all); it ended with exit code 137 (OOMKilled)",
    ]);
  });

  it("Kueue's admission and the trainer's progress, each when it changes", () => {
    const queued = look([], { queue: { state: "queued", reason: "Pending", message: "waiting for quota" } });
    const admitted = look([], { queue: { state: "admitted" } });
    assert.deepEqual(tell(WHAT, queued, admitted), [`${WHAT}: Kueue: admitted`]);
    const at = (percent: number, eta: number) =>
      look([], { progress: { percent, etaSeconds: eta, metrics: [{ name: "loss", value: "0.31" }] } });
    assert.deepEqual(tell(WHAT, admitted, at(42, 3720)), [`${WHAT}: training 42% done, about 1h 2m left (loss=0.31)`]);
    assert.deepEqual(tell(WHAT, at(42, 3720), at(42, 3600)), []);
    assert.deepEqual(tell(WHAT, at(42, 3600), at(43, 3500)), [
      `${WHAT}: training 43% done, about 58m 20s left (loss=0.31)`,
    ]);
  });
});

describe("progress", () => {
  it("reads status.trainerStatus as Trainer v2.3 defines it, ignoring what is not", () => {
    assert.equal(readTrainerProgress({}), undefined);
    assert.equal(readTrainerProgress(undefined), undefined);
    assert.deepEqual(
      readTrainerProgress({
        trainerStatus: {
          progressPercentage: 42,
          estimatedRemainingSeconds: 90,
          metrics: [{ name: "loss", value: "0.5" }, { name: 3 }],
          lastUpdatedTime: "2026-12-03T10:00:00Z",
        },
      }),
      { percent: 42, etaSeconds: 90, metrics: [{ name: "loss", value: "0.5" }], updated: "2026-12-03T10:00:00Z" },
    );
    assert.deepEqual(readTrainerProgress({ trainerStatus: { progressPercentage: -1, lastUpdatedTime: "t" } }), {
      metrics: [],
      updated: "t",
    });
    assert.equal(progressLine({ metrics: [] }), "training progress reported");
    assert.deepEqual([duration(5), duration(65), duration(7260)], ["5s", "1m 5s", "2h 1m"]);
  });
});
