// Which kubeconfig the program reads the cluster with: the one the stack's provider is given, as
// it was when the program started. The provider resolves its cluster when the deployment starts;
// the program reads the cluster later (at a create or delete step, or while a queued job waits),
// so it keeps the kubeconfig's text from the start and never follows a `kubectl config
// use-context` made meanwhile. Parsing, credentials and requests are @kubernetes/client-node's,
// loaded only when the cluster is first read (loading it takes about a second).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

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
  /** No kubeconfig: the pod's service account, as in a CI runner pod. */
  | { readonly kind: "inCluster" }
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
 * ~/.kube/config, else the in-cluster service account. Never throws: a file that cannot be read is
 * reported when the cluster is first read.
 */
export function snapshotKubeconfig(ref: ClusterRef, env: NodeJS.ProcessEnv = process.env): KubeconfigSnapshot {
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
  return { kind: "inCluster", ...context };
}

/** client-node's KubeConfig for a snapshot, with the context it names checked. */
export async function loadKubeconfig(snapshot: KubeconfigSnapshot): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const load = (text: string, folder?: string): KubeConfig => {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(text);
    } catch (e) {
      throw new KubeconfigError(`the kubeconfig is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (folder !== undefined) kc.makePathsAbsolute(folder);
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
      // As kubectl: the first file that names a current context decides it.
      for (const file of rest) kc.mergeConfig(load(file.text, path.dirname(file.path)), Boolean(kc.currentContext));
      break;
    }
    case "inCluster":
      kc = new KubeConfig();
      kc.loadFromCluster();
      break;
    case "unreadable":
      throw new KubeconfigError(snapshot.reason);
  }
  const context = snapshot.context ?? kc.currentContext;
  if (!context) throw new KubeconfigError("the kubeconfig has no current context, and cluster.context is unset");
  if (kc.getContextObject(context) === null)
    throw new KubeconfigError(`the kubeconfig has no context named ${context}`);
  kc.setCurrentContext(context);
  return kc;
}
