// What the program says of a staging or preparation Job's pods while the provider waits for it:
// each failed attempt once, as it happens, with the end of its log (secrets replaced); failures
// there before the first look (an earlier Job of that name) are not said again.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOB_NAME_LABEL, watchJobPods } from "../components/cluster/jobPods";
import type { ClusterReader } from "../components/cluster/reader";

type Json = Record<string, any>;

const failedPod = (name: string, finishedAt: string, exitCode = 1) => ({
  metadata: { name },
  spec: { nodeName: "cpu-0" },
  status: {
    phase: "Failed",
    containerStatuses: [
      {
        name: "fetch",
        restartCount: 0,
        state: { terminated: { exitCode, reason: "Error", finishedAt } },
      },
    ],
  },
});

/** Pods by look; the watch stops after the last. */
function scripted(looks: Json[][], log: (pod: string) => string | undefined) {
  const reads: string[] = [];
  let look = -1;
  const reader: ClusterReader = {
    get: async () => undefined,
    list: async (_apiVersion, kind, namespace, selector) => {
      reads.push(`list ${kind} ${namespace} ${selector}`);
      look += 1;
      return looks[Math.min(look, looks.length - 1)];
    },
    namespacedKinds: async () => [],
    log: async (namespace, pod, container, previous) => {
      reads.push(`log ${namespace}/${pod} ${container}${previous ? " previous" : ""}`);
      return log(pod);
    },
  };
  return { reader, reads, looks: () => look + 1 };
}

async function run(looks: Json[][], log: (pod: string) => string | undefined) {
  const cluster = scripted(looks, log);
  const said: string[][] = [];
  const watch = watchJobPods(
    {
      reader: async () => cluster.reader,
      onFailure: (lines) => said.push(lines),
      secrets: () => ["s3_s3cr3t"],
      sleep: async () => {
        if (cluster.looks() >= looks.length) watch.stop();
      },
    },
    { namespace: "ml", job: "granite-stage-dataset" },
  );
  await watch.done;
  return { said, reads: cluster.reads };
}

describe("watchJobPods", () => {
  it("says each new failed attempt once, with the end of its log, secrets replaced", async () => {
    const earlier = failedPod("granite-stage-dataset-old", "2026-12-04T08:00:00Z");
    const first = failedPod("granite-stage-dataset-a", "2026-12-04T09:00:00Z");
    const second = failedPod("granite-stage-dataset-b", "2026-12-04T09:00:20Z", 2);
    const { said, reads } = await run(
      [[earlier], [earlier, first], [earlier, first], [earlier, first, second]],
      (pod) => (pod.endsWith("-a") ? "fetching s3://data\nAccessDenied with key s3_s3cr3t\n" : undefined),
    );
    assert.deepEqual(said, [
      [
        "Job ml/granite-stage-dataset: pod ml/granite-stage-dataset-a, container fetch: exit code 1 (Error)",
        "The end of the log of granite-stage-dataset-a (container fetch):",
        "  fetching s3://data",
        "  AccessDenied with key [secret]",
      ],
      [
        "Job ml/granite-stage-dataset: pod ml/granite-stage-dataset-b, container fetch: exit code 2 (Error)",
        "The log of granite-stage-dataset-b (container fetch) is empty or gone.",
      ],
    ]);
    assert.deepEqual(
      reads.filter((r) => r.startsWith("list")),
      Array(4).fill(`list Pod ml ${JOB_NAME_LABEL}=granite-stage-dataset`),
    );
    assert.deepEqual(
      reads.filter((r) => r.startsWith("log")),
      ["log ml/granite-stage-dataset-a fetch", "log ml/granite-stage-dataset-b fetch"],
    );
  });

  it("goes on after a look that fails, and says nothing once stopped", async () => {
    let looks = 0;
    const said: string[][] = [];
    const reader: ClusterReader = {
      get: async () => undefined,
      list: async () => {
        looks += 1;
        if (looks === 2) throw new Error("connection refused");
        return looks === 1 ? [] : [failedPod("p", "2026-12-04T09:00:00Z")];
      },
      namespacedKinds: async () => [],
      log: async () => "boom\n",
    };
    const watch = watchJobPods(
      {
        reader: async () => reader,
        onFailure: (lines) => said.push(lines),
        sleep: async () => {
          if (looks >= 3) watch.stop();
        },
      },
      { namespace: "ml", job: "j" },
    );
    await watch.done;
    assert.deepEqual(said, [
      [
        "Job ml/j: pod ml/p, container fetch: exit code 1 (Error)",
        "The end of the log of p (container fetch):",
        "  boom",
      ],
    ]);
    assert.equal(looks, 3);
  });
});
