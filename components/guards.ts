// The stack's guards on a shared cluster, as named resource hooks the engine runs at each step:
// before an object is created (in previews too) the cluster is read, and an object of that name
// that this stack did not create is refused, never taken over (the provider's server-side apply
// would adopt it, and a later destroy would delete it); before a shared object is deleted (a
// namespace, the operator install, a ClusterQueue or ResourceFlavor) whatever still depends on it
// is listed and the delete refused. Every object records its creator (builders/ownership.ts).
// Delete hooks make `pulumi destroy` need `--run-program`: the engine refuses a destroy that could
// not run them, so they are never skipped.
import * as pulumi from "@pulumi/pulumi";
import {
  type ClusterObject,
  type CreateAdvice,
  clusterQueueUsers,
  createRefusal,
  describeObject,
  flavorUsers,
  installUsers,
  listObjects,
  namespaceContents,
  OWNER_ANNOTATION,
} from "./builders/ownership";
import type { ClusterReader } from "./cluster/reader";
import { keyPath } from "./config";
import { isKubernetesObject } from "./transforms";

/** What the guards need to know of the stack. */
export interface GuardContext {
  /** The stack's identity, recorded on every object it creates. */
  readonly owner: string;
  /** Reads the cluster of the stack's provider. */
  readonly reader: () => Promise<ClusterReader>;
  /** The jobs' namespace. */
  readonly namespace: string;
  /** Whether the stack creates that namespace (`finetune:createNamespace`). */
  readonly createNamespace: boolean;
  /** The URN of the operator install component, named in the message that says how to keep it. */
  readonly installUrn: string;
}

/**
 * The hooks' names. The engine records them in the state of every resource bound to them and
 * fails a later step whose hook the program does not register: never rename or drop one.
 */
export const HOOKS = {
  create: "finetune-create-guard",
  createInstall: "finetune-create-guard-install",
  deleteNamespace: "finetune-delete-guard-namespace",
  deleteInstall: "finetune-delete-guard-install",
  deleteClusterQueue: "finetune-delete-guard-clusterqueue",
  deleteFlavor: "finetune-delete-guard-resourceflavor",
} as const;

type Inputs = Record<string, unknown> | undefined;

/** An object's identity in hook inputs or outputs; undefined while a part of it is unknown (a preview). */
export function identity(inputs: Inputs): ClusterObject | undefined {
  const { apiVersion, kind, spec } = inputs ?? {};
  const metadata = (inputs?.metadata ?? {}) as Record<string, unknown>;
  const known = (v: unknown): v is string => typeof v === "string" && v !== "";
  if (!known(apiVersion) || !known(kind) || !known(metadata.name)) return undefined;
  if (metadata.namespace !== undefined && !known(metadata.namespace)) return undefined;
  return {
    apiVersion,
    kind,
    metadata: {
      name: metadata.name,
      ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
      ...(known(metadata.uid) ? { uid: metadata.uid } : {}),
    },
    ...(spec !== undefined ? { spec } : {}),
  };
}

/** What to change when an object the stack would create exists already. */
export function createAdvice(
  obj: ClusterObject,
  job: string | undefined,
  ctx: Pick<GuardContext, "namespace">,
  install: boolean,
): CreateAdvice {
  const name = obj.metadata?.name ?? "";
  const kept = "this stack then never deletes it.";
  if (install) {
    const key = keyPath(["trainingOperator", "install"]);
    return {
      key,
      remedy: `The training operator is installed on this cluster already: set ${key} to false to use it as it is; ${kept}`,
    };
  }
  switch (obj.kind) {
    case "Namespace":
      return {
        key: keyPath(["namespace"]),
        remedy: `To run the jobs in it without managing it, set ${keyPath(["createNamespace"])} to false; ${kept}`,
      };
    case "ResourceFlavor":
      return {
        key: keyPath(["queues", "resourceFlavors", name]),
        remedy: `Leave it out of ${keyPath(["queues", "resourceFlavors"])} and quote it as it is; ${kept}`,
      };
    case "ClusterQueue":
      return {
        key: keyPath(["queues", "clusterQueues", name]),
        remedy: `Leave it out of ${keyPath(["queues", "clusterQueues"])} and point a LocalQueue at it as it is (${keyPath(["queues", "localQueues"])}: { <queue>: ${name} }); ${kept}`,
      };
    case "LocalQueue":
      return {
        key: keyPath(["queues", "localQueues", name]),
        remedy: `Leave it out of ${keyPath(["queues", "localQueues"])} and submit jobs to it as it is (queue: ${name}).`,
      };
  }
  const namespace = obj.metadata?.namespace ?? ctx.namespace;
  if (job !== undefined) {
    return {
      key: keyPath(["jobs", job]),
      remedy: `Another stack or person has an object of that name in namespace ${namespace}: rename the job, or give this stack a namespace of its own (${keyPath(["namespace"])}); to mount an existing claim, name it in the volume's existingClaim.`,
    };
  }
  return {
    key: keyPath(["namespace"]),
    remedy: `Another stack or person uses namespace ${namespace}: give this stack a namespace of its own.`,
  };
}

