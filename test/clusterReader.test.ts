// How the program finds and reads the cluster of the stack's provider (components/cluster/):
// the kubeconfig as it was when the program started, chosen as the provider chooses it, and
// loaded by @kubernetes/client-node; reads that treat a missing object or kind as absent and
// report anything else with the API's answer.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadKubeconfig, snapshotKubeconfig } from "../components/cluster/kubeconfig";
import { readerOf } from "../components/cluster/reader";

/** A kubeconfig with one cluster, user and context per name, the current context first. */
function kubeconfig(contexts: string[], current = contexts[0], ca = "ca.crt"): string {
  const lines = ["apiVersion: v1", "kind: Config", ...(current ? [`current-context: ${current}`] : []), "clusters:"];
  for (const c of contexts)
    lines.push(
      `- name: ${c}`,
      "  cluster:",
      `    server: https://${c}.example:6443`,
      `    certificate-authority: ${ca}`,
    );
  lines.push("users:");
  for (const c of contexts) lines.push(`- name: ${c}`, "  user:", `    token: token-${c}`);
  lines.push("contexts:");
  for (const c of contexts) lines.push(`- name: ${c}`, "  context:", `    cluster: ${c}`, `    user: ${c}`);
  return `${lines.join("\n")}\n`;
}

const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), "finetune-kubeconfig-"));

