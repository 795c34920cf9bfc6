// The Kubeflow Training Operator install: once per cluster, from the upstream kustomize overlay,
// a local kustomize folder, or a local rendered bundle (air-gapped clusters), its Worker init
// container made admissible under the restricted Pod Security level. Jobs depend on it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kindOfType, operatorManagedFields, withoutOperatorManagedValues } from "./builders/operator";
import { withRestrictedInitContainer } from "./builders/v1/operatorInitContainer";
import type { OperatorSource } from "./config";

/** Arguments of a `TrainingOperator`. */
export interface TrainingOperatorArgs {
  /** The release, e.g. v1.9.4 (informational for local sources). */
  readonly version: string;
  /** Where the manifests come from. */
  readonly source: OperatorSource;
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

/** The Kubeflow Training Operator (v1: PyTorchJob `kubeflow.org/v1`). */
export class TrainingOperator extends pulumi.ComponentResource {
  /** The release installed. */
  public readonly version: string;
  /** Where it was installed from. */
  public readonly source: string;

  constructor(name: string, args: TrainingOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:TrainingOperator", name, {}, opts);
    this.version = args.version;
    this.source = args.source.location;
    switch (args.source.kind) {
      case "file": {
        // Declared object by object so that `pulumi preview` diffs each one (read by the config).
        new k8s.yaml.ConfigGroup(
          name,
          {
            objs: args.source.objects.map((o) => withRestrictedInitContainer(withoutOperatorManagedValues(o.kind, o))),
            transformations: [
              (obj: { kind?: string; metadata?: { name?: string } }, objOpts: pulumi.CustomResourceOptions) => {
                const fields = operatorManagedFields(obj.kind ?? "", obj.metadata?.name);
                if (fields.length > 0) objOpts.ignoreChanges = [...(objOpts.ignoreChanges ?? []), ...fields];
              },
            ],
          },
          { parent: this },
        );
        break;
      }
      case "remote":
      case "directory":
        // Rendered by the provider at deploy time (kustomize); the transform reaches each object.
        new k8s.kustomize.v2.Directory(
          name,
          { directory: args.source.location },
          { parent: this, transforms: [operatorTransform] },
        );
        break;
    }
    this.registerOutputs({ version: this.version, source: this.source });
  }
}
