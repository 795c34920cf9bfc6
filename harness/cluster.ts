// A Kubernetes control plane on loopback for the end-to-end suite: an embedded etcd and
// kube-apiserver built from the Go module proxy (toolchain/build.sh). On its own it runs no
// controllers and no kubelet, so objects are stored and validated but pods never run (envtest
// style); controllers.ts adds the controllers, the scheduler and simulated GPU nodes. Everything
// lives in a temporary folder; stop() ends every process started for it and removes the folder.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { TOOLCHAIN } from "./paths";

/** A running control plane. */
export interface Cluster {
  /** A kubeconfig file for it (token auth, the self-signed serving certificate is not verified). */
  readonly kubeconfig: string;
  /** Its context in that kubeconfig. */
  readonly context: string;
  /** The folder of its data, logs and kubeconfig. */
  readonly dir: string;
  /** The API server's URL and bearer token. */
  readonly server: string;
  readonly token: string;
  /** The processes started for it; stopped with it. */
  readonly processes: Processes;
  /** Runs kubectl against it and returns stdout (blocks the test process: keep it short). */
  kubectl(...args: string[]): string;
  /** Runs kubectl against it without blocking the test process; rejects with stderr on failure. */
  kubectlAsync(...args: string[]): Promise<string>;
  /**
   * Restarts the control plane, as an upgrade does: kube-apiserver and etcd stopped (SIGTERM), then
   * started again with the same data, ports and flags; resolves once the API server is ready again.
   * `down` runs while both are stopped.
   */
  restartControlPlane(down?: () => Promise<void>): Promise<void>;
  /** Stops the processes and removes the folder. */
  stop(): Promise<void>;
}

/** Options of the control plane. */
export interface ClusterOptions {
  /**
   * Controllers will run (controllers.ts): keep the admission plugins that expect them (default
   * ServiceAccounts, the PVC protection finalizer), which are off for a bare API server.
   * @default false
   */
  readonly controllers?: boolean;
  /**
   * A unix socket of an HTTP CONNECT proxy through which the API server reaches Services
   * (admission webhooks); none when unset.
   */
  readonly egressSocket?: string;
}

/** Builds (or finds in the cache) the toolchain; returns its bin folder. */
export function buildToolchain(): string {
  const script = path.join(TOOLCHAIN, "build.sh");
  const out = execFileSync("bash", [script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 75 * 60_000,
  });
  return out.trim().split("\n").pop() as string;
}

/** Ports handed out by this process: the OS may give a just-released port again. */
const handedOut = new Set<number>();

/** A free TCP port on loopback, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
      server.on("error", reject);
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** The status code of a GET (0 when nothing answered), with a bearer token when given. */
export function httpStatus(url: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const options = { headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: 2000 };
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req = url.startsWith("https:")
      ? https.get(url, { ...options, rejectUnauthorized: false }, onResponse)
      : http.get(url, options, onResponse);
    req.on("error", () => resolve(0));
    req.on("timeout", () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every half second until it holds; throws with `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${ms / 1000}s`);
    await sleep(500);
  }
}

/** Child processes with their logs, stopped together. */
export class Processes {
  private readonly running = new Map<string, ChildProcess>();

  constructor(private readonly dir: string) {
    // If the test process dies first, the servers must not outlive it.
    process.once("exit", () => {
      for (const p of this.running.values()) p.kill("SIGKILL");
    });
  }

  /** The log file of a process. */
  log(name: string): string {
    return path.join(this.dir, `${name}.log`);
  }

  /** The last lines of a process's log, for error messages. */
  tail(name: string): string {
    return fs.existsSync(this.log(name)) ? fs.readFileSync(this.log(name), "utf8").slice(-4000) : "(no log)";
  }

