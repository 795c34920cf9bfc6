// The Kubernetes SDK's input types, unwrapped: builders take and return plain values, never
// Outputs or Promises, so they can be called and compared without the Pulumi runtime.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

type Plain<T> = pulumi.Unwrap<T>;

export type PodTemplateSpec = Plain<k8s.types.input.core.v1.PodTemplateSpec>;
export type PodSpec = Plain<k8s.types.input.core.v1.PodSpec>;
export type Container = Plain<k8s.types.input.core.v1.Container>;
export type EnvVar = Plain<k8s.types.input.core.v1.EnvVar>;
export type PodVolume = Plain<k8s.types.input.core.v1.Volume>;
export type VolumeMount = Plain<k8s.types.input.core.v1.VolumeMount>;
export type PodSecurityContext = Plain<k8s.types.input.core.v1.PodSecurityContext>;
export type SecurityContext = Plain<k8s.types.input.core.v1.SecurityContext>;
export type NetworkPolicySpec = Plain<k8s.types.input.networking.v1.NetworkPolicySpec>;

/** The metadata every namespaced object of the program carries. */
export interface NamespacedMetadata {
  readonly name: string;
  /** An Output of the Namespace resource in components, so objects are created after it. */
  readonly namespace: pulumi.Input<string>;
  readonly labels: Record<string, string>;
}

export type Affinity = Plain<k8s.types.input.core.v1.Affinity>;
export type Toleration = Plain<k8s.types.input.core.v1.Toleration>;
