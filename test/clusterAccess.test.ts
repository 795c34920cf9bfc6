// The program reads a cluster as kubectl does (components/cluster/), against fake API servers on
// loopback HTTPS: kubeconfigs of several files, proxies (proxy-url, HTTPS_PROXY and NO_PROXY), the
// pod's service account, exec plugins (relative commands, KUBERNETES_EXEC_INFO, expiry, refresh on
// 401, one run for many readers, no argument in errors), credentials refused or access forbidden
// failing at once, and Workloads found by Kueue's job-uid label.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PYTORCHJOB_BACKEND } from "../components/builders/v1/backend";
import { snapshotKubeconfig } from "../components/cluster/kubeconfig";
import { type ClusterReadError, clusterReader } from "../components/cluster/reader";
import { watchRun } from "../components/cluster/watchRun";
import { type ApiServer, certificates, startApiServer, startConnectProxy } from "./support/apiServer";

type Json = Record<string, any>;

const UID = "uid-1";
const OBJECTS: Json[] = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "ml", uid: "ns-uid" } },
  {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata: { name: "a", namespace: "ml", uid: UID },
    status: { conditions: [{ type: "Running", status: "True", reason: "PyTorchJobRunning" }] },
  },
  {
    apiVersion: "kueue.x-k8s.io/v1beta2",
    kind: "Workload",
    metadata: { name: "pytorchjob-a", namespace: "ml", labels: { "kueue.x-k8s.io/job-uid": UID } },
    status: { conditions: [{ type: "Admitted", status: "True", reason: "Admitted", message: "ok" }] },
  },
  {
    apiVersion: "kueue.x-k8s.io/v1beta2",
    kind: "Workload",
    metadata: { name: "pytorchjob-b", namespace: "ml", labels: { "kueue.x-k8s.io/job-uid": "uid-2" } },
  },
];

