// The training operator install: once per cluster, from the upstream kustomize overlays, a local
// kustomize folder, or a local rendered bundle (air-gapped clusters). The v1 operator's Worker
// init container is made admissible under the restricted Pod Security level; Trainer v2's
// runtimes follow its manager. Jobs depend on it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kindOfType, operatorManagedFields, withoutOperatorManagedValues } from "./builders/operator";
import { withRestrictedInitContainer } from "./builders/v1/operatorInitContainer";
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
}

/**
 * A resource transform for operator objects rendered by the provider (kustomize and remote
 * sources): drops the values the operator manages and tells Pulumi to ignore them, and gives the
 * operator Deployment the restricted Worker init container.
 */
export function operatorTransform(args: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined {
  const kind = kindOfType(args.type);
  if (kind === undefined) return undefined;
  const name = (args.props.metadata as { name?: string } | undefined)?.name;
  const fields = operatorManagedFields(kind, name);
  const props = withRestrictedInitContainer(withoutOperatorManagedValues(kind, args.props), kind);
  if (fields.length === 0 && props === args.props) return undefined;
  return {
    props,
    opts: fields.length > 0 ? pulumi.mergeOptions(args.opts, { ignoreChanges: fields }) : args.opts,
  };
}

/**
 * Declares one set of manifests under `parent`: a local bundle object by object (each its own
 * resource, so that `pulumi preview` diffs each one), a URL or folder through the provider's
 * kustomize (the transform reaches each object it renders).
 */
function declareManifests(
  name: string,
  source: OperatorSource,
  opts: pulumi.ComponentResourceOptions,
): pulumi.Resource {
  switch (source.kind) {
    case "file":
      return new k8s.yaml.ConfigGroup(
        name,
        {
          objs: source.objects.map((o) => withRestrictedInitContainer(withoutOperatorManagedValues(o.kind, o))),
          transformations: [
            (obj: { kind?: string; metadata?: { name?: string } }, objOpts: pulumi.CustomResourceOptions) => {
              const fields = operatorManagedFields(obj.kind ?? "", obj.metadata?.name);
              if (fields.length > 0) objOpts.ignoreChanges = [...(objOpts.ignoreChanges ?? []), ...fields];
            },
          ],
        },
        opts,
      );
    case "remote":
    case "directory":
      return new k8s.kustomize.v2.Directory(
        name,
        { directory: source.location },
        { ...opts, transforms: [operatorTransform] },
      );
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
    const manager = declareManifests(name, args.source, { parent: this });
    if (args.runtimesSource !== undefined) {
      declareManifests(`${name}-runtimes`, args.runtimesSource, { parent: this, dependsOn: [manager] });
    }
    this.registerOutputs({ version: this.version, source: this.source });
  }
}
