// Least privilege by default: the pod and container security contexts of the "restricted" Pod
// Security Standard, the ServiceAccount the pods run as (no API token), the Pod Security admission
// labels of the namespace, and the NetworkPolicies that confine the jobs' traffic.
// @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
import type * as pulumi from "@pulumi/pulumi";
import { type Component, standardLabels } from "../names";
import type { Job, SecurityContextOverride } from "../schema/job";
import { type FetchedSource, fetchOf } from "../sources";
import type { NamespacedMetadata, NetworkPolicySpec, PodSecurityContext, SecurityContext } from "./k8sTypes";

/** The ServiceAccount every pod of the program runs as. */
export const SERVICE_ACCOUNT = "finetune";

/** The Secret with registry credentials, when `imagePullSecrets` is configured. */
export const REGISTRY_SECRET = "registry-credentials";

/** The unprivileged identity pods run as unless a job overrides it. */
export const DEFAULT_UID = 1000;

/** Whether a job's pods run as root (only through an explicit override). */
export function runsAsRoot(override: SecurityContextOverride | undefined): boolean {
  return override?.runAsUser === 0 || override?.runAsNonRoot === false;
}

/**
 * The pod security context: non-root (uid/gid 1000 unless overridden), volumes group-owned by
 * `fsGroup` so a non-root trainer can write its checkpoints, and the runtime's seccomp profile.
 */
export function podSecurityContext(override: SecurityContextOverride | undefined): PodSecurityContext {
  const root = runsAsRoot(override);
  return {
    runAsNonRoot: !root,
    runAsUser: override?.runAsUser ?? (root ? 0 : DEFAULT_UID),
    runAsGroup: override?.runAsGroup ?? (root ? 0 : DEFAULT_UID),
    fsGroup: override?.fsGroup ?? (root ? 0 : DEFAULT_UID),
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The container security context: no privilege escalation, every capability dropped. */
export function containerSecurityContext(): SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** What every pod spec of the program carries: identity, no API token, registry credentials. */
export function podIdentity(
  override: SecurityContextOverride | undefined,
  imagePullSecrets: boolean,
): {
  serviceAccountName: string;
  automountServiceAccountToken: false;
  securityContext: PodSecurityContext;
  imagePullSecrets?: { name: string }[];
} {
  return {
    serviceAccountName: SERVICE_ACCOUNT,
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(override),
    ...(imagePullSecrets ? { imagePullSecrets: [{ name: REGISTRY_SECRET }] } : {}),
  };
}

/**
 * The Pod Security Standard level that admits every pod the jobs run: their own pods, and the
 * training operator's init container in each Worker pod, which meets `workerLevel`.
 */
export function podSecurityLevel(
  jobs: readonly Job[],
  workerLevel: "restricted" | "baseline" = "restricted",
): "restricted" | "baseline" {
  if (jobs.some((j) => runsAsRoot(j.securityContext))) return "baseline";
  return jobs.some((j) => j.nodes > 1) ? workerLevel : "restricted";
}

/**
 * Pod Security admission labels for the namespace: enforce the level the program's pods meet,
 * and warn and audit against restricted, so a root override stays visible.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export function podSecurityLabels(level: "restricted" | "baseline"): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
  };
}

/** A ServiceAccount manifest. */
export interface ServiceAccountManifest {
  readonly apiVersion: "v1";
  readonly kind: "ServiceAccount";
  readonly metadata: NamespacedMetadata;
  readonly automountServiceAccountToken: false;
}

/** The ServiceAccount of the jobs: no API token is mounted, and it has no RBAC bindings. */
export function buildServiceAccount(namespace: pulumi.Input<string>): ServiceAccountManifest {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: SERVICE_ACCOUNT, namespace, labels: standardLabels("credentials") },
    automountServiceAccountToken: false,
  };
}

/** A NetworkPolicy manifest. */
export interface NetworkPolicyManifest {
  readonly apiVersion: "networking.k8s.io/v1";
  readonly kind: "NetworkPolicy";
  readonly metadata: NamespacedMetadata;
  readonly spec: NetworkPolicySpec;
}

function networkPolicy(
  name: string,
  namespace: pulumi.Input<string>,
  labels: Record<string, string>,
  spec: NetworkPolicyManifest["spec"],
): NetworkPolicyManifest {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels }, spec };
}

/** Denies all traffic to and from every pod of the namespace; the policies below open what is needed. */
export function buildDefaultDenyPolicy(namespace: pulumi.Input<string>): NetworkPolicyManifest {
  return networkPolicy("finetune-default-deny", namespace, standardLabels("namespace"), {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
  });
}

/** Lets every pod of the namespace resolve names with the cluster DNS. */
export function buildDnsPolicy(namespace: pulumi.Input<string>): NetworkPolicyManifest {
  return networkPolicy("finetune-allow-dns", namespace, standardLabels("namespace"), {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  });
}

function selectorOf(job: string, component: Component): { matchLabels: Record<string, string> } {
  return {
    matchLabels: { "app.kubernetes.io/instance": job, "app.kubernetes.io/component": component },
  };
}

/** Lets a job's training pods reach each other (rendezvous, NCCL), and nothing else. */
export function buildTrainingPolicy(job: string, namespace: pulumi.Input<string>): NetworkPolicyManifest {
  const peers = selectorOf(job, "training");
  return networkPolicy(`${job}-training`, namespace, standardLabels("training", job), {
    podSelector: peers,
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ podSelector: peers }] }],
    egress: [{ to: [{ podSelector: peers }] }],
  });
}

/**
 * Lets a job's staging pods reach their sources' ports. NetworkPolicy selects addresses, not host
 * names, so the destination is any address on those ports (the Hub's and S3's addresses are not
 * fixed); everything else stays denied.
 */
export function buildStagingPolicy(
  job: string,
  namespace: pulumi.Input<string>,
  sources: readonly FetchedSource[],
): NetworkPolicyManifest | undefined {
  if (sources.length === 0) return undefined;
  const ports = [...new Set(sources.map((s) => fetchOf(s).port(s)))].sort((a, b) => a - b);
  return networkPolicy(`${job}-staging`, namespace, standardLabels("staging", job), {
    podSelector: selectorOf(job, "staging"),
    policyTypes: ["Egress"],
    egress: [{ ports: ports.map((port) => ({ protocol: "TCP", port })) }],
  });
}
