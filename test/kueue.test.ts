// The program's own wait for a queued job: Kueue's Workload read into a queue state (table-driven
// from the conditions Kueue v0.19.0 writes), the decision after each look, and the watch loop
// against a scripted cluster (its reads of a real one: test/clusterAccess.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readWorkload, runDecision } from "../components/builders/kueue";
import { PYTORCHJOB_BACKEND } from "../components/builders/v1/backend";
import { ClusterReadError, type ClusterReader } from "../components/cluster/reader";
import { watchRun } from "../components/cluster/watchRun";
import { commandJob, one, runStack, T } from "./support/stacks";

type Json = Record<string, any>;

const quota = (status: string, reason: string, message: string) => ({
  status: { conditions: [{ type: "QuotaReserved", status, reason, message }] },
});
const MAX =
  "couldn't assign flavors to pod set master: insufficient quota for nvidia.com/gpu in flavor gpu-nodes, previously considered podsets requests (0) + current podset request (16) > maximum capacity (8)";
const WAITING =
  "couldn't assign flavors to pod set master: insufficient unused quota for nvidia.com/gpu in flavor gpu-nodes, 8 more needed";

describe("a Workload, read", () => {
  const table: [string, Json | undefined, Json][] = [
    ["none yet", undefined, { state: "unknown" }],
    ["not yet evaluated", { status: {} }, { state: "queued" }],
    [
      "waiting for quota (legacy reason)",
      quota("False", "Pending", WAITING),
      { state: "queued", reason: "Pending", message: WAITING },
    ],
    [
      "over the maximum capacity (legacy reason)",
      quota("False", "Pending", MAX),
      { state: "inadmissible", reason: "Pending", message: MAX },
    ],
    [
      "one flavor over capacity, another worth waiting for",
      quota("False", "Pending", `${MAX}; ${WAITING}`),
      { state: "queued", reason: "Pending", message: `${MAX}; ${WAITING}` },
    ],
    [
      "a LocalQueue that does not exist (legacy reason)",
      quota("False", "Inadmissible", "LocalQueue team-queue doesn't exist"),
      { state: "inadmissible", reason: "Inadmissible", message: "LocalQueue team-queue doesn't exist" },
    ],
    [
      "a stopped LocalQueue (legacy reason): may resume",
      quota("False", "Inadmissible", "LocalQueue team-queue is inactive"),
      { state: "queued", reason: "Inadmissible", message: "LocalQueue team-queue is inactive" },
    ],
    [
      "ExceedsMaxQuota",
      quota("False", "ExceedsMaxQuota", MAX),
      { state: "inadmissible", reason: "ExceedsMaxQuota", message: MAX },
    ],
    [
      "NoMatchingFlavor",
      quota("False", "NoMatchingFlavor", "no flavor"),
      { state: "inadmissible", reason: "NoMatchingFlavor", message: "no flavor" },
    ],
    [
      "Misconfigured",
      quota("False", "Misconfigured", "ClusterQueue gpus doesn't exist"),
      { state: "inadmissible", reason: "Misconfigured", message: "ClusterQueue gpus doesn't exist" },
    ],
    [
      "WaitingForQuota",
      quota("False", "WaitingForQuota", WAITING),
      { state: "queued", reason: "WaitingForQuota", message: WAITING },
    ],
    [
      "admitted",
      {
        status: {
          conditions: [
            {
              type: "QuotaReserved",
              status: "True",
              reason: "QuotaReserved",
              message: "Quota reserved in ClusterQueue gpus",
            },
            { type: "Admitted", status: "True", reason: "Admitted", message: "The workload is admitted" },
          ],
        },
      },
      { state: "admitted", reason: "Admitted", message: "The workload is admitted" },
    ],
    [
      "evicted by preemption",
      {
        status: {
          conditions: [
            {
              type: "Evicted",
              status: "True",
              reason: "Preempted",
              message: "Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue",
            },
          ],
        },
      },
      {
        state: "evicted",
        reason: "Preempted",
        message: "Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue",
      },
    ],
    [
      "admitted again after a preemption and a stopped ClusterQueue: its evictions counted",
      {
        status: {
          conditions: [{ type: "Admitted", status: "True", reason: "Admitted", message: "The workload is admitted" }],
          schedulingStats: {
            evictions: [
              { reason: "Preempted", underlyingCause: "InClusterQueue", count: 1 },
              { reason: "ClusterQueueStopped", underlyingCause: "", count: 2 },
            ],
          },
        },
      },
      { state: "admitted", reason: "Admitted", message: "The workload is admitted", evictions: 3, preemptions: 1 },
    ],
    [
      "finished",
      {
        status: {
          conditions: [
            {
              type: "Finished",
              status: "True",
              reason: "Succeeded",
              message: "PyTorchJob first is successfully completed.",
            },
          ],
        },
      },
      { state: "finished", reason: "Succeeded", message: "PyTorchJob first is successfully completed." },
    ],
  ];
  // A Workload read says how often Kueue evicted it (none in these, unless said).
  const none = { evictions: 0, preemptions: 0 };
  for (const [title, workload, expected] of table) {
    it(title, () =>
      assert.deepEqual(readWorkload(workload), workload === undefined ? expected : { ...none, ...expected }),
    );
  }
});

