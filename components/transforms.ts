// Resource transforms the program applies through component options, so that they reach every
// object below a component, including those the Kubernetes provider renders itself (kustomize).
import type * as pulumi from "@pulumi/pulumi";

/** True for a resource type of the Kubernetes provider that is a Kubernetes object. */
export function isKubernetesObject(type: string): boolean {
  return (
    /^kubernetes:[^:]+:[A-Za-z]+$/.test(type) &&
    !type.startsWith("kubernetes:kustomize/") &&
    !type.startsWith("kubernetes:yaml")
  );
}

/**
 * For an API server with no controllers and no kubelet (`cluster.skipAwait`, the end-to-end
 * suite): nothing would ever become ready, and a foreground deletion would wait for a garbage
 * collector that never runs. So each object is not awaited (`pulumi.com/skipAwait`) and is deleted
 * in the background (`pulumi.com/deletionPropagationPolicy`). `pulumi.com/replaceUnready` is
 * dropped: no Job ever completes there, so every preview would plan to replace them all.
 */
export function skipAwaitTransform(args: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined {
  if (!isKubernetesObject(args.type)) return undefined;
  const metadata = (args.props.metadata ?? {}) as { annotations?: Record<string, string> };
  const { "pulumi.com/replaceUnready": _replaceUnready, ...annotations } = metadata.annotations ?? {};
  return {
    props: {
      ...args.props,
      metadata: {
        ...metadata,
        annotations: {
          ...annotations,
          "pulumi.com/skipAwait": "true",
          "pulumi.com/deletionPropagationPolicy": "background",
        },
      },
    },
    opts: args.opts,
  };
}