describe("the kubeconfig the program reads the cluster with", () => {
  it("is $KUBECONFIG's files that exist, in order; the first that names a current context decides it", async () => {
    const dir = folder();
    const [a, b] = [path.join(dir, "a"), path.join(dir, "b")];
    fs.writeFileSync(a, kubeconfig(["alpha"], ""));
    fs.writeFileSync(b, kubeconfig(["beta"]));
    const snapshot = snapshotKubeconfig({}, { KUBECONFIG: [path.join(dir, "missing"), a, b].join(path.delimiter) });
    assert.deepEqual(snapshot.kind === "files" ? snapshot.files.map((f) => f.path) : snapshot, [a, b]);
    const { kc } = await loadKubeconfig(snapshot);
    assert.equal(kc.currentContext, "beta");
    // A user and cluster of the second file: found; relative paths are relative to that file.
    assert.equal(kc.getCurrentCluster()?.caFile, path.join(dir, "ca.crt"));
  });

  it("takes a cluster, user or context named in two files from the first, as kubectl does", async () => {
    const dir = folder();
    const [a, b] = [path.join(dir, "a"), path.join(dir, "b")];
    fs.writeFileSync(a, kubeconfig(["alpha"]));
    fs.writeFileSync(
      b,
      kubeconfig(["alpha", "beta"], "beta", "other-ca.crt").replaceAll("alpha.example", "shadow.example"),
    );
    const { kc } = await loadKubeconfig(snapshotKubeconfig({}, { KUBECONFIG: [a, b].join(path.delimiter) }));
    assert.equal(kc.currentContext, "alpha");
    assert.equal(kc.getCluster("alpha")?.server, "https://alpha.example:6443");
    assert.equal(kc.getCluster("beta")?.caFile, path.join(dir, "other-ca.crt"));
    assert.deepEqual(
      kc.getContexts().map((c) => c.name),
      ["alpha", "beta"],
    );
  });

  it("keeps the text it read at the start: a later use-context does not move it", async () => {
    const dir = folder();
    const file = path.join(dir, "config");
    fs.writeFileSync(file, kubeconfig(["alpha", "beta"]));
    const snapshot = snapshotKubeconfig({}, { KUBECONFIG: file });
    fs.writeFileSync(file, kubeconfig(["alpha", "beta"], "beta"));
    assert.equal((await loadKubeconfig(snapshot)).kc.currentContext, "alpha");
  });

  it("takes cluster.context over the current context, and refuses one the kubeconfig lacks", async () => {
    const dir = folder();
    const file = path.join(dir, "config");
    fs.writeFileSync(file, kubeconfig(["alpha", "beta"]));
    assert.equal(
      (await loadKubeconfig(snapshotKubeconfig({ context: "beta" }, { KUBECONFIG: file }))).kc.currentContext,
      "beta",
    );
    await assert.rejects(loadKubeconfig(snapshotKubeconfig({ context: "gamma" }, { KUBECONFIG: file })), {
      message: "the kubeconfig has no context named gamma",
    });
  });

  it("reads cluster.kubeconfig as the provider does: a path (with ~) that exists, else the contents", () => {
    const home = os.homedir();
    const dir = fs.mkdtempSync(path.join(home, ".finetune-kubeconfig-"));
    try {
      fs.writeFileSync(path.join(dir, "config"), kubeconfig(["alpha"]));
      const relative = `~/${path.relative(home, dir)}/config`;
      assert.deepEqual(snapshotKubeconfig({ kubeconfig: relative }, {}), {
        kind: "given",
        text: kubeconfig(["alpha"]),
      });
      assert.deepEqual(snapshotKubeconfig({ kubeconfig: kubeconfig(["beta"]), context: "beta" }, {}), {
        kind: "given",
        text: kubeconfig(["beta"]),
        context: "beta",
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("falls back to the pod's service account when there is no kubeconfig, in a pod only", () => {
    const dir = folder();
    const none = path.join(dir, "none");
    assert.deepEqual(snapshotKubeconfig({}, { KUBECONFIG: none, KUBERNETES_SERVICE_HOST: "10.0.0.1" }, "/sa"), {
      kind: "inCluster",
      root: "/sa",
    });
    assert.deepEqual(snapshotKubeconfig({}, { KUBECONFIG: none }), {
      kind: "unreadable",
      reason: "no kubeconfig: none of $KUBECONFIG's files exists, and this is not a pod",
    });
  });

  it("reports a kubeconfig it cannot read when the cluster is first read, not at the start", async () => {
    const dir = folder();
    const snapshot = snapshotKubeconfig({ kubeconfig: dir }, {});
    assert.deepEqual(snapshot, { kind: "unreadable", reason: `cannot read the kubeconfig ${dir}: EISDIR` });
    await assert.rejects(loadKubeconfig(snapshot), { message: `cannot read the kubeconfig ${dir}: EISDIR` });
  });
});

describe("reads of the cluster", () => {
  const apiError = (code: number, message: string) => Object.assign(new Error("HTTP"), { code, body: { message } });
  const api = (read: () => Promise<unknown>, list: () => Promise<unknown> = read) =>
    readerOf({ api: { read, list } as never, refresh: () => {}, discovery: async () => [] });

  it("takes a missing object, or a kind the API does not serve, as absent", async () => {
    assert.equal(await api(() => Promise.reject(apiError(404, "not found"))).get("v1", "Namespace", "x"), undefined);
    const unserved = () => Promise.reject(new Error("Unrecognized API version and kind: kubeflow.org/v1 PyTorchJob"));
    assert.equal(await api(unserved).get("kubeflow.org/v1", "PyTorchJob", "x", "ns"), undefined);
    assert.deepEqual(await api(unserved).list("kubeflow.org/v1", "PyTorchJob"), []);
  });

  it("gives each listed object the apiVersion and kind it was listed as (the API server leaves them off list items)", async () => {
    const items = [{ metadata: { name: "default", namespace: "ml" } }];
    const reader = readerOf({
      api: { list: async () => ({ items }) } as never,
      refresh: () => {},
      discovery: async () => [],
    });
    assert.deepEqual(await reader.list("v1", "ServiceAccount", "ml"), [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "ml" } },
    ]);
  });

  it("gives objects as the API server wrote them: client-node's Date fields back as the timestamps they were", async () => {
    const finishedAt = new Date("2026-12-04T09:00:18Z");
    const pod = {
      metadata: { name: "p", creationTimestamp: new Date("2026-12-04T09:00:00Z") },
      status: { containerStatuses: [{ name: "c", state: { terminated: { exitCode: 1, finishedAt } } }] },
    };
    const reader = readerOf({
      api: { read: async () => pod, list: async () => ({ items: [pod] }) } as never,
      refresh: () => {},
      discovery: async () => [],
    });
    // As the API server writes a timestamp (RFC 3339 to the second), not as Date.toJSON does.
    const expected = {
      metadata: { name: "p", creationTimestamp: "2026-12-04T09:00:00Z" },
      status: {
        containerStatuses: [{ name: "c", state: { terminated: { exitCode: 1, finishedAt: "2026-12-04T09:00:18Z" } } }],
      },
    };
    assert.deepEqual(await reader.get("v1", "Pod", "p", "ml"), expected);
    assert.deepEqual(await reader.list("v1", "Pod", "ml"), [{ apiVersion: "v1", kind: "Pod", ...expected }]);
  });

  it("reports any other failure with the API's status and message", async () => {
    const forbidden = () => Promise.reject(apiError(403, 'persistentvolumeclaims "x" is forbidden'));
    await assert.rejects(api(forbidden).get("v1", "PersistentVolumeClaim", "x", "ml"), {
      name: "Error",
      message: 'could not read PersistentVolumeClaim ml/x: HTTP 403: persistentvolumeclaims "x" is forbidden',
    });
    await assert.rejects(api(forbidden).list("v1", "PersistentVolumeClaim", "ml"), {
      message: 'could not list PersistentVolumeClaim objects in ml: HTTP 403: persistentvolumeclaims "x" is forbidden',
    });
    const refused = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443\n    at stack"));
    await assert.rejects(api(refused).get("v1", "Namespace", "x"), {
      message: "could not read Namespace x: connect ECONNREFUSED 127.0.0.1:6443",
    });
  });
});
