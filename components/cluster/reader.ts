// Reads objects from the cluster the stack deploys to, through @kubernetes/client-node: whether an
// object exists before the stack creates it and what still depends on a shared object before it
// deletes one (components/guards.ts), and a queued job and its Workload while `pulumi up` waits
// (watchRun.ts). One reader per run, built on the first read. Only reads: get, list, discovery.
// A request refused with 401 is made once more after the exec plugin's credential is dropped (as
// kubectl does); errors say whether they can heal, and never carry a credential.
import type { KubernetesObjectApi } from "@kubernetes/client-node";
import type { ClusterObject } from "../builders/ownership";
import { ExecPluginError } from "./execCredential";
import { KubeconfigError, type KubeconfigSnapshot, loadKubeconfig } from "./kubeconfig";

/** A kind the API serves. */
export interface ServedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Reads the cluster. Every method rejects with a `ClusterReadError` when the API cannot be read. */
export interface ClusterReader {
  /** The object; undefined when it does not exist, or its kind is not served. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<ClusterObject | undefined>;
  /** Every object of a kind (with these labels), in one namespace or in all; none when the kind is not served. */
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<ClusterObject[]>;
  /** Every namespaced kind the API serves that can be listed, at its group's preferred version. */
  namespacedKinds(): Promise<ServedKind[]>;
  /**
   * The end of a container's log (its previous one, before its last restart, when `previous`);
   * undefined when there is none to read (the pod, or a previous container, is gone).
   */
  log(namespace: string, pod: string, container: string, previous: boolean): Promise<string | undefined>;
}

/** How much of a log is read: the end, bounded in lines and bytes. */
export const LOG_READ = { tailLines: 50, limitBytes: 64 * 1024 } as const;

/** A container's log, as the API serves it (`readNamespacedPodLog`). */
export type PodLogReader = (request: {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly previous: boolean;
  readonly tailLines: number;
  readonly limitBytes: number;
}) => Promise<string>;

/**
 * The cluster could not be read: what was asked, and the API's answer. `lasting` when waiting
 * cannot heal it (credentials refused twice, access forbidden, a certificate that does not verify,
 * an exec plugin or a kubeconfig that fails); else it may pass (the API server restarting).
 */
export class ClusterReadError extends Error {
  constructor(
    message: string,
    readonly lasting: boolean,
  ) {
    super(message);
  }
}

/** TLS failures: the cluster's certificate does not verify against what the kubeconfig trusts. */
const TLS_CODES =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)/;

/** The HTTP status of a client-node API error; undefined for other errors. */
function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** The system error code under a failed request (fetch wraps it in `cause`, sometimes twice). */
function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e; c !== undefined && c !== null; c = (c as { cause?: unknown }).cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** What client-node puts before an error of the discovery it makes before a request. */
const DISCOVERY_PREFIX = /^Failed to fetch resource metadata for [^:]*: /;

/**
 * True when the API serves no such kind: discovery found no such group and version (404), or no
 * such kind in it. Any other failure of that discovery (a refused credential, a plugin) is not.
 */
function isUnservedKind(e: unknown): boolean {
  const message = e instanceof Error ? e.message : "";
  return (
    message.startsWith("Unrecognized API version and kind") || (DISCOVERY_PREFIX.test(message) && statusOf(e) === 404)
  );
}