describe("reading the cluster as kubectl does", () => {
  let tls: ReturnType<typeof certificates>;
  let api: ApiServer;
  let dir: string;
  before(async () => {
    tls = certificates();
    api = await startApiServer(tls, OBJECTS);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-access-"));
  });
  after(async () => {
    await api.close();
    fs.rmSync(tls.dir, { recursive: true, force: true });
  });

  /** Writes a kubeconfig file of these parts into its own folder; returns its path. */
  let files = 0;
  const write = (doc: Json, folder = path.join(dir, `k${files++}`)): string => {
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, "config");
    fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "Config", ...doc }));
    return file;
  };
  const cluster = (extra: Json = {}) => ({
    name: "local",
    cluster: { server: api.url, "certificate-authority-data": api.caData, ...extra },
  });
  const context = { name: "dev", context: { cluster: "local", user: "me" } };
  const single = (user: Json, clusterExtra: Json = {}) =>
    write({
      "current-context": "dev",
      clusters: [cluster(clusterExtra)],
      contexts: [context],
      users: [{ name: "me", user }],
    });
  const reader = (file: string, env: NodeJS.ProcessEnv = {}) =>
    clusterReader(snapshotKubeconfig({}, { KUBECONFIG: file }), env);
  /** An exec plugin script that appends a line to `runs` each time it runs and prints a token. */
  const plugin = (folder: string, body: string): { runs: string } => {
    const runs = path.join(folder, "runs");
    fs.mkdirSync(path.join(folder, "bin"), { recursive: true });
    fs.writeFileSync(path.join(folder, "bin", "plugin.sh"), `#!/bin/sh\necho run >> '${runs}'\n${body}\n`, {
      mode: 0o755,
    });
    return { runs };
  };
  /** A kubeconfig in `folder` whose user runs `folder/bin/plugin.sh`, named relatively. */
  const execConfig = (folder: string, exec: Json = {}) =>
    write(
      {
        "current-context": "dev",
        clusters: [cluster()],
        contexts: [context],
        users: [
          {
            name: "me",
            user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./bin/plugin.sh", ...exec } },
          },
        ],
      },
      folder,
    );
  const runsOf = (file: string) =>
    fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
  const credential = (token: string, expires?: Date) =>
    `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"${
      expires ? `,"expirationTimestamp":"${expires.toISOString()}"` : ""
    }}}'`;

  it("merges $KUBECONFIG's files: a user of the second file authenticates the first file's context", async () => {
    api.accept = (a) => a === "Bearer second-file";
    const first = write({ "current-context": "dev", clusters: [cluster()], contexts: [context], users: [] });
    const second = write({ clusters: [], contexts: [], users: [{ name: "me", user: { token: "second-file" } }] });
    const read = clusterReader(snapshotKubeconfig({}, { KUBECONFIG: [first, second].join(path.delimiter) }), {});
    assert.equal((await (await read()).get("v1", "Namespace", "ml"))?.metadata?.uid, "ns-uid");
  });

  it("goes through the cluster's proxy-url, and through HTTPS_PROXY unless NO_PROXY names the server", async () => {
    api.accept = () => true;
    const proxy = await startConnectProxy();
    try {
      // Each read is a discovery request and a get: each through a tunnel to the API server.
      const server = api.url.slice("https://".length);
      const viaUrl = reader(single({ token: "t" }, { "proxy-url": proxy.url }));
      assert.equal((await (await viaUrl()).get("v1", "Namespace", "ml"))?.metadata?.name, "ml");
      const afterUrl = proxy.tunnels.length;
      assert.ok(afterUrl > 0);
      const viaEnv = reader(single({ token: "t" }), { HTTPS_PROXY: proxy.url });
      assert.equal((await (await viaEnv()).get("v1", "Namespace", "ml"))?.metadata?.name, "ml");
      const afterEnv = proxy.tunnels.length;
      assert.ok(afterEnv > afterUrl);
      assert.deepEqual(new Set(proxy.tunnels), new Set([server]));
      const bypass = reader(single({ token: "t" }), { HTTPS_PROXY: proxy.url, NO_PROXY: "localhost,127.0.0.1" });
      assert.equal((await (await bypass()).get("v1", "Namespace", "ml"))?.metadata?.name, "ml");
      assert.equal(proxy.tunnels.length, afterEnv);
    } finally {
      await proxy.close();
    }
  });

  it("reads with the pod's service account when there is no kubeconfig (a CI runner pod)", async () => {
    const root = path.join(dir, "pod");
    const sa = path.join(root, "var", "run", "secrets", "kubernetes.io", "serviceaccount");
    fs.mkdirSync(sa, { recursive: true });
    fs.copyFileSync(tls.ca, path.join(sa, "ca.crt"));
    fs.writeFileSync(path.join(sa, "token"), "pod-token");
    fs.writeFileSync(path.join(sa, "namespace"), "ci");
    api.accept = (a) => a === "Bearer pod-token";
    const port = new URL(api.url).port;
    // client-node reads the service's address from the process's environment, as in a pod.
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = port;
    try {
      const env = { KUBECONFIG: path.join(dir, "none"), KUBERNETES_SERVICE_HOST: "127.0.0.1" };
      const read = clusterReader(snapshotKubeconfig({}, env, root), {});
      assert.equal((await (await read()).get("v1", "Namespace", "ml"))?.metadata?.uid, "ns-uid");
    } finally {
      for (const [k, v] of [
        ["KUBERNETES_SERVICE_HOST", saved.host],
        ["KUBERNETES_SERVICE_PORT", saved.port],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("runs a relative exec command from the kubeconfig's folder, telling it the cluster in KUBERNETES_EXEC_INFO", async () => {
    const folder = path.join(dir, "exec-info");
    const info = path.join(folder, "info.json");
    plugin(folder, `printf '%s' "$KUBERNETES_EXEC_INFO" > '${info}'\n${credential("exec-token")}`);
    api.accept = (a) => a === "Bearer exec-token";
    const file = execConfig(folder, { provideClusterInfo: true });
    assert.notEqual(process.cwd(), folder);
    assert.equal((await (await reader(file)()).get("v1", "Namespace", "ml"))?.metadata?.name, "ml");
    assert.deepEqual(JSON.parse(fs.readFileSync(info, "utf8")), {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false, cluster: { server: api.url, "certificate-authority-data": api.caData } },
    });
  });

  it("runs the plugin once for many readers at once, and keeps its credential until it expires", async () => {
    const folder = path.join(dir, "lasting");
    const { runs } = plugin(folder, `sleep 1\n${credential("t", new Date(Date.now() + 3_600_000))}`);
    api.accept = () => true;
    const read = await reader(execConfig(folder))();
    await Promise.all(Array.from({ length: 20 }, () => read.get("v1", "Namespace", "ml")));
    await read.get("v1", "Namespace", "ml");
    assert.equal(runsOf(runs), 1);
  });

  it("runs the plugin again once its credential is about to expire", async () => {
    const folder = path.join(dir, "expiry");
    // It expires within the 10 s kept in hand: every request gets a fresh one.
    const { runs } = plugin(folder, credential("t", new Date(Date.now() + 5_000)));
    api.accept = () => true;
    const read = await reader(execConfig(folder))();
    await read.get("v1", "Namespace", "ml");
    const first = runsOf(runs);
    await read.get("v1", "Namespace", "ml");
    assert.equal(runsOf(runs), first + 1);
  });

  it("runs the plugin again on a 401 and retries once; refused again, it fails at once saying so", async () => {
    const folder = path.join(dir, "refresh");
    const counter = path.join(folder, "n");
    plugin(
      folder,
      `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${counter}'\n${credential("token-$n").replace("token-$n", `'"token-$n"'`)}`,
    );
    api.accept = (a) => a === "Bearer token-2";
    const file = execConfig(folder);
    const read = await reader(file)();
    assert.equal((await read.get("v1", "Namespace", "ml"))?.metadata?.name, "ml");
    assert.equal(runsOf(path.join(folder, "runs")), 2);
    api.accept = () => false;
    await assert.rejects(read.get("v1", "Namespace", "ml"), (e: ClusterReadError) => {
      assert.equal(
        e.message,
        "could not read Namespace ml: HTTP 401: Unauthorized (refused again with a fresh credential)",
      );
      assert.equal(e.lasting, true);
      return true;
    });
  });

  it("fails a wait at once on 403, saying what was forbidden", async () => {
    api.accept = () => true;
    api.forbidden = /workloads/;
    try {
      const read = reader(single({ token: "t" }));
      const result = await watchRun(
        { reader: read, sleep: async () => assert.fail("no second look") },
        {
          backend: PYTORCHJOB_BACKEND,
          namespace: "ml",
          name: "a",
          uid: UID,
          mode: "running",
          timeoutSeconds: 3600,
          queued: true,
        },
      );
      assert.equal(
        result.error,
        'PyTorchJob ml/a was created, but the program cannot read the cluster to wait for it: could not list Workload objects in ml: HTTP 403: /apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads is forbidden: User "ci" cannot get it',
      );
    } finally {
      api.forbidden = undefined;
    }
  });

  it("never puts a plugin's arguments or variables in an error, even when the plugin prints them", async () => {
    const folder = path.join(dir, "failing");
    plugin(folder, `echo "login failed for $1 $2 with $SECRET_VAR" >&2\nexit 3`);
    const file = execConfig(folder, {
      args: ["--client-secret", "s3cr3t-value-123"],
      env: [{ name: "SECRET_VAR", value: "hunter2-env" }],
      installHint: "Install it from example.com.",
    });
    await assert.rejects((await reader(file)()).get("v1", "Namespace", "ml"), (e: ClusterReadError) => {
      assert.equal(
        e.message,
        "could not read Namespace ml: the kubeconfig's exec plugin plugin.sh (user me) failed (exit code 3): login failed for [redacted] [redacted] with [redacted]",
      );
      assert.equal(e.lasting, true);
      return true;
    });
    const missing = write({
      "current-context": "dev",
      clusters: [cluster()],
      contexts: [context],
      users: [
        {
          name: "me",
          user: {
            exec: {
              command: "no-such-plugin",
              args: ["--token", "abcdef"],
              installHint: "Install it from example.com.",
            },
          },
        },
      ],
    });
    await assert.rejects((await reader(missing)()).get("v1", "Namespace", "ml"), {
      message:
        "could not read Namespace ml: the kubeconfig's exec plugin no-such-plugin (user me) could not be started (ENOENT). Install it from example.com.",
    });
  });

  it("finds a job's Workload by Kueue's job-uid label, and waits with one plugin run for many jobs", async () => {
    const folder = path.join(dir, "many");
    const { runs } = plugin(folder, `sleep 1\n${credential("t")}`);
    api.accept = () => true;
    const file = execConfig(folder);
    const read = reader(file);
    const before = api.seen.length;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        watchRun(
          { reader: read, sleep: async () => {} },
          {
            backend: PYTORCHJOB_BACKEND,
            namespace: "ml",
            name: "a",
            uid: UID,
            mode: "running",
            timeoutSeconds: 60,
            queued: true,
          },
        ),
      ),
    );
    for (const r of results)
      assert.deepEqual(r.queue, {
        state: "admitted",
        reason: "Admitted",
        message: "ok",
        evictions: 0,
        preemptions: 0,
      });
    assert.equal(runsOf(runs), 1);
    const lists = api.seen.slice(before).filter((s) => s.path.includes("/workloads"));
    assert.equal(lists.length, 5);
    for (const s of lists)
      assert.equal(
        s.path,
        "/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads?labelSelector=kueue.x-k8s.io%2Fjob-uid%3Duid-1",
      );
  });
});
