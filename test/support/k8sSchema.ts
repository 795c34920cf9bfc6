// Validates rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models) and, for
// PyTorchJobs and TrainJobs, their CRD's structural schema and their operator's webhook rules.
import { isSecretValue, type RecordedResource } from "../../tools/mockRun";
import { pytorchJobSchema, validateStructural, webhookViolations } from "./structuralSchema";
import { builtInRuntimes, trainJobSchema, trainJobWebhookViolations } from "./trainJob";

type Json = Record<string, any>;
type Validate = (object: Json) => void;

/** Replaces secret markers by a plain placeholder, so objects validate as the API server sees them. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Runs a model's schema validation (typed loosely: the base class's types do not resolve here). */
function check(model: unknown): void {
  (model as { validate(): void }).validate();
}

function errorsOf(fn: () => void): string[] {
  try {
    fn();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/**
 * Loads the validators (kubernetes-models is ESM-only, so it is imported dynamically) and returns
 * a function giving every schema error of a recorded resource.
 */
export async function loadValidators(): Promise<(resource: RecordedResource) => string[]> {
  const core = await import("kubernetes-models/v1");
  const batch = await import("kubernetes-models/batch/v1");
  const networking = await import("kubernetes-models/networking.k8s.io/v1");
  const byKind: Record<string, Validate> = {
    "v1/Namespace": (o) => check(new core.Namespace(o as never)),
    "v1/ServiceAccount": (o) => check(new core.ServiceAccount(o as never)),
    "v1/Secret": (o) => check(new core.Secret(o as never)),
    "v1/PersistentVolumeClaim": (o) => check(new core.PersistentVolumeClaim(o as never)),
    "batch/v1/Job": (o) => check(new batch.Job(o as never)),
    "networking.k8s.io/v1/NetworkPolicy": (o) => check(new networking.NetworkPolicy(o as never)),
  };
  const crd = pytorchJobSchema();
  const trainJobCrd = trainJobSchema();
  const runtimes = builtInRuntimes();
  return (resource) => {
    const object = unwrapSecrets(resource.inputs) as Json;
    const kind = `${object.apiVersion}/${object.kind}`;
    if (kind === "kubeflow.org/v1/PyTorchJob") {
      const templates = Object.values(object.spec?.pytorchReplicaSpecs ?? {}).map((r: any) => r.template);
      return [
        ...(crd ? validateStructural(object, crd) : []),
        ...webhookViolations(object),
        ...templates.flatMap((t) => errorsOf(() => check(new core.PodTemplateSpec(t)))),
      ];
    }
    if (kind === "trainer.kubeflow.org/v1alpha1/TrainJob") {
      if (!trainJobCrd) return [];
      const patch =
        object.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template;
      return [
        ...validateStructural(object, trainJobCrd),
        ...trainJobWebhookViolations(object, runtimes),
        // The patch is a pod template where the runtime's container gives the image.
        ...errorsOf(() =>
          check(
            new core.PodTemplateSpec({
              ...patch,
              spec: { ...patch.spec, containers: patch.spec.containers.map((c: Json) => ({ ...c, image: "x" })) },
            }),
          ),
        ),
      ];
    }
    const validate = byKind[kind];
    if (!validate) return [`no schema for ${kind}`];
    return errorsOf(() => validate(object));
  };
}
