// Who created an object on a shared cluster, and the rules that follow from it: a stack never
// takes over an object it did not create, and never deletes a shared object (its namespace, the
// operator install, Kueue's cluster-wide queue objects) while something it does not declare
// depends on it. Every object the stack declares records its creator in one annotation; these
// pure functions read objects as the API server returns them and say what to refuse and why.
// components/guards.ts runs them at the engine's create and delete steps.

/** The annotation naming the stack that created an object: `<organization>/<project>/<stack>`. */
export const OWNER_ANNOTATION = "finetune/stack";

/** An object as the API server returns it, read field by field. */
export interface ClusterObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly unknown[];
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: unknown;
}

/** The identity of a stack, as recorded in `OWNER_ANNOTATION`. */
export function stackOwner(organization: string, project: string, stack: string): string {
  return `${organization}/${project}/${stack}`;
}

/** The stack recorded as an object's creator; undefined when none is. */
export function ownerOf(obj: ClusterObject): string | undefined {
  return obj.metadata?.annotations?.[OWNER_ANNOTATION];
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function describeObject(obj: ClusterObject): string {
  const { name, namespace } = obj.metadata ?? {};
  return `${obj.kind ?? "object"} ${namespace ? `${namespace}/` : ""}${name ?? "?"}`;
}

/** The `kubectl annotate` command that records `owner` as the creator of `obj`. */
export function adoptCommand(obj: ClusterObject, owner: string): string {
  const { name, namespace } = obj.metadata ?? {};
  const kind = (obj.kind ?? "").toLowerCase();
  const group = obj.apiVersion?.includes("/") ? `.${obj.apiVersion.split("/")[0]}` : "";
  return `kubectl annotate ${kind}${group} ${name}${namespace ? ` -n ${namespace}` : ""} ${OWNER_ANNOTATION}=${owner}`;
}

/** What a stack is told to change when an object it would create exists already. */
export interface CreateAdvice {
  /** The config key the message names (`finetune:createNamespace`). */
  readonly key: string;
  /** What to do instead, as a sentence. */
  readonly remedy: string;
}

/**
 * Why the stack `owner` must not create `wanted` when the cluster holds `existing` under its name;
 * undefined when it may (nothing there, or this stack's own object, whose creation the state lost).
 */
export function createRefusal(
  existing: ClusterObject | undefined,
  owner: string,
  advice: CreateAdvice,
): string | undefined {
  if (existing === undefined) return undefined;
  const creator = ownerOf(existing);
  if (creator === owner) return undefined;
  const who =
    creator !== undefined
      ? `was created by the stack ${creator}`
      : `was not created by this stack (it has no ${OWNER_ANNOTATION} annotation)`;
  return (
    `${advice.key}: ${describeObject(existing)} already exists and ${who}; this stack does not take over ` +
    `what it did not create, so it was left as it is. ${advice.remedy} If it is this stack's own (created ` +
    `before stacks recorded their objects), record that and run again: ${adoptCommand(existing, owner)}`
  );
}

/** Not a dependent: owned by another object (deleted with it), or already being deleted. */
function isIndependent(obj: ClusterObject): boolean {
  return (obj.metadata?.ownerReferences ?? []).length === 0 && obj.metadata?.deletionTimestamp == null;
}

/** Objects Kubernetes itself keeps in every namespace, or derives from others. */
function isNamespaceFixture(obj: ClusterObject): boolean {
  const name = obj.metadata?.name;
  return (
    (obj.kind === "ServiceAccount" && name === "default") ||
    (obj.kind === "ConfigMap" && name === "kube-root-ca.crt") ||
    obj.kind === "Event" ||
    obj.kind === "Endpoints" ||
    // Pods' and nodes' usage, served by metrics-server from the kubelets: derived, never stored.
    (obj.apiVersion?.startsWith("metrics.k8s.io/") ?? false)
  );
}

/**
 * What keeps a namespace from being deleted: every object in it that is not owned by another, not
 * being deleted and not one Kubernetes keeps there itself. At the namespace's delete step the
 * stack has deleted all it declares in it, so whatever remains is someone else's, or this stack's
 * own that it no longer declares (a retained output volume of a removed job): deleting the
 * namespace would delete it all.
 */
export function namespaceContents(objects: readonly ClusterObject[]): ClusterObject[] {
  // A kind served by two API groups (Event: v1 and events.k8s.io/v1) is listed twice: counted once.
  const seen = new Set<string>();
  return objects.filter((o) => {
    const uid = o.metadata?.uid;
    if (uid !== undefined && seen.has(uid)) return false;
    if (uid !== undefined) seen.add(uid);
    return isIndependent(o) && !isNamespaceFixture(o);
  });
}

/**
 * The custom resources of an install's kinds that keep it from being deleted: any namespaced one
 * (a run or runtime of any stack, this one's leftovers included) and any cluster-wide one (a
 * ClusterTrainingRuntime, say) that this stack did not create as part of the install.
 */
export function installUsers(resources: readonly ClusterObject[], owner: string): ClusterObject[] {
  return resources.filter((r) => isIndependent(r) && (r.metadata?.namespace !== undefined || ownerOf(r) !== owner));
}

/** The LocalQueues that submit to the ClusterQueue `name`. */
export function clusterQueueUsers(localQueues: readonly ClusterObject[], name: string): ClusterObject[] {
  return localQueues.filter(
    (q) => isIndependent(q) && (q.spec as { clusterQueue?: string } | undefined)?.clusterQueue === name,
  );
}

/** The ClusterQueues that quote the ResourceFlavor `name`. */
export function flavorUsers(clusterQueues: readonly ClusterObject[], name: string): ClusterObject[] {
  type Groups = { resourceGroups?: { flavors?: { name?: string }[] }[] };
  return clusterQueues.filter(
    (cq) =>
      isIndependent(cq) &&
      ((cq.spec as Groups | undefined)?.resourceGroups ?? []).some((g) =>
        (g.flavors ?? []).some((f) => f.name === name),
      ),
  );
}

/** At most this many objects are named in a message; the rest are counted. */
const NAMED = 10;

/** `A, B and 3 more`, naming each object with its creator when one is recorded. */
export function listObjects(objects: readonly ClusterObject[]): string {
  const named = objects.slice(0, NAMED).map((o) => {
    const creator = ownerOf(o);
    return `${describeObject(o)}${creator !== undefined ? ` (stack ${creator})` : ""}`;
  });
  const rest = objects.length - named.length;
  return rest > 0 ? `${named.join(", ")} and ${rest} more` : named.join(", ");
}