describe("after one look at a queued job", () => {
  const decide = (mode: "admitted" | "running" | "succeeded", run: Json, queue: Json, timedOut = false) =>
    runDecision("PyTorchJob", "ml/a", mode, run as never, queue as never, timedOut);
  it("waits while it is queued", () => {
    assert.deepEqual(decide("running", { state: "suspended" }, { state: "queued", reason: "Pending" }), {
      done: false,
    });
  });
  it("fails at once, forever, when Kueue can never admit it", () => {
    assert.deepEqual(
      decide("running", { state: "suspended" }, { state: "inadmissible", reason: "Pending", message: MAX }),
      {
        done: true,
        ok: false,
        forever: true,
        error: `PyTorchJob ml/a can never be admitted by Kueue as its queues stand: inadmissible (Pending: ${MAX})`,
      },
    );
  });
  it("ends admitted once Kueue admitted it, and running once it runs", () => {
    assert.deepEqual(decide("admitted", { state: "created" }, { state: "admitted" }), { done: true, ok: true });
    assert.deepEqual(decide("running", { state: "created" }, { state: "admitted" }), { done: false });
    assert.deepEqual(decide("running", { state: "running" }, { state: "admitted" }), { done: true, ok: true });
    assert.deepEqual(decide("succeeded", { state: "running" }, { state: "admitted" }), { done: false });
    assert.deepEqual(decide("succeeded", { state: "succeeded" }, { state: "finished" }), { done: true, ok: true });
  });
  it("fails a failed run, forever", () => {
    assert.deepEqual(
      decide("running", { state: "failed", reason: "PyTorchJobFailed", message: "backoff" }, { state: "admitted" }),
      {
        done: true,
        ok: false,
        forever: true,
        error: "PyTorchJob ml/a failed (PyTorchJobFailed: backoff)",
      },
    );
  });
  it("says where it stands when the time is up", () => {
    assert.deepEqual(
      decide("running", { state: "suspended" }, { state: "queued", reason: "Pending", message: WAITING }, true),
      {
        done: true,
        ok: false,
        forever: false,
        error: `PyTorchJob ml/a is still queued: queued (Pending: ${WAITING})`,
      },
    );
    assert.deepEqual(decide("running", { state: "created" }, { state: "admitted" }, true), {
      done: true,
      ok: false,
      forever: false,
      error: "PyTorchJob ml/a is not running: it is created",
    });
    assert.deepEqual(decide("admitted", { state: "pending" }, { state: "unknown" }, true), {
      done: true,
      ok: false,
      forever: false,
      error:
        "PyTorchJob ml/a is not admitted: Kueue made no Workload for it (is Kueue's integration for PyTorchJob enabled?)",
    });
  });
});