  /** Starts `command` as `name`, its output appended to `<name>.log`. */
  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const out = fs.openSync(this.log(name), "a");
    const child = spawn(command, args, { stdio: ["ignore", out, out], env });
    fs.closeSync(out);
    this.running.set(name, child);
    return child;
  }

  /** Waits until `check` holds, failing at once with its log if the process exits. */
  async ready(name: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
    const child = this.running.get(name);
    await until(
      `${name} ready`,
      async () => {
        if (child && child.exitCode !== null) {
          throw new Error(`${name} exited with ${child.exitCode}:\n${this.tail(name)}`);
        }
        return check();
      },
      ms,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.tail(name)}`);
    });
  }

  /** Stops one process: SIGTERM, then SIGKILL after 10 s. */
  stop(name: string): Promise<void> {
    const child = this.running.get(name);
    this.running.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  /** Kills one process at once (SIGKILL) and waits until it is gone. */
  kill(name: string): Promise<void> {
    const child = this.running.get(name);
    this.running.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** Stops every process, the last started first. */
  async stopAll(): Promise<void> {
    for (const name of [...this.running.keys()].reverse()) await this.stop(name);
  }
}

/** Starts etcd and kube-apiserver from `bin` and waits until the API server is ready. */
export async function startCluster(bin: string, options: ClusterOptions = {}): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-e2e-"));
  const processes = new Processes(dir);
  const token = crypto.randomBytes(24).toString("hex");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`);

  const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const startEtcd = async () => {
    // A restart appends to the same log: only what follows this start counts.
    const from = fs.existsSync(processes.log("etcd")) ? fs.statSync(processes.log("etcd")).size : 0;
    processes.start("etcd", path.join(bin, "etcd"), [
      "-data-dir",
      path.join(dir, "etcd"),
      "-client-url",
      `http://127.0.0.1:${clientPort}`,
      "-peer-url",
      `http://127.0.0.1:${peerPort}`,
    ]);
    await processes.ready(
      "etcd",
      () => fs.readFileSync(processes.log("etcd"), "utf8").slice(from).includes("etcd ready"),
      60_000,
    );
  };
  await startEtcd();

  const extra: string[] = [];
  if (!options.controllers) {
    // No controllers: nothing would remove the PVC protection finalizer or create the
    // namespaces' default ServiceAccounts that these admission plugins expect.
    extra.push("--disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection");
  }
  if (options.egressSocket) {
    const egress = path.join(dir, "egress.yaml");
    fs.writeFileSync(
      egress,
      [
        "apiVersion: apiserver.k8s.io/v1beta1",
        "kind: EgressSelectorConfiguration",
        "egressSelections:",
        "- name: cluster",
        "  connection:",
        "    proxyProtocol: HTTPConnect",
        "    transport:",
        "      uds:",
        `        udsName: ${options.egressSocket}`,
        "",
      ].join("\n"),
    );
    extra.push(`--egress-selector-config-file=${egress}`);
  }
  const apiServerArgs = [
    `--etcd-servers=http://127.0.0.1:${clientPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(dir, "certs")}`,
    `--token-auth-file=${path.join(dir, "tokens.csv")}`,
    "--authorization-mode=AlwaysAllow",
    `--service-account-key-file=${path.join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
    // The issuer is the API server itself, so that a controller that verifies service account
    // tokens by OIDC discovery (Trainer v2's status server) reaches its discovery document and keys.
    `--service-account-issuer=https://127.0.0.1:${apiPort}`,
    `--service-account-jwks-uri=https://127.0.0.1:${apiPort}/openid/v1/jwks`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--enable-priority-and-fairness=false",
    ...extra,
    "--v=1",
  ];
  const server = `https://127.0.0.1:${apiPort}`;
  const startApiServer = async () => {
    processes.start("kube-apiserver", path.join(bin, "kube-apiserver"), apiServerArgs);
    await processes.ready("kube-apiserver", async () => (await httpStatus(`${server}/readyz`, token)) === 200, 180_000);
  };
  await startApiServer();

  const kubeconfig = path.join(dir, "kubeconfig");
  const context = "e2e";
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
      `- name: ${context}`,
      "  context: {cluster: e2e, user: e2e-admin}",
      `current-context: ${context}`,
      "",
    ].join("\n"),
  );
  return {
    kubeconfig,
    context,
    dir,
    server,
    token,
    processes,
    kubectl: (...args) =>
      execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      }),
    kubectlAsync: (...args) =>
      new Promise((resolve, reject) => {
        execFile(
          "kubectl",
          ["--kubeconfig", kubeconfig, ...args],
          { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
          (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`)) : resolve(stdout)),
        );
      }),
    restartControlPlane: async (down) => {
      await processes.stop("kube-apiserver");
      await processes.stop("etcd");
      await down?.();
      await startEtcd();
      await startApiServer();
    },
    stop: async () => {
      await processes.stopAll();
      // FINETUNE_E2E_KEEP=1 keeps the folder (logs, state, project copies) to look at a failure.
      if (process.env.FINETUNE_E2E_KEEP) process.stderr.write(`kept ${dir}\n`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
