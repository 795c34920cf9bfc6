// The training operator install: once per cluster, from the upstream kustomize overlays, a local
// kustomize folder, or a local rendered bundle (air-gapped clusters). Each backend patches its own
// operator's objects (the v1 operator's Worker init container is made admissible under the
// restricted Pod Security level); Trainer v2's runtimes follow its manager. Jobs depend on it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { InstallOptions } from "./builders/backend";
import { patchInstall } from "./builders/backends";
import { kindOfType, operatorManagedFields, withoutOperatorManagedValues } from "./builders/operator";
import type { KubernetesObject } from "./bundle";
import type { OperatorSource } from "./config";

/** Arguments of a `TrainingOperator`. */
export interface TrainingOperatorArgs {
  /** The release, e.g. v1.9.4 (informational for local sources). */
  readonly version: string;
  /** Where the manifests come from (v2: the manager with JobSet). */
  readonly source: OperatorSource;
  /**
   * Where Trainer v2's runtimes come from; installed after the manager.
   * @default none (the v1 operator)
   */
  readonly runtimesSource?: OperatorSource;
  /** What the stack asks of the install beyond its manifests (Trainer v2's TrainJobStatus gate). */
  readonly options: InstallOptions;
}

/**
 * A resource transform for operator objects rendered by the provider (kustomize and remote
 * sources): drops the values the operator manages and tells Pulumi to ignore them, and patches
 * each object as its backend installs it (the v1 operator's restricted Worker init container,
 * Trainer v2's TrainJobStatus gate when asked).
 */
export function operatorTransform(
  options: InstallOptions,
): (args: pulumi.ResourceTransformArgs) => pulumi.ResourceTransformResult | undefined {
  return (args) => {
    const kind = kindOfType(args.type);
    if (kind === undefined) return undefined;
    const name = (args.props.metadata as { name?: string } | undefined)?.name;
    const fields = operatorManagedFields(kind, name);
    const props = patchInstall(withoutOperatorManagedValues(kind, args.props), kind, options);
    if (fields.length === 0 && props === args.props) return undefined;
    return {
      props,
      opts: fields.length > 0 ? pulumi.mergeOptions(args.opts, { ignoreChanges: fields }) : args.opts,
    };
  };
}

/** Objects that the rest of a bundle needs to exist first: its Namespaces and CRDs. */
function isPrerequisite(o: { kind: string }): boolean {
  return o.kind === "Namespace" || o.kind === "CustomResourceDefinition";
}

/** Every resource of a ConfigGroup, once it has declared them. */
function resourcesOf(group: k8s.yaml.ConfigGroup): pulumi.Output<pulumi.Resource[]> {
  return group.resources.apply((byName) => Object.values(byName));
}

/**
 * A ConfigGroup of bundle objects, each depending on `after` (the ConfigGroup's own `dependsOn`
 * reaches none of its objects).
 */
function bundleGroup(
  name: string,
  objects: readonly KubernetesObject[],
  after: pulumi.Output<pulumi.Resource[]>,
  options: InstallOptions,
  opts: pulumi.ComponentResourceOptions,
): k8s.yaml.ConfigGroup {
  return new k8s.yaml.ConfigGroup(
    name,
    {
      objs: objects.map((o) => patchInstall(withoutOperatorManagedValues(o.kind, o), undefined, options)),
      transformations: [
        (obj: { kind?: string; metadata?: { name?: string } }, objOpts: pulumi.CustomResourceOptions) => {
          const fields = operatorManagedFields(obj.kind ?? "", obj.metadata?.name);
          if (fields.length > 0) objOpts.ignoreChanges = [...(objOpts.ignoreChanges ?? []), ...fields];
          objOpts.dependsOn = after;
        },
      ],
    },
    opts,
  );
}

/**
 * Declares one set of manifests under `parent`, each object after `after`, and returns all its
 * resources. A local bundle is declared object by object (each its own resource, so that
 * `pulumi preview` diffs each one): first its Namespaces and CRDs, then the rest after them (the
 * engine runs 4 operations per core at once, so objects retrying "namespace not found" would hold
 * every slot while their Namespace waits for one). A URL or folder goes through the provider's
 * kustomize, which orders namespaces and CRDs itself; the transform reaches each object it renders.
 */
function declareManifests(
  name: string,
  source: OperatorSource,
  after: pulumi.Output<pulumi.Resource[]>,
  options: InstallOptions,
  parent: pulumi.Resource,
): pulumi.Output<pulumi.Resource[]> {
  switch (source.kind) {
    case "file": {
      const first = source.objects.filter(isPrerequisite);
      const rest = source.objects.filter((o) => !isPrerequisite(o));
      const prerequisites =
        first.length > 0 ? resourcesOf(bundleGroup(`${name}-prerequisites`, first, after, options, { parent })) : after;
      const group = bundleGroup(name, rest, prerequisites, options, { parent });
      return pulumi.all([prerequisites, resourcesOf(group)]).apply(([a, b]) => [...a, ...b]);
    }
    case "remote":
    case "directory": {
      // A remote component: its registration waits for `after`, and depending on it waits for
      // every object it renders.
      const directory = new k8s.kustomize.v2.Directory(
        name,
        { directory: source.location },
        { parent, dependsOn: after, transforms: [operatorTransform(options)] },
      );
      return pulumi.output([directory]);
    }
  }
}

/**
 * The training operator: the v1 operator (PyTorchJob `kubeflow.org/v1`), or Kubeflow Trainer v2
 * (its manager with JobSet, then its built-in runtimes, which need the manager's CRDs and webhook).
 */
export class TrainingOperator extends pulumi.ComponentResource {
  /** The release installed. */
  public readonly version: string;
  /** Where it was installed from. */
  public readonly source: string;

  constructor(name: string, args: TrainingOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:TrainingOperator", name, {}, opts);
    this.version = args.version;
    this.source = args.source.location;
    const manager = declareManifests(name, args.source, pulumi.output([]), args.options, this);
    if (args.runtimesSource !== undefined) {
      // The runtimes need the manager's CRDs, and its webhook (the Deployment ready) validates them.
      declareManifests(`${name}-runtimes`, args.runtimesSource, manager, args.options, this);
    }
    this.registerOutputs({ version: this.version, source: this.source });
  }
}
