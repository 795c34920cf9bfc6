// Reads objects from the cluster the stack deploys to, through @kubernetes/client-node, for the
// decisions the provider cannot make: whether an object exists before the stack creates it, and
// what still depends on a shared object before the stack deletes it (components/guards.ts). Only
// reads: get, list and API discovery.
import type { KubernetesObjectApi } from "@kubernetes/client-node";
import type { ClusterObject } from "../builders/ownership";
import { type KubeconfigSnapshot, loadKubeconfig } from "./kubeconfig";

/** A kind the API serves. */
export interface ServedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Reads the cluster. Every method rejects with a `ClusterReadError` when the API cannot be read. */
export interface ClusterReader {
  /** The object; undefined when it does not exist, or its kind is not served. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<ClusterObject | undefined>;
  /** Every object of a kind, in one namespace or in all; none when the kind is not served. */
  list(apiVersion: string, kind: string, namespace?: string): Promise<ClusterObject[]>;
  /** Every namespaced kind the API serves that can be listed, at its group's preferred version. */
  namespacedKinds(): Promise<ServedKind[]>;
}

/** The cluster could not be read: what was asked, and the API's answer (never credentials). */
export class ClusterReadError extends Error {}

/** The HTTP status of a client-node API error; undefined for other errors. */
function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** True when client-node found no such kind in the API's discovery. */
function isUnservedKind(e: unknown): boolean {
  const message = e instanceof Error ? e.message : "";
  return message.startsWith("Unrecognized API version and kind") || /^Failed to fetch resource metadata/.test(message);
}

/** What went wrong, in a line: the API's status and message, or the error's first line. */
function reason(e: unknown): string {
  const status = statusOf(e);
  const body = (e as { body?: unknown }).body;
  const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
  if (status !== undefined) return `HTTP ${status}${typeof message === "string" ? `: ${message}` : ""}`;
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** A reader on an API client, for tests and for `clusterReader`. */
export function readerOf(api: Pick<KubernetesObjectApi, "read" | "list">, discovery: Discovery): ClusterReader {
  const fail = (what: string) => (e: unknown) => {
    throw new ClusterReadError(`could not ${what}: ${reason(e)}`);
  };
  let kinds: Promise<ServedKind[]> | undefined;
  return {
    get: (apiVersion, kind, name, namespace) =>
      api.read({ apiVersion, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } }).then(
        (o) => o as ClusterObject,
        (e) => {
          if (statusOf(e) === 404 || isUnservedKind(e)) return undefined;
          return fail(`read ${kind} ${namespace ? `${namespace}/` : ""}${name}`)(e);
        },
      ),
    list: (apiVersion, kind, namespace) =>
      api.list(apiVersion, kind, namespace).then(
        // The API server leaves apiVersion and kind off list items: each is given the ones listed.
        (l) => ((l.items ?? []) as ClusterObject[]).map((o) => ({ ...o, apiVersion, kind })),
        (e) => {
          if (statusOf(e) === 404 || isUnservedKind(e)) return [];
          return fail(`list ${kind} objects${namespace ? ` in ${namespace}` : ""}`)(e);
        },
      ),
    namespacedKinds: () => {
      kinds ??= discovery().catch(fail("list the kinds the API serves"));
      return kinds;
    },
  };
}

/** Lists the kinds the API serves. */
export type Discovery = () => Promise<ServedKind[]>;

/** Reads the cluster of `snapshot`, building the client on the first read and then keeping it. */
export function clusterReader(snapshot: KubeconfigSnapshot): () => Promise<ClusterReader> {
  let reader: Promise<ClusterReader> | undefined;
  return () => {
    reader ??= (async () => {
      const kc = await loadKubeconfig(snapshot);
      const k8s = await import("@kubernetes/client-node");
      const apis = kc.makeApiClient(k8s.ApisApi);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const discovery: Discovery = async () => {
        const listable = (
          apiVersion: string,
          list: { resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] },
        ) =>
          list.resources
            .filter((r) => r.namespaced && !r.name.includes("/") && r.verbs.includes("list"))
            .map((r) => ({ apiVersion, kind: r.kind }));
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
      return readerOf(k8s.KubernetesObjectApi.makeApiClient(kc), discovery);
    })();
    // A failure to build the client (a bad kubeconfig) is reported each time it is asked for.
    reader.catch(() => {
      reader = undefined;
    });
    return reader;
  };
}
