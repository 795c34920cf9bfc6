// A small read-only Kubernetes API client for what the provider cannot wait on: the program reads
// a queued job and its Kueue Workload while `pulumi up` waits (see watchRun.ts). It reads the same
// kubeconfig and context as the stack's provider (`cluster.kubeconfig`, `cluster.context`, else
// $KUBECONFIG's first file or ~/.kube/config) and authenticates the ways kubeconfigs commonly do:
// bearer tokens (inline or from a file), client certificates, basic auth and exec plugins.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

// A kubeconfig is read field by field, as kubectl reads it; its shape is not checked as a whole.
// biome-ignore lint/suspicious/noExplicitAny: parsed kubeconfig YAML
type Json = Record<string, any>;

/** Where the cluster is, as the stack's provider is told. */
export interface ClusterRef {
  /** A kubeconfig's path or contents. @default $KUBECONFIG's first file, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** The context. @default the kubeconfig's current context */
  readonly context?: string;
}

/** Reads objects from the API server. */
export interface KubeClient {
  /** GETs an API path (`apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads`): the parsed JSON, undefined for 404. */
  get(apiPath: string): Promise<unknown>;
}

/** A kubeconfig that cannot be used: which, and why. */
export class KubeconfigError extends Error {}

function readKubeconfig(ref: ClusterRef): { text: string; base: string } {
  const given = ref.kubeconfig;
  if (given !== undefined && /[\n:]/.test(given) && !fs.existsSync(given)) return { text: given, base: process.cwd() };
  const file = given ?? (process.env.KUBECONFIG ?? "").split(path.delimiter).find((f) => f !== "" && fs.existsSync(f));
  const chosen = file ?? path.join(os.homedir(), ".kube", "config");
  try {
    return { text: fs.readFileSync(chosen, "utf8"), base: path.dirname(path.resolve(chosen)) };
  } catch {
    throw new KubeconfigError(`cannot read the kubeconfig ${chosen}`);
  }
}

function named(list: unknown, name: string, what: string): Json {
  const found = (Array.isArray(list) ? list : []).find((e: Json) => e?.name === name);
  if (!found) throw new KubeconfigError(`the kubeconfig has no ${what} named ${name}`);
  return found;
}

/** A user's credentials from an exec plugin (client.authentication.k8s.io ExecCredential). */
function execCredential(exec: Json): Json {
  const env = { ...process.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  const out = execFileSync(exec.command, exec.args ?? [], { env, encoding: "utf8", timeout: 60_000 });
  return (JSON.parse(out) as Json).status ?? {};
}

/** A client for the kubeconfig and context of `ref`. */
export function kubeClient(ref: ClusterRef): KubeClient {
  const { text, base } = readKubeconfig(ref);
  const config = (parse(text) ?? {}) as Json;
  const contextName = ref.context ?? config["current-context"];
  if (!contextName) throw new KubeconfigError("the kubeconfig has no current context, and cluster.context is unset");
  const context = named(config.contexts, contextName, "context").context ?? {};
  const cluster = named(config.clusters, context.cluster, "cluster").cluster ?? {};
  const user = context.user !== undefined ? (named(config.users, context.user, "user").user ?? {}) : {};
  const file = (p: string) => fs.readFileSync(path.resolve(base, p));
  const data = (inline: string | undefined, filePath: string | undefined) =>
    inline !== undefined ? Buffer.from(inline, "base64") : filePath !== undefined ? file(filePath) : undefined;
  const server = new URL(cluster.server);
  const ca = data(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  let cert = data(user["client-certificate-data"], user["client-certificate"]);
  let key = data(user["client-key-data"], user["client-key"]);
  let cached: { token?: string; expires: number } | undefined;

  const authorization = (): string | undefined => {
    if (user.token !== undefined) return `Bearer ${user.token}`;
    if (user.tokenFile !== undefined) return `Bearer ${file(user.tokenFile).toString("utf8").trim()}`;
    if (user.username !== undefined) {
      return `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
    }
    if (user.exec !== undefined) {
      if (cached === undefined || cached.expires < Date.now()) {
        const status = execCredential(user.exec);
        if (status.clientCertificateData) cert = Buffer.from(status.clientCertificateData);
        if (status.clientKeyData) key = Buffer.from(status.clientKeyData);
        const expires = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
        cached = { token: status.token, expires };
      }
      return cached.token !== undefined ? `Bearer ${cached.token}` : undefined;
    }
    return undefined;
  };

  return {
    get: (apiPath) =>
      new Promise((resolve, reject) => {
        const auth = authorization();
        const url = new URL(apiPath.replace(/^\//, ""), server.href.endsWith("/") ? server.href : `${server.href}/`);
        const options: https.RequestOptions = {
          method: "GET",
          headers: { Accept: "application/json", ...(auth ? { Authorization: auth } : {}) },
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
          ...(cluster["tls-server-name"] ? { servername: cluster["tls-server-name"] } : {}),
          timeout: 30_000,
        };
        const request = (url.protocol === "http:" ? http : https).request(url, options, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => {
            if (res.statusCode === 404) resolve(undefined);
            else if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
              try {
                resolve(JSON.parse(body));
              } catch (e) {
                reject(e);
              }
            } else reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
          });
        });
        request.on("timeout", () => request.destroy(new Error(`GET ${url.pathname}: timed out`)));
        request.on("error", reject);
        request.end();
      }),
  };
}
