// Which kubeconfig the program reads the cluster with: the one the stack's provider is given, as
// it was when the program started. The provider resolves its cluster when the deployment starts;
// the program reads the cluster later (at a create or delete step, or while a queued job waits),
// so it keeps the kubeconfig's text from the start and never follows a `kubectl config
// use-context` made meanwhile. Parsing, credentials and requests are @kubernetes/client-node's,
// loaded only when the cluster is first read (loading it takes about a second). What client-node
// does not do as kubectl does is done here: exec plugins (execCredential.ts) with commands relative
// to the kubeconfig that names them, and HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Cluster, KubeConfig } from "@kubernetes/client-node";
import { type ClusterInfo, ExecCredentials, type ExecUser } from "./execCredential";

/** Where the cluster is, as the stack's provider is told (`finetune:cluster`). */
export interface ClusterRef {
  /** A kubeconfig's path or contents. @default $KUBECONFIG's files, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  /** The context. @default the kubeconfig's current context */
  readonly context?: string;
}

/** The kubeconfig as it was when the program started. */
export type KubeconfigSnapshot = {
  /** `cluster.context`, which overrides the current context. */
  readonly context?: string;
} & (
  | {
      /** Files of $KUBECONFIG (those that exist, in order) or ~/.kube/config; paths in each are relative to it. */
      readonly kind: "files";
      readonly files: readonly { readonly path: string; readonly text: string }[];
    }
  /** `cluster.kubeconfig`, read as the provider reads it: paths in it are relative to the working folder. */
  | { readonly kind: "given"; readonly text: string }
  /** No kubeconfig, in a pod: its service account, as a CI runner pod's (files under `root`, "" in a pod). */
  | { readonly kind: "inCluster"; readonly root: string }
  /** A kubeconfig that could not be read: reported when the cluster is first read, as the provider reports it. */
  | { readonly kind: "unreadable"; readonly reason: string }
);

/** A kubeconfig that cannot be used: which, and why. */
export class KubeconfigError extends Error {}

/** `~` and `~/...` as the provider expands them in `cluster.kubeconfig`. */
function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  return p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

/**
 * Reads the kubeconfig the provider will use, now: `cluster.kubeconfig` (a path that exists, else
 * the contents themselves, as the provider decides), else the files of $KUBECONFIG that exist, else
 * ~/.kube/config, else, in a pod (KUBERNETES_SERVICE_HOST set), its service account. Never throws: a
 * kubeconfig that cannot be read is reported when the cluster is first read. `serviceAccountRoot`
 * is where the service account's folder is (tests give one of their own).
 */
export function snapshotKubeconfig(
  ref: ClusterRef,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountRoot = "",
): KubeconfigSnapshot {
  const context = ref.context !== undefined ? { context: ref.context } : {};
  if (ref.kubeconfig !== undefined && ref.kubeconfig !== "") {
    const file = expandHome(ref.kubeconfig);
    if (!fs.existsSync(file)) return { kind: "given", text: ref.kubeconfig, ...context };
    try {
      return { kind: "given", text: fs.readFileSync(file, "utf8"), ...context };
    } catch (e) {
      return { kind: "unreadable", reason: `cannot read the kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code}` };
    }
  }
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
  const candidates = listed.length > 0 ? listed : [path.join(os.homedir(), ".kube", "config")];
  const files: { path: string; text: string }[] = [];
  for (const f of candidates.filter((c) => fs.existsSync(c))) {
    try {
      files.push({ path: path.resolve(f), text: fs.readFileSync(f, "utf8") });
    } catch (e) {
      return { kind: "unreadable", reason: `cannot read the kubeconfig ${f}: ${(e as NodeJS.ErrnoException).code}` };
    }
  }
  if (files.length > 0) return { kind: "files", files, ...context };
  if (env.KUBERNETES_SERVICE_HOST) return { kind: "inCluster", root: serviceAccountRoot, ...context };
  return {
    kind: "unreadable",
    reason: `no kubeconfig: ${listed.length > 0 ? "none of $KUBECONFIG's files exists" : `${candidates[0]} does not exist`}, and this is not a pod`,
  };
}

/** A kubeconfig user's exec command, when relative with a separator, from the kubeconfig's folder (as kubectl). */
function resolveExecCommands(kc: KubeConfig, folder: string): void {
  for (const user of kc.users as { exec?: { command?: string } }[]) {
    const command = user.exec?.command;
    if (command && !path.isAbsolute(command) && command.includes(path.sep)) {
      (user.exec as { command: string }).command = path.join(folder, command);
    }
  }
}