/** The `message` of a Kubernetes Status in an API error's body (client-node keeps it as text). */
function statusMessage(body: unknown): string | undefined {
  let status = body;
  if (typeof body === "string") {
    try {
      status = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = typeof status === "object" && status !== null ? (status as { message?: unknown }).message : undefined;
  return typeof message === "string" && message !== "" ? message : undefined;
}

/** What went wrong, in a line: the API's status and message, a system error's code, or the error's first line. */
function reason(e: unknown): string {
  const status = statusOf(e);
  if (status !== undefined) {
    const message = statusMessage((e as { body?: unknown }).body);
    return `HTTP ${status}${message !== undefined ? `: ${message}` : ""}`;
  }
  const code = causeCode(e);
  const first = (e instanceof Error ? e.message : String(e)).split("\n")[0].replace(DISCOVERY_PREFIX, "");
  return code !== undefined && !first.includes(code) ? `${first} (${code})` : first;
}

/** Whether waiting can heal an error (see `ClusterReadError`). */
export function isLasting(e: unknown): boolean {
  if (e instanceof ExecPluginError || e instanceof KubeconfigError) return true;
  const status = statusOf(e);
  if (status !== undefined) return status === 401 || status === 403;
  return TLS_CODES.test(causeCode(e) ?? "");
}

/** What a reader calls the API with: client-node's object API, with a retry after a refused credential. */
export interface ReaderApi {
  readonly api: Pick<KubernetesObjectApi, "read" | "list">;
  /** Drops the credential the API server refused (401), so that the next request gets a fresh one. */
  readonly refresh: () => void;
  /** Lists the kinds the API serves. */
  readonly discovery: () => Promise<ServedKind[]>;
  /** Reads a container's log. @default none: no log is ever there */
  readonly podLog?: PodLogReader;
}

/**
 * An object as the API server wrote it: client-node gives the fields of the kinds it knows as its
 * own types (a timestamp as a Date), which every reader of this program takes as JSON. A Date is
 * written back as the API server writes a timestamp, RFC 3339 to the second (`Date.toJSON` adds
 * `.000`); one with milliseconds (a MicroTime) keeps them.
 */
function asWritten<T>(o: T): T {
  if (o === undefined) return o;
  const text = JSON.stringify(o, function (this: Record<string, unknown>, key, value) {
    const original = this[key];
    return original instanceof Date ? original.toISOString().replace(/\.000Z$/, "Z") : value;
  });
  return JSON.parse(text) as T;
}

/** A reader on an API client (`clusterReader` builds one for the stack's cluster). */
export function readerOf({ api, refresh, discovery, podLog }: ReaderApi): ClusterReader {
  /**
   * Runs a request, once more after a 401 with a fresh credential; an error that says the object or
   * kind is absent gives `none`; other failures become ClusterReadErrors.
   */
  const call = async <T>(what: string, request: () => Promise<T>, none?: { value: T }): Promise<T> => {
    let refreshed = false;
    for (;;) {
      try {
        return await request();
      } catch (e) {
        if (statusOf(e) === 401 && !refreshed) {
          refreshed = true;
          refresh();
          continue;
        }
        if (none !== undefined && (statusOf(e) === 404 || isUnservedKind(e))) return none.value;
        if (e instanceof ClusterReadError) throw e;
        const again = statusOf(e) === 401 ? " (refused again with a fresh credential)" : "";
        throw new ClusterReadError(`could not ${what}: ${reason(e)}${again}`, isLasting(e));
      }
    }
  };
  let kinds: Promise<ServedKind[]> | undefined;
  return {
    get: (apiVersion, kind, name, namespace) =>
      call<ClusterObject | undefined>(
        `read ${kind} ${namespace ? `${namespace}/` : ""}${name}`,
        async () =>
          asWritten(
            (await api.read({
              apiVersion,
              kind,
              metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
            })) as ClusterObject,
          ),
        { value: undefined },
      ),
    list: (apiVersion, kind, namespace, labelSelector) =>
      call(
        `list ${kind} objects${namespace ? ` in ${namespace}` : ""}`,
        async () => {
          const l = await api.list(
            apiVersion,
            kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            labelSelector,
          );
          // The API server leaves apiVersion and kind off list items: each is given the ones listed.
          return asWritten((l.items ?? []) as ClusterObject[]).map((o) => ({ ...o, apiVersion, kind }));
        },
        { value: [] },
      ),
    namespacedKinds: () => {
      kinds ??= call("list the kinds the API serves", discovery);
      return kinds;
    },
    log: (namespace, name, container, previous) =>
      call<string | undefined>(
        `read the log of container ${container} of pod ${namespace}/${name}`,
        async () => podLog?.({ namespace, name, container, previous, ...LOG_READ }),
        { value: undefined },
      ),
  };
}

/**
 * Reads the cluster of `snapshot` (given, or to come: an inline kubeconfig kept secret), building
 * the client on the first read and keeping it for the run.
 */
export function clusterReader(
  snapshot: KubeconfigSnapshot | Promise<KubeconfigSnapshot>,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<ClusterReader> {
  let reader: Promise<ClusterReader> | undefined;
  return () => {
    reader ??= (async () => {
      const { kc, credentials } = await loadKubeconfig(await snapshot, env);
      const k8s = await import("@kubernetes/client-node");
      const apis = kc.makeApiClient(k8s.ApisApi);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      type Resources = { resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] };
      const listable = (apiVersion: string, list: Resources) =>
        list.resources
          .filter((r) => r.namespaced && !r.name.includes("/") && r.verbs.includes("list"))
          .map((r) => ({ apiVersion, kind: r.kind }));
      const discovery = async () => {
        const groups = (await apis.getAPIVersions()).groups;
        const lists = await Promise.all(
          groups.map(async (g) => {
            const gv = g.preferredVersion ?? g.versions[0];
            const [group, version] = gv.groupVersion.split("/");
            return listable(gv.groupVersion, await custom.getAPIResources({ group, version }));
          }),
        );
        return [...listable("v1", await core.getAPIResources()), ...lists.flat()];
      };
      return readerOf({
        api: k8s.KubernetesObjectApi.makeApiClient(kc),
        refresh: () => credentials.invalidate(kc.getCurrentUser()?.name ?? ""),
        discovery,
        podLog: (request) => core.readNamespacedPodLog(request),
      });
    })();
    // A failure to build the client (a bad kubeconfig) is reported each time it is asked for.
    reader.catch(() => {
      reader = undefined;
    });
    return reader.catch((e) => {
      throw e instanceof ClusterReadError ? e : new ClusterReadError(reason(e), isLasting(e));
    });
  };
}
