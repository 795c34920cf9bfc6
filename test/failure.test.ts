// What the program reads to say why a run failed: the first failed container, the end of its log
// with the stack's secrets replaced, and the warning events of the job and its pods; a read that
// fails is said, never fatal. And what a run was waiting for when its wait ran out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterObject } from "../components/builders/ownership";
import { PYTORCHJOB_BACKEND } from "../components/builders/v1/backend";
import { TRAINJOB_BACKEND } from "../components/builders/v2/backend";
import { gatherEvidence } from "../components/cluster/failure";
import { type ObservedPod, readPod } from "../components/cluster/pods";
import { ClusterReadError, type ClusterReader } from "../components/cluster/reader";
import { waitingFor } from "../components/cluster/story";

const master = readPod({
  metadata: { name: "a-master-0" },
  spec: { nodeName: "gpu-0" },
  status: { phase: "Running", conditions: [{ type: "PodScheduled", status: "True" }] },
});
const cause = { pod: "a-master-0", container: "pytorch", exitCode: 137, reason: "OOMKilled", previous: true };
const events = [
  {
    type: "Warning",
    reason: "BackOff",
    message: "Back-off restarting failed container pytorch (token hf_s3cr3t)",
    involvedObject: { kind: "Pod", name: "a-master-0" },
    count: 4,
    lastTimestamp: "2026-12-04T09:00:02Z",
  },
  {
    type: "Warning",
    reason: "FailedScheduling",
    message: "0/3 nodes are available",
    involvedObject: { kind: "Pod", name: "someone-elses-pod" },
    lastTimestamp: "2026-12-04T09:00:01Z",
  },
  {
    type: "Normal",
    reason: "Pulled",
    message: "Successfully pulled image",
    involvedObject: { kind: "Pod", name: "a-master-0" },
    lastTimestamp: "2026-12-04T09:00:00Z",
  },
];

function reader(log: () => Promise<string | undefined>, reads: string[] = []): ClusterReader {
  return {
    get: async () => undefined,
    list: async (apiVersion, kind, namespace) => {
      reads.push(`list ${apiVersion} ${kind} ${namespace}`);
      return kind === "Event" ? (events as ClusterObject[]) : [];
    },
    namespacedKinds: async () => [],
    log: async (namespace, pod, container, previous) => {
      reads.push(`log ${namespace}/${pod} ${container} previous=${previous}`);
      return log();
    },
  };
}

const request = { namespace: "ml", kind: "PyTorchJob", name: "a", pods: [master], secrets: ["hf_s3cr3t"] };

