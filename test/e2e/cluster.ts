// A Kubernetes control plane on loopback for the end-to-end suite, envtest-style: an embedded etcd
// and kube-apiserver built from the Go module proxy (toolchain/build.sh), no controllers and no
// kubelet, so objects are stored and validated but pods never run. Everything lives in a
// temporary folder; stop() ends both processes and removes it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** A running control plane. */
export interface Cluster {
  /** A kubeconfig file for it (token auth, the self-signed serving certificate is not verified). */
  readonly kubeconfig: string;
  /** The folder of its data, logs and kubeconfig. */
  readonly dir: string;
  /** Runs kubectl against it and returns stdout. */
  kubectl(...args: string[]): string;
  /** Stops the processes and removes the folder. */
  stop(): Promise<void>;
}

/** Builds (or finds in the cache) the toolchain; returns its bin folder. */
export function buildToolchain(): string {
  const script = path.join(__dirname, "toolchain", "build.sh");
  const out = execFileSync("bash", [script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60 * 60_000,
  });
  return out.trim().split("\n").pop() as string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    req.on("timeout", () => {
      req.destroy();
      resolve(0);
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, proc: ChildProcess, log: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`${what} exited with ${proc.exitCode}:\n${fs.readFileSync(log, "utf8").slice(-4000)}`);
    }
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} was not ready after ${ms / 1000}s:\n${fs.readFileSync(log, "utf8").slice(-4000)}`);
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}

/** Starts etcd and kube-apiserver from `bin` and waits until the API server is ready. */
export async function startCluster(bin: string): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-e2e-"));
  const token = crypto.randomBytes(24).toString("hex");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`);

  const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdLog = path.join(dir, "etcd.log");
  const etcd = spawn(
    path.join(bin, "etcd"),
    [
      "-data-dir",
      path.join(dir, "etcd"),
      "-client-url",
      `http://127.0.0.1:${clientPort}`,
      "-peer-url",
      `http://127.0.0.1:${peerPort}`,
    ],
    { stdio: ["ignore", fs.openSync(etcdLog, "a"), fs.openSync(etcdLog, "a")] },
  );
  await waitFor("etcd", async () => fs.readFileSync(etcdLog, "utf8").includes("etcd ready"), etcd, etcdLog, 60_000);

  const apiLog = path.join(dir, "kube-apiserver.log");
  const apiserver = spawn(
    path.join(bin, "kube-apiserver"),
    [
      `--etcd-servers=http://127.0.0.1:${clientPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, "certs")}`,
      `--token-auth-file=${path.join(dir, "tokens.csv")}`,
      "--authorization-mode=AlwaysAllow",
      `--service-account-key-file=${path.join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.0.0.0/24",
      // No controllers run here: nothing would remove the PVC protection finalizer or create the
      // namespaces' default ServiceAccounts that these admission plugins expect.
      "--disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection",
      "--enable-priority-and-fairness=false",
      "--v=1",
    ],
    { stdio: ["ignore", fs.openSync(apiLog, "a"), fs.openSync(apiLog, "a")] },
  );
  // If this process dies before stop(), the servers must not outlive it.
  const orphans = () => {
    apiserver.kill("SIGKILL");
    etcd.kill("SIGKILL");
  };
  process.once("exit", orphans);
  const server = `https://127.0.0.1:${apiPort}`;
  await waitFor(
    "kube-apiserver",
    async () => (await get(`${server}/readyz`, token)) === 200,
    apiserver,
    apiLog,
    180_000,
  );

  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: e2e",
      "  cluster:",
      `    server: ${server}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: e2e-admin",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: e2e",
      "  context: {cluster: e2e, user: e2e-admin}",
      "current-context: e2e",
      "",
    ].join("\n"),
  );
  return {
    kubeconfig,
    dir,
    kubectl: (...args) =>
      execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      }),
    stop: async () => {
      process.off("exit", orphans);
      await stopProcess(apiserver);
      await stopProcess(etcd);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
