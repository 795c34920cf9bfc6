// What the program changes in Kubeflow Trainer v2.3's install, when asked: the TrainJobStatus
// feature gate (alpha, off upstream), with which the manager injects the address of its status
// server (`KUBEFLOW_TRAINER_SERVER_URL`, with a CA file and a token bound to the TrainJob) into the
// trainer's containers, and accepts the progress they post into `status.trainerStatus`. The
// bundle's Service already exposes the status server (port 10443). The gate is a flag of the
// manager's container: changing it rolls the Deployment (a ConfigMap change would not).
// @see pkg/runtime/framework/plugins/trainjobstatus in kubeflow/trainer v2.3.0
import type { InstallOptions } from "../backend";
import type { Container } from "../k8sTypes";

/** The manager's Deployment and container in the upstream manifests. */
const MANAGER = { deployment: "kubeflow-trainer-controller-manager", container: "manager" };

/** The manager's flag that turns the gate on. */
export const TRAINJOB_STATUS_FLAG = "--feature-gates=TrainJobStatus=true";

interface DeploymentLike {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly template?: { readonly spec?: { readonly containers?: readonly Container[] } } };
}

/** The container's arguments with the gate on: added to its `--feature-gates` flag, or as one. */
function withGate(args: readonly string[]): string[] {
  const at = args.findIndex((a) => a.startsWith("--feature-gates="));
  if (at < 0) return [...args, TRAINJOB_STATUS_FLAG];
  const gates = args[at].slice("--feature-gates=".length).split(",").filter(Boolean);
  const rest = gates.filter((g) => !g.startsWith("TrainJobStatus="));
  return args.map((a, i) => (i === at ? `--feature-gates=${[...rest, "TrainJobStatus=true"].join(",")}` : a));
}

/** The object as the stack installs it: the manager's Deployment with the gate on when asked; any other as it is. */
export function patchTrainerInstall<T extends object>(obj: T, kind: string | undefined, options: InstallOptions): T {
  const o = obj as DeploymentLike;
  if (!options.trainJobStatus || (kind ?? o.kind) !== "Deployment" || o.metadata?.name !== MANAGER.deployment) {
    return obj;
  }
  const template = o.spec?.template ?? {};
  const containers = (template.spec?.containers ?? []).map((c) =>
    c.name === MANAGER.container ? { ...c, args: withGate(c.args ?? []) } : c,
  );
  return { ...obj, spec: { ...o.spec, template: { ...template, spec: { ...template.spec, containers } } } } as T;
}