describe("gatherEvidence", () => {
  it("gives the cause, the end of its previous log and the job's pods' warnings, every secret replaced", async () => {
    const reads: string[] = [];
    const lines = await gatherEvidence(
      reader(async () => "loading shards\nHF_TOKEN=hf_s3cr3t\nKilled\n", reads),
      { ...request, cause },
    );
    assert.deepEqual(lines, [
      "First to fail: pod ml/a-master-0, container pytorch: exit code 137 (OOMKilled)",
      "The end of the log of a-master-0 (container pytorch, before its last restart):",
      "  loading shards",
      "  HF_TOKEN=[secret]",
      "  Killed",
      "Recent warning events:",
      "  pod/a-master-0 BackOff: Back-off restarting failed container pytorch (token [secret]) (x4)",
    ]);
    assert.deepEqual(reads, ["log ml/a-master-0 pytorch previous=true", "list v1 Event ml"]);
  });

  it("says when the log is gone or cannot be read, and goes on", async () => {
    assert.deepEqual(
      (
        await gatherEvidence(
          reader(async () => undefined),
          { ...request, cause },
        )
      ).slice(0, 2),
      [
        "First to fail: pod ml/a-master-0, container pytorch: exit code 137 (OOMKilled)",
        "The log of a-master-0 (container pytorch, before its last restart) is empty or gone.",
      ],
    );
    const refused = async () => {
      throw new ClusterReadError(
        "could not read the log of container pytorch of pod ml/a-master-0: HTTP 502: dial tcp 10.0.0.7:10250: connection refused",
        false,
      );
    };
    assert.deepEqual(
      (await gatherEvidence(reader(refused), { ...request, cause }))[1],
      [
        "The log of a-master-0 (container pytorch, before its last restart) could not be read: could not read the log of container pytorch of pod ml/a-master-0: HTTP 502: dial tcp 10.0.0.7:10250: connection refused",
      ][0],
    );
  });

  it("gives the log read when the failure was first seen when the pod is gone by now", async () => {
    const seen = { ...request, cause, logSeen: "step 1200 loss 0.41\nKilled\n" };
    const expected = [
      "First to fail: pod ml/a-master-0, container pytorch: exit code 137 (OOMKilled)",
      "The end of the log of a-master-0 (container pytorch, before its last restart):",
      "  step 1200 loss 0.41",
      "  Killed",
    ];
    assert.deepEqual(
      (
        await gatherEvidence(
          reader(async () => undefined),
          seen,
        )
      ).slice(0, 4),
      expected,
    );
    const refused = async () => {
      throw new ClusterReadError("could not read the log of container pytorch of pod ml/a-master-0: HTTP 404", false);
    };
    assert.deepEqual((await gatherEvidence(reader(refused), seen)).slice(0, 4), expected);
    // While the pod is there, its log now is the one given.
    assert.deepEqual(
      (
        await gatherEvidence(
          reader(async () => "now\n"),
          seen,
        )
      ).slice(2, 3),
      ["  now"],
    );
  });

  it("without a failed container, gives the warnings only", async () => {
    assert.deepEqual(
      await gatherEvidence(
        reader(async () => "x"),
        request,
      ),
      [
        "Recent warning events:",
        "  pod/a-master-0 BackOff: Back-off restarting failed container pytorch (token [secret]) (x4)",
      ],
    );
  });
});

describe("waitingFor", () => {
  const unscheduled = (name: string): ObservedPod => ({
    metadata: { name },
    status: {
      phase: "Pending",
      conditions: [
        { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" },
      ],
    },
  });
  it("says no pod was created, a pod never scheduled (with the scheduler's word), or each pod's state", () => {
    assert.equal(waitingFor([]), "no pod of it was created");
    assert.equal(
      waitingFor([readPod(unscheduled("a-master-0"))]),
      "its pod was never scheduled: 0/3 nodes are available",
    );
    assert.equal(
      waitingFor([readPod(unscheduled("a-master-0")), readPod(unscheduled("a-worker-0"))]),
      "its pods were never scheduled: 0/3 nodes are available",
    );
    assert.equal(
      waitingFor([master, readPod(unscheduled("a-worker-0"))]),
      "pod a-master-0: Running on gpu-0; pod a-worker-0: Pending, not scheduled: 0/3 nodes are available",
    );
  });
});

describe("the pods of a job, by generation", () => {
  it("are selected by the operator's job label (v1) or JobSet's (v2)", () => {
    assert.equal(PYTORCHJOB_BACKEND.podSelector("a"), "training.kubeflow.org/job-name=a");
    assert.equal(TRAINJOB_BACKEND.podSelector("a"), "jobset.sigs.k8s.io/jobset-name=a");
  });
  it("report progress only where the trainer can post it (Trainer v2's trainerStatus)", () => {
    assert.equal(PYTORCHJOB_BACKEND.readProgress({ conditions: [] }), undefined);
    assert.deepEqual(
      TRAINJOB_BACKEND.readProgress({
        conditions: [],
        trainerStatus: { progressPercentage: 42, estimatedRemainingSeconds: 3720 },
      } as never),
      { percent: 42, etaSeconds: 3720, metrics: [] },
    );
  });
});