/** The cluster as an exec plugin is told of it (ExecCredential spec.cluster). */
function clusterInfo(cluster: Cluster | null): ClusterInfo | undefined {
  if (cluster === null) return undefined;
  const ca = cluster.caData ?? (cluster.caFile ? fs.readFileSync(cluster.caFile).toString("base64") : undefined);
  return {
    server: cluster.server,
    ...(ca !== undefined ? { "certificate-authority-data": ca } : {}),
    ...(cluster.skipTLSVerify ? { "insecure-skip-tls-verify": true } : {}),
    ...(cluster.tlsServerName ? { "tls-server-name": cluster.tlsServerName } : {}),
    ...(cluster.proxyUrl ? { "proxy-url": cluster.proxyUrl } : {}),
  };
}

/** A loaded kubeconfig and the exec credentials it authenticates with. */
export interface LoadedKubeconfig {
  readonly kc: KubeConfig;
  readonly credentials: ExecCredentials;
}

/** client-node's KubeConfig for a snapshot, with the context it names checked. */
export async function loadKubeconfig(
  snapshot: KubeconfigSnapshot,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedKubeconfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const load = (text: string, folder?: string): KubeConfig => {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(text);
    } catch (e) {
      throw new KubeconfigError(`the kubeconfig is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (folder !== undefined) {
      kc.makePathsAbsolute(folder);
      resolveExecCommands(kc, folder);
    }
    return kc;
  };
  let kc: KubeConfig;
  switch (snapshot.kind) {
    case "given":
      kc = load(snapshot.text);
      break;
    case "files": {
      const [first, ...rest] = snapshot.files;
      kc = load(first.text, path.dirname(first.path));
      for (const file of rest) {
        const next = load(file.text, path.dirname(file.path));
        // As kubectl: the first file that names a cluster, user or context, or a current context, decides it.
        next.clusters = next.clusters.filter((c) => kc.getCluster(c.name) === null);
        next.users = next.users.filter((u) => kc.getUser(u.name) === null);
        next.contexts = next.contexts.filter((c) => kc.getContextObject(c.name) === null);
        kc.mergeConfig(next, Boolean(kc.currentContext));
      }
      break;
    }
    case "inCluster":
      kc = new KubeConfig();
      kc.loadFromCluster(snapshot.root);
      break;
    case "unreadable":
      throw new KubeconfigError(snapshot.reason);
  }
  const context = snapshot.context ?? kc.currentContext;
  if (!context) throw new KubeconfigError("the kubeconfig has no current context, and cluster.context is unset");
  if (kc.getContextObject(context) === null)
    throw new KubeconfigError(`the kubeconfig has no context named ${context}`);
  kc.setCurrentContext(context);
  const credentials = new ExecCredentials(() => clusterInfo(kc.getCurrentCluster()));
  // client-node's own exec authenticator is the one that claims a user with only `exec`.
  const authenticators = (kc as unknown as { authenticators: { isAuthProvider(u: ExecUser): boolean }[] })
    .authenticators;
  const index = authenticators.findIndex((a) => a.isAuthProvider({ name: "probe", exec: { command: "probe" } }));
  if (index < 0) throw new KubeconfigError("@kubernetes/client-node has no exec authenticator to replace");
  authenticators[index] = credentials;
  await withEnvironmentProxy(kc, env);
  return { kc, credentials };
}

/**
 * Sends requests through the proxy of HTTPS_PROXY / HTTP_PROXY (honouring NO_PROXY), as kubectl
 * does, when the cluster names no proxy-url of its own (which client-node already uses).
 */
async function withEnvironmentProxy(kc: KubeConfig, env: NodeJS.ProcessEnv): Promise<void> {
  const variable = (name: string) => env[name.toLowerCase()] ?? env[name];
  const httpsProxy = variable("HTTPS_PROXY");
  const httpProxy = variable("HTTP_PROXY");
  if (!httpsProxy && !httpProxy) return;
  const { EnvHttpProxyAgent } = await import("undici");
  // client-node builds each request's dispatcher here (private in its typings).
  const target = kc as unknown as { createDispatcher(cluster: Cluster | null, agentOptions: object): unknown };
  const own = target.createDispatcher.bind(kc);
  target.createDispatcher = (cluster, agentOptions) => {
    if (cluster?.proxyUrl) return own(cluster, agentOptions);
    const dispatcher = kc.createDispatcherOptions(cluster, agentOptions);
    const tls = dispatcher.type === "agent" ? dispatcher.connect : {};
    // `requestTls` reaches the proxy agents (the cluster's TLS through the tunnel), `connect` the direct one.
    const options = {
      ...(httpProxy ? { httpProxy } : {}),
      ...(httpsProxy ? { httpsProxy } : {}),
      noProxy: variable("NO_PROXY") ?? "",
      connect: tls,
      requestTls: tls,
    };
    return new EnvHttpProxyAgent(options as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
  };
}
