// The kubeconfig's exec credential plugins (client.authentication.k8s.io), run as kubectl runs
// them, in place of @kubernetes/client-node's: asynchronously and once at a time per user however
// many reads wait for it, with KUBERNETES_EXEC_INFO, the credential kept until its
// expirationTimestamp (or until the API server refuses it: `invalidate`), and errors that name the
// plugin but never its arguments or environment, which often carry secrets (kubelogin's
// `--client-secret`). A relative command with a path separator is resolved against the folder of
// the kubeconfig that names it when the kubeconfig is loaded (kubeconfig.ts).
import { spawn } from "node:child_process";
import * as path from "node:path";

/** A kubeconfig user as client-node gives it. */
export interface ExecUser {
  readonly name: string;
  readonly exec?: {
    readonly command?: string;
    readonly args?: readonly string[];
    readonly env?: readonly { readonly name: string; readonly value: string }[] | null;
    readonly apiVersion?: string;
    readonly installHint?: string;
    readonly provideClusterInfo?: boolean;
    readonly interactiveMode?: string;
  };
}

/** What a plugin returns (ExecCredential status). */
interface Credential {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  /** Milliseconds since the epoch; undefined: kept until invalidated. */
  readonly expires?: number;
}

/** The options client-node asks an authenticator to fill. */
interface RequestOptions {
  headers?: Record<string, unknown>;
  cert?: unknown;
  key?: unknown;
}

/** The cluster a plugin is told of when the kubeconfig asks (`provideClusterInfo`). */
export interface ClusterInfo {
  readonly server: string;
  readonly "certificate-authority-data"?: string;
  readonly "insecure-skip-tls-verify"?: boolean;
  readonly "tls-server-name"?: string;
  readonly "proxy-url"?: string;
}

/** A plugin that could not give a credential: which, and why, with no argument or variable in it. */
export class ExecPluginError extends Error {}

/** A credential is renewed this long before it expires. */
const EARLY_MS = 10_000;

/** `text` with every argument and variable value of the plugin blanked out. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("[redacted]");
  }
  return out;
}

/**
 * The exec credential authenticator of one run: `applyAuthentication` runs a user's plugin when it
 * has no valid credential (one run shared by every caller), `invalidate` drops a user's credential
 * after the API server refused it.
 */
export class ExecCredentials {
  private readonly credentials = new Map<string, Credential>();
  private readonly pending = new Map<string, Promise<Credential>>();
  /** How many times each user's plugin ran: the tests count them. */
  public readonly runs = new Map<string, number>();

  constructor(
    private readonly cluster: () => ClusterInfo | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  isAuthProvider(user: ExecUser): boolean {
    return user?.exec !== undefined && user.exec !== null;
  }

  async applyAuthentication(user: ExecUser, opts: RequestOptions): Promise<void> {
    const credential = await this.credential(user);
    if (credential.clientCertificateData) opts.cert = credential.clientCertificateData;
    if (credential.clientKeyData) opts.key = credential.clientKeyData;
    if (credential.token) opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${credential.token}` };
  }

  /** Forgets a user's credential: the next request runs the plugin again. */
  invalidate(user: string): void {
    this.credentials.delete(user);
  }

  private credential(user: ExecUser): Promise<Credential> {
    const held = this.credentials.get(user.name);
    if (held !== undefined && (held.expires === undefined || held.expires - EARLY_MS > this.now())) {
      return Promise.resolve(held);
    }
    let running = this.pending.get(user.name);
    if (running === undefined) {
      running = this.run(user).then(
        (c) => {
          this.credentials.set(user.name, c);
          this.pending.delete(user.name);
          return c;
        },
        (e) => {
          this.pending.delete(user.name);
          throw e;
        },
      );
      this.pending.set(user.name, running);
    }
    return running;
  }

  private run(user: ExecUser): Promise<Credential> {
    const exec = user.exec ?? {};
    const command = exec.command ?? "";
    const plugin = `the kubeconfig's exec plugin ${path.basename(command) || "(none)"} (user ${user.name})`;
    this.runs.set(user.name, (this.runs.get(user.name) ?? 0) + 1);
    if (command === "") return Promise.reject(new ExecPluginError(`${plugin} names no command`));
    const apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1";
    if (exec.interactiveMode === "Always") {
      return Promise.reject(
        new ExecPluginError(
          `${plugin} must run interactively (interactiveMode: Always); pulumi runs it without a terminal`,
        ),
      );
    }
    const cluster = exec.provideClusterInfo ? this.cluster() : undefined;
    const info = { apiVersion, kind: "ExecCredential", spec: { interactive: false, ...(cluster ? { cluster } : {}) } };
    const variables = exec.env ?? [];
    const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
    for (const v of variables) env[v.name] = v.value;
    const secrets = [...(exec.args ?? []), ...variables.map((v) => v.value)];
    const hint = exec.installHint ? ` ${exec.installHint.trim()}` : "";
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...(exec.args ?? [])], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("error", (e: NodeJS.ErrnoException) =>
        reject(new ExecPluginError(`${plugin} could not be started (${e.code ?? "error"}).${hint}`)),
      );
      child.on("close", (code) => {
        if (code !== 0) {
          const said = redact(stderr, secrets).trim().split("\n").filter(Boolean).pop();
          reject(new ExecPluginError(`${plugin} failed (exit code ${code})${said ? `: ${said}` : ""}`));
          return;
        }
        let status: Record<string, unknown> | undefined;
        try {
          const parsed = JSON.parse(stdout) as { kind?: string; status?: Record<string, unknown> };
          if (parsed.kind === "ExecCredential") status = parsed.status;
        } catch {
          // Reported below.
        }
        if (status === undefined || (!status.token && !status.clientCertificateData)) {
          reject(new ExecPluginError(`${plugin} printed no ExecCredential with a token or a client certificate`));
          return;
        }
        const expiry =
          typeof status.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : Number.NaN;
        resolve({
          ...(typeof status.token === "string" ? { token: status.token } : {}),
          ...(typeof status.clientCertificateData === "string"
            ? { clientCertificateData: status.clientCertificateData }
            : {}),
          ...(typeof status.clientKeyData === "string" ? { clientKeyData: status.clientKeyData } : {}),
          ...(Number.isNaN(expiry) ? {} : { expires: expiry }),
        });
      });
    });
  }
}
