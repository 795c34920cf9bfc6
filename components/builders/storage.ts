// Pure builders of the namespace-level objects: the jobs' Namespace, the credential Secrets
// and each job's PersistentVolumeClaims. No Pulumi runtime is needed to call them.
import type * as pulumi from "@pulumi/pulumi";
import { claimName, HF_TOKEN_SECRET, S3_SECRET, standardLabels, type VolumeRole } from "../names";
import type { NewVolume } from "../schema/volumes";
import type { NamespacedMetadata } from "./k8sTypes";

/** A Namespace manifest. */
export interface NamespaceManifest {
  readonly apiVersion: "v1";
  readonly kind: "Namespace";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
}

/**
 * The Namespace the jobs run in, with the Pod Security admission labels of the level its pods
 * meet (`podSecurityLabels`).
 */
export function buildNamespace(name: string, podSecurity: Record<string, string> = {}): NamespaceManifest {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { ...standardLabels("namespace"), ...podSecurity } },
  };
}

/** A Secret manifest whose values may be secret Outputs. */
export interface SecretManifest {
  readonly apiVersion: "v1";
  readonly kind: "Secret";
  readonly metadata: NamespacedMetadata;
  readonly type: "Opaque" | "kubernetes.io/dockerconfigjson";
  readonly stringData: Record<string, pulumi.Input<string>>;
}

/**
 * The Secret holding the Hugging Face token. The token stays a secret Output: it is never
 * unwrapped here, and containers reach it only through `secretKeyRef`.
 */
export function buildHfTokenSecret(namespace: pulumi.Input<string>, token: pulumi.Input<string>): SecretManifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: HF_TOKEN_SECRET.name, namespace, labels: standardLabels("credentials") },
    type: "Opaque",
    stringData: { [HF_TOKEN_SECRET.key]: token },
  };
}

/** The Secret holding the S3 credentials of s3:// sources, read by staging Jobs via secretKeyRef. */
export function buildS3CredentialsSecret(
  namespace: pulumi.Input<string>,
  accessKeyId: pulumi.Input<string>,
  secretAccessKey: pulumi.Input<string>,
): SecretManifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: S3_SECRET.name, namespace, labels: standardLabels("credentials") },
    type: "Opaque",
    stringData: { [S3_SECRET.accessKeyId]: accessKeyId, [S3_SECRET.secretAccessKey]: secretAccessKey },
  };
}

/** The registry credentials Secret (a Docker config.json) that pods name in `imagePullSecrets`. */
export function buildRegistrySecret(
  name: string,
  namespace: pulumi.Input<string>,
  dockerConfigJson: pulumi.Input<string>,
): SecretManifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels: standardLabels("credentials") },
    type: "kubernetes.io/dockerconfigjson",
    stringData: { ".dockerconfigjson": dockerConfigJson },
  };
}

/** A PersistentVolumeClaim manifest. */
export interface PersistentVolumeClaimManifest {
  readonly apiVersion: "v1";
  readonly kind: "PersistentVolumeClaim";
  readonly metadata: NamespacedMetadata & { readonly annotations: Record<string, string> };
  readonly spec: {
    readonly accessModes: string[];
    readonly resources: { readonly requests: { readonly storage: string } };
    readonly storageClassName?: string;
  };
}

/**
 * A new PVC for one of a job's volumes.
 *
 * It carries `pulumi.com/skipAwait`: with a `WaitForFirstConsumer` StorageClass a claim binds only
 * once a training pod uses it, and the pods are created after the claim, so waiting for `Bound`
 * here would deadlock the deploy. The pods wait for their claims themselves.
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#persistentvolumeclaims
 */
export function buildPersistentVolumeClaim(
  job: string,
  role: VolumeRole,
  volume: NewVolume,
  namespace: pulumi.Input<string>,
): PersistentVolumeClaimManifest {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(job, role),
      namespace,
      labels: standardLabels("storage", job),
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      accessModes: [volume.accessMode],
      resources: { requests: { storage: volume.size } },
      ...(volume.storageClass !== undefined ? { storageClassName: volume.storageClass } : {}),
    },
  };
}