describe("the watch of a queued job", () => {
  const UID = "0c6e-uid";
  const workload = (conditions: Json[]) => ({
    metadata: { labels: { "kueue.x-k8s.io/job-uid": UID } },
    status: { conditions },
  });
  /** A cluster whose answers change with each look, recording what was read. */
  const scripted = (looks: [Json, Json | undefined][]) => {
    const reads: string[] = [];
    let look = -1;
    const reader: ClusterReader = {
      get: async (apiVersion, kind, name, namespace) => {
        reads.push(`get ${apiVersion} ${kind} ${namespace}/${name}`);
        look = Math.min(look + 1, looks.length - 1);
        return { metadata: { uid: UID }, ...looks[look][0] };
      },
      list: async (apiVersion, kind, namespace, selector) => {
        reads.push(`list ${apiVersion} ${kind} ${namespace} ${selector}`);
        const w = looks[look][1];
        return kind !== "Workload" || w === undefined ? [] : [w];
      },
      namespacedKinds: async () => [],
      log: async () => undefined,
    };
    return { reads, env: { reader: async () => reader, sleep: async () => {}, now: () => 5_000 } };
  };
  const failing = (error: Error) => ({
    reader: async () =>
      ({
        get: () => Promise.reject(error),
        list: () => Promise.reject(error),
        namespacedKinds: async () => [],
        log: () => Promise.reject(error),
      }) as ClusterReader,
    sleep: async () => {},
  });
  const suspended = { status: { conditions: [{ type: "Suspended", status: "True", reason: "PyTorchJobSuspended" }] } };
  const running = { status: { conditions: [{ type: "Running", status: "True", reason: "PyTorchJobRunning" }] } };
  const request = {
    backend: PYTORCHJOB_BACKEND,
    namespace: "ml",
    name: "a",
    uid: UID,
    timeoutSeconds: 600,
    queued: true,
  };

  it("reads the job and the Workload labelled with its UID until it runs", async () => {
    const api = scripted([
      [suspended, workload([{ type: "QuotaReserved", status: "False", reason: "Pending", message: WAITING }])],
      [running, workload([{ type: "Admitted", status: "True", reason: "Admitted", message: "admitted" }])],
    ]);
    const result = await watchRun(api.env, { ...request, mode: "running" });
    assert.deepEqual(result, {
      status: running.status,
      queue: { state: "admitted", reason: "Admitted", message: "admitted", evictions: 0, preemptions: 0 },
      pods: [],
      lookedAt: 5_000,
    });
    assert.deepEqual(api.reads, [
      "get kubeflow.org/v1 PyTorchJob ml/a",
      "list kueue.x-k8s.io/v1beta2 Workload ml kueue.x-k8s.io/job-uid=0c6e-uid",
      "list v1 Pod ml training.kubeflow.org/job-name=a",
      "get kubeflow.org/v1 PyTorchJob ml/a",
      "list kueue.x-k8s.io/v1beta2 Workload ml kueue.x-k8s.io/job-uid=0c6e-uid",
      "list v1 Pod ml training.kubeflow.org/job-name=a",
    ]);
  });

  it("ends at the first look that shows it can never be admitted", async () => {
    const api = scripted([
      [suspended, workload([{ type: "QuotaReserved", status: "False", reason: "Pending", message: MAX }])],
    ]);
    const result = await watchRun(api.env, { ...request, mode: "running" });
    assert.equal(result.forever, true);
    assert.equal(
      result.error,
      `PyTorchJob ml/a can never be admitted by Kueue as its queues stand: inadmissible (Pending: ${MAX})`,
    );
    assert.equal(api.reads.length, 3);
  });

  it("ends at once on a job of its name that is not the one created (another cluster, or replaced)", async () => {
    const reader = {
      get: async () => ({ metadata: { uid: "other-uid" }, ...running }),
      list: async () => [],
      namespacedKinds: async () => [],
      log: async () => undefined,
    } as ClusterReader;
    const result = await watchRun(
      { reader: async () => reader, sleep: async () => {} },
      { ...request, mode: "running" },
    );
    // No look was made: no pod seen, no time of a look.
    assert.deepEqual(result, {
      status: undefined,
      queue: { state: "unknown" },
      pods: [],
      forever: false,
      error:
        "PyTorchJob ml/a was created, but the program cannot read the cluster to wait for it: the PyTorchJob ml/a the program reads is not the one this update created (UID other-uid, not 0c6e-uid): the program and the provider read different clusters, or it was replaced meanwhile",
    });
  });

  it("ends at once on an error waiting cannot heal (credentials refused, access forbidden)", async () => {
    const forbidden = new ClusterReadError(
      'could not list Workload objects in ml: HTTP 403: workloads.kueue.x-k8s.io is forbidden: User "ci" cannot list resource "workloads"',
      true,
    );
    const result = await watchRun(failing(forbidden), { ...request, mode: "running" });
    assert.equal(
      result.error,
      'PyTorchJob ml/a was created, but the program cannot read the cluster to wait for it: could not list Workload objects in ml: HTTP 403: workloads.kueue.x-k8s.io is forbidden: User "ci" cannot list resource "workloads"',
    );
  });

  it("keeps looking through errors that may pass, says so once, and reports the last one if nothing was read by the timeout", async () => {
    const said: string[] = [];
    const refused = new ClusterReadError("could not read PyTorchJob ml/a: fetch failed (ECONNREFUSED)", false);
    // A clock that only the waits move: the number of looks does not depend on the machine's load.
    let looks = 0;
    let clock = 0;
    const env = {
      ...failing(refused),
      now: () => clock,
      sleep: async (ms: number) => {
        looks++;
        clock += ms;
      },
      onPassingError: (m: string) => said.push(m),
    };
    const result = await watchRun(env, {
      ...request,
      mode: "running",
      timeoutSeconds: 0.1,
      intervalSeconds: 0.02,
    });
    assert.equal(looks, 5);
    assert.deepEqual(said, [
      "PyTorchJob ml/a: could not read PyTorchJob ml/a: fetch failed (ECONNREFUSED); still waiting",
    ]);
    assert.equal(
      result.error,
      "PyTorchJob ml/a is not admitted: Kueue made no Workload for it (is Kueue's integration for PyTorchJob enabled?) (the API could not be read: could not read PyTorchJob ml/a: fetch failed (ECONNREFUSED))",
    );
  });
});

