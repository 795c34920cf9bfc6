// What a training operator install may hold. `finetune:trainingOperator.source` may name any
// YAML file or kustomize folder, and the program declares every object in it: without a limit, a
// file could carry a privileged Deployment or a CronJob asking for GPUs past every other policy.
// The upstream bundles (training operator v1.9.4, Trainer v2.3.0 with JobSet and its runtimes)
// hold only the kinds below, in the kubeflow and kubeflow-system namespaces, and controllers that
// hold no GPUs, run unprivileged and use no host namespaces or host paths.
import { gpusOf } from "./rules";
import { arrayOr, objectOr, type Workload } from "./workloads";

/** The kinds an operator install may hold unless a policy's `kinds` says otherwise. */
export const DEFAULT_OPERATOR_KINDS: readonly string[] = [
  "Namespace",
  "CustomResourceDefinition",
  "ServiceAccount",
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "ConfigMap",
  "Secret",
  "Service",
  "Deployment",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ClusterTrainingRuntime",
  "TrainingRuntime",
];

/** The namespaces an operator install may write to unless a policy's `namespaces` says otherwise. */
export const DEFAULT_OPERATOR_NAMESPACES: readonly string[] = ["kubeflow", "kubeflow-system"];

/** Kinds without a namespace; any other object without one lands in the provider's default namespace. */
export const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  "Namespace",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ClusterTrainingRuntime",
  "PriorityClass",
  "StorageClass",
  "PersistentVolume",
  "Node",
  "APIService",
  "ClusterQueue",
  "ResourceFlavor",
]);

/** The component every object of an operator install is declared under. */
const OPERATOR_COMPONENT = "finetune:index:TrainingOperator";

/**
 * Whether a resource belongs to a stack's training operator install, from its URN: the engine
 * writes every ancestor's type into it (`...::finetune:index:TrainingOperator$kubernetes:yaml/v2:
 * ConfigGroup$kubernetes:apps/v1:Deployment::name`), whichever way the objects were rendered.
 */
export function inOperatorInstall(urn: string): boolean {
  const parts = urn.split("::");
  const types = (parts[parts.length - 2] ?? "").split("$");
  return types.slice(0, -1).includes(OPERATOR_COMPONENT);
}

const SOURCE_KEY = "finetune:trainingOperator.source (and runtimesSource)";

/** An object of an operator install, as the rule reads it. */
export interface InstallObject {
  readonly kind: string;
  /** Its namespace as written; undefined when it names none. */
  readonly namespace?: string;
  /** `namespace/name` or `name`, for messages. */
  readonly id: string;
}

/** The config of the rule. */
export interface OperatorInstallConfig {
  readonly kinds: readonly string[];
  readonly namespaces: readonly string[];
  readonly gpuResources: readonly string[];
}

/** Why a workload's pods could not belong to a controller: host access, privilege, user 0, GPUs. */
function podReasons(w: Workload, gpuResources: readonly string[]): string[] {
  const reasons: string[] = [];
  if (gpusOf(w, gpuResources) > 0) reasons.push("holds GPUs");
  for (const pod of w.pods) {
    const spec = pod.spec;
    for (const host of ["hostNetwork", "hostPID", "hostIPC"] as const)
      if (spec[host] === true) reasons.push(`sets ${host}`);
    for (const v of arrayOr(spec.volumes)) {
      if (v.hostPath !== undefined) reasons.push(`mounts the host path volume ${String(v.name ?? "?")}`);
    }
    if (objectOr(spec.securityContext).runAsUser === 0) reasons.push("runs as user 0");
    for (const c of [...arrayOr(spec.initContainers), ...arrayOr(spec.containers)]) {
      const sc = objectOr(c.securityContext);
      const name = String(c.name ?? "?");
      if (sc.privileged === true) reasons.push(`runs container ${name} privileged`);
      if (sc.runAsUser === 0) reasons.push(`runs container ${name} as user 0`);
      const added = objectOr(sc.capabilities).add;
      if (Array.isArray(added) && added.length > 0) reasons.push(`adds capabilities to container ${name}`);
    }
  }
  return reasons;
}

/** What an operator install may not hold in one object, as messages (none when it may). */
export function operatorInstallViolations(
  obj: InstallObject,
  workload: Workload | undefined,
  config: OperatorInstallConfig,
): string[] {
  const messages: string[] = [];
  const what = `the training operator install's ${obj.kind} ${obj.id}`;
  if (!config.kinds.includes(obj.kind)) {
    messages.push(
      `${what} is not a kind an operator install may hold (policy config kinds: ${config.kinds.join(", ")}): take it out of ${SOURCE_KEY}, or deploy it another way.`,
    );
  }
  if (!CLUSTER_SCOPED.has(obj.kind) && (obj.namespace === undefined || !config.namespaces.includes(obj.namespace))) {
    const where =
      obj.namespace === undefined ? "names no namespace (the provider's default)" : `is in namespace ${obj.namespace}`;
    messages.push(
      `${what} ${where}, outside the namespaces an operator install may write to (policy config namespaces: ${config.namespaces.join(", ")}): take it out of ${SOURCE_KEY}.`,
    );
  }
  if (workload !== undefined && workload.class !== "template") {
    const reasons = podReasons(workload, config.gpuResources);
    if (reasons.length > 0) {
      messages.push(
        `${what} ${reasons.join(" and ")}, which no operator controller needs: take it out of ${SOURCE_KEY}.`,
      );
    }
  }
  return messages;
}