/** What became of a shared object whose users could not be read. */
const KEPT = "it was kept and nothing more was deleted";

/** A guard's refusal: the message is the user's whole answer. */
class GuardRefusal extends Error {}

/**
 * A hook's error: a refusal as it is; anything else (an API error, a kubeconfig that cannot be
 * used) says what was being checked and that nothing was changed.
 */
function failure(key: string, what: string, e: unknown, outcome: string): Error {
  if (e instanceof GuardRefusal) return e;
  const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return new Error(`${key}: the program could not read the cluster to check ${what} (${why}), so ${outcome}`);
}

/** How a Kueue object is used by others of its group: what to list, and what to say. */
interface QueueUse {
  readonly key: (name: string) => string;
  /** The kind of the objects that use it, in its apiVersion. */
  readonly users: string;
  readonly using: (objects: readonly ClusterObject[], name: string) => ClusterObject[];
  readonly checked: (name: string) => string;
  readonly refusal: (name: string, list: string) => string;
}

/** The guard of a Kueue object: refuses its delete while objects of its group use it. */
async function refuseWhileUsed(outputs: Inputs, use: QueueUse & { readonly reader: () => Promise<ClusterReader> }) {
  const obj = identity(outputs);
  if (obj === undefined) return;
  const name = obj.metadata?.name as string;
  let users: ClusterObject[];
  try {
    const reader = await use.reader();
    users = use.using(await reader.list(obj.apiVersion as string, use.users), name);
  } catch (e) {
    throw failure(use.key(name), use.checked(name), e, KEPT);
  }
  if (users.length > 0) throw new Error(`${use.key(name)}: ${use.refusal(name, listObjects(users))}`);
}

