// The program's own wait for a queued job: Kueue's Workload read into a queue state (table-driven
// from the conditions Kueue v0.19.0 writes), the decision after each look, the watch loop against
// a scripted API, and the small API client against a local server, as the kubeconfig says.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { queuedRunDecision, readWorkload } from "../components/builders/kueue";
import { PYTORCHJOB_BACKEND } from "../components/builders/v1/backend";
import { kubeClient } from "../components/cluster/kubeClient";
import { watchQueuedRun } from "../components/cluster/watchRun";
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
  for (const [title, workload, expected] of table) {
    it(title, () => assert.deepEqual(readWorkload(workload), expected));
  }
});

describe("after one look at a queued job", () => {
  const decide = (mode: "admitted" | "running" | "succeeded", run: Json, queue: Json, timedOut = false) =>
    queuedRunDecision("PyTorchJob", "ml/a", mode, run as never, queue as never, timedOut);
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
    items: [
      { metadata: { ownerReferences: [{ kind: "PyTorchJob", name: "other", uid: "x" }] }, status: { conditions: [] } },
      { metadata: { ownerReferences: [{ kind: "PyTorchJob", name: "a", uid: UID }] }, status: { conditions } },
    ],
  });
  /** An API whose answers change with each look. */
  const scripted = (looks: [Json, Json][]) => {
    const paths: string[] = [];
    let look = -1;
    return {
      paths,
      client: {
        get: async (p: string) => {
          paths.push(p);
          if (p.endsWith("/pytorchjobs/a")) look = Math.min(look + 1, looks.length - 1);
          return p.endsWith("/workloads") ? looks[look][1] : looks[look][0];
        },
      },
    };
  };
  const suspended = { status: { conditions: [{ type: "Suspended", status: "True", reason: "PyTorchJobSuspended" }] } };
  const running = { status: { conditions: [{ type: "Running", status: "True", reason: "PyTorchJobRunning" }] } };
  const request = { backend: PYTORCHJOB_BACKEND, namespace: "ml", name: "a", uid: UID, timeoutSeconds: 600 };
  const noSleep = async () => {};

  it("reads the job and its own Workload until it runs", async () => {
    const api = scripted([
      [suspended, workload([{ type: "QuotaReserved", status: "False", reason: "Pending", message: WAITING }])],
      [running, workload([{ type: "Admitted", status: "True", reason: "Admitted", message: "admitted" }])],
    ]);
    const result = await watchQueuedRun(api.client, { ...request, mode: "running" }, noSleep);
    assert.deepEqual(result, {
      status: running.status,
      queue: { state: "admitted", reason: "Admitted", message: "admitted" },
    });
    assert.deepEqual(api.paths, [
      "apis/kubeflow.org/v1/namespaces/ml/pytorchjobs/a",
      "apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads",
      "apis/kubeflow.org/v1/namespaces/ml/pytorchjobs/a",
      "apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads",
    ]);
  });

  it("ends at the first look that shows it can never be admitted", async () => {
    const api = scripted([
      [suspended, workload([{ type: "QuotaReserved", status: "False", reason: "Pending", message: MAX }])],
    ]);
    const result = await watchQueuedRun(api.client, { ...request, mode: "running" }, noSleep);
    assert.equal(result.forever, true);
    assert.equal(
      result.error,
      `PyTorchJob ml/a can never be admitted by Kueue as its queues stand: inadmissible (Pending: ${MAX})`,
    );
    assert.equal(api.paths.length, 2);
  });

  it("keeps looking through API errors, and reports the last one if nothing was read by the timeout", async () => {
    const result = await watchQueuedRun(
      { get: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) },
      { ...request, mode: "running", timeoutSeconds: 0 },
      noSleep,
    );
    assert.equal(
      result.error,
      "PyTorchJob ml/a is not admitted: Kueue made no Workload for it (is Kueue's integration for PyTorchJob enabled?) (the API could not be read: Error: connect ECONNREFUSED 127.0.0.1:6443)",
    );
  });
});

describe("the API client reads with the kubeconfig's credentials", () => {
  let server: http.Server;
  const seen: { path?: string; authorization?: string }[] = [];
  let dir: string;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url, authorization: req.headers.authorization });
      if (req.url?.endsWith("/missing")) {
        res.writeHead(404).end("{}");
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "Thing", path: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-kubeconfig-"));
  });
  after(() => server.close());
  const kubeconfig = (user: Json) => {
    const { port } = server.address() as AddressInfo;
    const file = path.join(dir, `config-${seen.length}`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "other",
        clusters: [{ name: "local", cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: "me", user }],
        contexts: [
          { name: "other", context: { cluster: "nowhere", user: "me" } },
          { name: "e2e", context: { cluster: "local", user: "me" } },
        ],
      }),
    );
    return file;
  };

  it("a bearer token, in the context the stack names; 404 is undefined", async () => {
    const client = kubeClient({ kubeconfig: kubeconfig({ token: "t0ken" }), context: "e2e" });
    assert.deepEqual(await client.get("apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads"), {
      kind: "Thing",
      path: "/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads",
    });
    assert.equal(await client.get("api/v1/missing"), undefined);
    assert.deepEqual(seen.slice(-2), [
      { path: "/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads", authorization: "Bearer t0ken" },
      { path: "/api/v1/missing", authorization: "Bearer t0ken" },
    ]);
  });

  it("a token from an exec plugin", async () => {
    const plugin = path.join(dir, "plugin.sh");
    fs.writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$TOKEN_PREFIX"'-exec"}}'\n`,
      { mode: 0o755 },
    );
    const client = kubeClient({
      kubeconfig: kubeconfig({ exec: { command: plugin, env: [{ name: "TOKEN_PREFIX", value: "from" }] } }),
      context: "e2e",
    });
    await client.get("version");
    assert.equal(seen.at(-1)?.authorization, "Bearer from-exec");
  });

  it("refuses a context the kubeconfig lacks, naming it", () => {
    assert.throws(() => kubeClient({ kubeconfig: kubeconfig({ token: "t" }), context: "prod" }), {
      message: "the kubeconfig has no context named prod",
    });
  });
});

describe("a queued job under the program", () => {
  it("is not awaited by the provider: the program waits for it, and the outputs show its queue", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { a: commandJob({ queue: "team-a", wait: "running", timeout: "2h" }), b: commandJob() },
    });
    const a = one(run, T.pytorchJob, "a-pytorchjob");
    assert.equal((a.inputs as Json).metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.equal((a.inputs as Json).metadata.annotations["pulumi.com/waitFor"], undefined);
    assert.equal(a.options.customTimeouts, undefined);
    const b = one(run, T.pytorchJob, "b-pytorchjob");
    assert.equal((b.inputs as Json).metadata.annotations["pulumi.com/skipAwait"], undefined);
    const jobs = run.outputs.jobs as Json;
    assert.deepEqual(jobs.a.queue, { name: "team-a", state: "unknown" });
    assert.equal("queue" in jobs.b, false);
  });
});