describe("a queued job under the program", () => {
  it("is not awaited by the provider: the program waits for it at every update, and the outputs show its queue", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { a: commandJob({ queue: "team-a", wait: "running", timeout: "2h" }), b: commandJob() },
    });
    const a = one(run, T.pytorchJob, "a-pytorchjob");
    assert.equal((a.inputs as Json).metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.equal((a.inputs as Json).metadata.annotations["pulumi.com/waitFor"], undefined);
    assert.equal(a.options.customTimeouts, undefined);
    const waitHooks = (r: typeof a) =>
      ["afterCreate", "afterUpdate"].map((when) => ((r.options as Json).hooks[when] ?? []).length);
    assert.deepEqual(waitHooks(a), [0, 0]);
    // A job without a queue is waited for by the program too, in hooks of its creation and update.
    const b = one(run, T.pytorchJob, "b-pytorchjob");
    assert.equal((b.inputs as Json).metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.equal((b.inputs as Json).metadata.annotations["pulumi.com/waitFor"], undefined);
    assert.deepEqual(waitHooks(b), [1, 1]);
    const jobs = run.outputs.jobs as Json;
    assert.deepEqual(jobs.a.queue, { name: "team-a", state: "unknown" });
    assert.equal("queue" in jobs.b, false);
  });
});