/** The hook callbacks, on a context: each resolves, or rejects with the message the user reads. */
export function guardChecks(ctx: GuardContext) {
  let namespaceExists: Promise<void> | undefined;
  let installFree: Promise<void> | undefined;
  const keep = (what: string, urn: string) =>
    `Delete them (or wait for their stacks to remove them) and run pulumi destroy --run-program again; or leave ${what} on the cluster and let this stack forget it: pulumi state delete --target-dependents '${urn}'.`;

  return {
    /** Before a create: refuses an object of that name that this stack did not create. */
    async create(inputs: Inputs, install: boolean): Promise<void> {
      const obj = identity(inputs);
      // Unknown in a preview (its namespace is made in the same run): checked again by the update.
      if (obj === undefined) return;
      const labels = ((inputs?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<
        string,
        string
      >;
      const advice = createAdvice(obj, labels["app.kubernetes.io/instance"], ctx, install);
      const { name, namespace } = obj.metadata ?? {};
      try {
        const reader = await ctx.reader();
        if (!ctx.createNamespace && namespace === ctx.namespace) {
          namespaceExists ??= reader.get("v1", "Namespace", ctx.namespace).then((ns) => {
            if (ns === undefined) {
              throw new GuardRefusal(
                `${keyPath(["createNamespace"])}: is false, but namespace ${ctx.namespace} does not exist, so nothing was created in it: create it (kubectl create namespace ${ctx.namespace}), or set ${keyPath(["createNamespace"])} to true for this stack to create and own it`,
              );
            }
          });
          await namespaceExists;
        }
        const existing = await reader.get(obj.apiVersion as string, obj.kind as string, name as string, namespace);
        const refusal = createRefusal(existing, ctx.owner, advice);
        if (refusal !== undefined) throw new GuardRefusal(refusal);
      } catch (e) {
        throw failure(advice.key, `that ${describeObject(obj)} does not exist yet`, e, "it was not created");
      }
    },

    /** Before a namespace's delete: refuses while it holds objects the stack does not declare. */
    async deleteNamespace(outputs: Inputs, urn: string): Promise<void> {
      const obj = identity(outputs);
      if (obj === undefined) return;
      const name = obj.metadata?.name as string;
      const key = name === ctx.namespace ? keyPath(["namespace"]) : keyPath(["trainingOperator", "install"]);
      let held: ClusterObject[];
      try {
        const reader = await ctx.reader();
        const live = await reader.get("v1", "Namespace", name);
        if (live === undefined) return;
        if (obj.metadata?.uid !== undefined && live.metadata?.uid !== obj.metadata.uid) {
          throw new GuardRefusal(
            `${key}: namespace ${name} on the cluster the program reads is not the one this stack created (another UID): the program and the provider read different clusters (check finetune:cluster.context), so nothing more was deleted`,
          );
        }
        const kinds = await reader.namespacedKinds();
        const lists = await Promise.all(kinds.map((k) => reader.list(k.apiVersion, k.kind, name)));
        held = namespaceContents(lists.flat());
      } catch (e) {
        throw failure(key, `what namespace ${name} still holds before deleting it`, e, KEPT);
      }
      if (held.length === 0) return;
      throw new Error(
        `${key}: namespace ${name} still holds ${held.length} object${held.length === 1 ? "" : "s"} this stack does not declare: ${listObjects(held)}. Deleting the namespace would delete them with it, so it is kept and nothing more was deleted. ${keep("the namespace", urn)}`,
      );
    },

    /** Before any object of the install is deleted: refuses while others' objects of its kinds exist. */
    deleteInstall(): Promise<void> {
      const key = keyPath(["trainingOperator", "install"]);
      installFree ??= (async () => {
        let users: ClusterObject[];
        try {
          const reader = await ctx.reader();
          const crds = (await reader.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")).filter(
            (crd) => crd.metadata?.annotations?.[OWNER_ANNOTATION] === ctx.owner,
          );
          const lists = await Promise.all(
            crds.map((crd) => {
              type Crd = { group: string; names: { kind: string }; versions: { name: string; storage?: boolean }[] };
              const spec = crd.spec as Crd;
              const version = spec.versions.find((v) => v.storage) ?? spec.versions[0];
              return reader.list(`${spec.group}/${version.name}`, spec.names.kind);
            }),
          );
          users = installUsers(lists.flat(), ctx.owner);
        } catch (e) {
          throw failure(key, "what still uses the training operator before deleting it", e, KEPT);
        }
        if (users.length === 0) return;
        throw new Error(
          `${key}: the training operator this stack installed is in use by ${users.length} object${users.length === 1 ? "" : "s"} it does not declare: ${listObjects(users)}. Deleting the install would delete its CustomResourceDefinitions and every such object with them, so it is kept and nothing more was deleted. ${keep("the install", ctx.installUrn)}`,
        );
      })();
      return installFree;
    },

    /** Before a ClusterQueue's delete: refuses while LocalQueues submit to it. */
    deleteClusterQueue: (outputs: Inputs) =>
      refuseWhileUsed(outputs, {
        reader: ctx.reader,
        key: (name) => keyPath(["queues", "clusterQueues", name]),
        users: "LocalQueue",
        using: clusterQueueUsers,
        checked: (name) => `which LocalQueues submit to ClusterQueue ${name}`,
        refusal: (name, list) =>
          `ClusterQueue ${name} is in use by ${list}. Deleting it would leave their jobs with no queue, so it is kept and nothing more was deleted. Delete those LocalQueues (or wait for their stacks to remove them) and run pulumi destroy --run-program again.`,
      }),

    /** Before a ResourceFlavor's delete: refuses while ClusterQueues quote it. */
    deleteFlavor: (outputs: Inputs) =>
      refuseWhileUsed(outputs, {
        reader: ctx.reader,
        key: (name) => keyPath(["queues", "resourceFlavors", name]),
        users: "ClusterQueue",
        using: flavorUsers,
        checked: (name) => `which ClusterQueues quote ResourceFlavor ${name}`,
        refusal: (name, list) =>
          `ResourceFlavor ${name} is quoted by ${list}. Deleting it would leave their quotas without nodes, so it is kept and nothing more was deleted. Remove it from those ClusterQueues (or wait for their stacks to) and run pulumi destroy --run-program again.`,
      }),
  };
}

/** The guard hooks by role, as bound to resources. */
type GuardHooks = Record<keyof typeof HOOKS, pulumi.ResourceHook>;

/** `annotations` with the stack recorded as the creator; an Output stays one. */
function withOwner(annotations: unknown, owner: string): unknown {
  if (pulumi.Output.isInstance(annotations)) {
    return annotations.apply((a) => ({ ...((a ?? {}) as object), [OWNER_ANNOTATION]: owner }));
  }
  return { ...((annotations ?? {}) as object), [OWNER_ANNOTATION]: owner };
}

/**
 * A transform that records the stack on every Kubernetes object below a component and binds its
 * guards: the create guard (the install's own, for `install`), and the delete guard of each shared
 * kind. A namespace that is retained is never deleted, so it gets none.
 */
export function guardTransform(hooks: GuardHooks, owner: string, install: boolean): pulumi.ResourceTransform {
  return (args) => {
    if (!isKubernetesObject(args.type)) return undefined;
    const kind = args.type.split(":")[2];
    const metadata = (args.props.metadata ?? {}) as Record<string, unknown>;
    const bound = args.opts.hooks ?? {};
    const beforeDelete = [...(bound.beforeDelete ?? [])];
    if (kind === "Namespace" && !args.opts.retainOnDelete) beforeDelete.push(hooks.deleteNamespace);
    if (install) beforeDelete.push(hooks.deleteInstall);
    else if (kind === "ClusterQueue") beforeDelete.push(hooks.deleteClusterQueue);
    else if (kind === "ResourceFlavor") beforeDelete.push(hooks.deleteFlavor);
    return {
      props: { ...args.props, metadata: { ...metadata, annotations: withOwner(metadata.annotations, owner) } },
      opts: {
        ...args.opts,
        hooks: {
          ...bound,
          beforeCreate: [...(bound.beforeCreate ?? []), install ? hooks.createInstall : hooks.create],
          ...(beforeDelete.length > 0 ? { beforeDelete } : {}),
        },
      },
    };
  };
}

/** The transforms that bind the guards: one for the operator install's objects, one for the rest. */
export interface Guards {
  readonly stack: pulumi.ResourceTransform;
  readonly install: pulumi.ResourceTransform;
}

/**
 * Registers every guard hook (all of them, whatever the stack declares now: the state may name any
 * of them, and the engine runs a hook of a resource the program no longer declares when it
 * deletes it) and returns the transforms that bind them. Create guards run in previews too; delete
 * guards only when something is deleted (a preview deletes nothing, so what it would find is not
 * yet what the delete step finds).
 */
export function declareGuards(ctx: GuardContext): Guards {
  const checks = guardChecks(ctx);
  const hook = (name: string, callback: pulumi.ResourceHookFunction, onDryRun: boolean) =>
    new pulumi.ResourceHook(name, callback, { onDryRun });
  const hooks: GuardHooks = {
    create: hook(HOOKS.create, (a) => checks.create(a.newInputs, false), true),
    createInstall: hook(HOOKS.createInstall, (a) => checks.create(a.newInputs, true), true),
    deleteNamespace: hook(HOOKS.deleteNamespace, (a) => checks.deleteNamespace(a.oldOutputs, a.urn), false),
    deleteInstall: hook(HOOKS.deleteInstall, () => checks.deleteInstall(), false),
    deleteClusterQueue: hook(HOOKS.deleteClusterQueue, (a) => checks.deleteClusterQueue(a.oldOutputs), false),
    deleteFlavor: hook(HOOKS.deleteFlavor, (a) => checks.deleteFlavor(a.oldOutputs), false),
  };
  return { stack: guardTransform(hooks, ctx.owner, false), install: guardTransform(hooks, ctx.owner, true) };
}
