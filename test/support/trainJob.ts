// What Kubeflow Trainer v2.3 admits: the TrainJob CRD's structural schema and CEL rules from the
// rendered upstream bundle, and the rules of its TrainJob webhook and of the JobSet webhook the
// TrainJob becomes (read in kubeflow/trainer v2.3.0 pkg/webhooks and pkg/runtime/framework/plugins,
// and sigs.k8s.io/jobset v0.12.0 pkg/webhooks), checked against the built-in runtimes.
import * as fs from "node:fs";
import { parseBundle } from "../../components/bundle";
import { TRAINER_V2_BUNDLE, TRAINER_V2_RUNTIMES } from "../../harness/paths";
import type { StructuralSchema } from "./structuralSchema";

type Json = Record<string, any>;

/** The rendered Trainer v2.3.0 manager bundle and its runtimes, beside the project. */
export const TRAINER_BUNDLE = TRAINER_V2_BUNDLE;
export const RUNTIMES_BUNDLE = TRAINER_V2_RUNTIMES;

/** The TrainJob CRD's schema, or undefined when the bundle is absent. */
export function trainJobSchema(): StructuralSchema | undefined {
  if (!fs.existsSync(TRAINER_BUNDLE)) return undefined;
  const crd = parseBundle(fs.readFileSync(TRAINER_BUNDLE, "utf8"), TRAINER_BUNDLE).find(
    (o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "trainjobs.trainer.kubeflow.org",
  ) as Json | undefined;
  return crd?.spec.versions.find((v: Json) => v.name === "v1alpha1")?.schema.openAPIV3Schema;
}

/** The built-in ClusterTrainingRuntimes by name. */
export function builtInRuntimes(): Map<string, Json> {
  if (!fs.existsSync(RUNTIMES_BUNDLE)) return new Map();
  const objects = parseBundle(fs.readFileSync(RUNTIMES_BUNDLE, "utf8"), RUNTIMES_BUNDLE);
  return new Map(objects.map((o) => [o.metadata.name, o as Json]));
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TORCHRUN_RESERVED = ["PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"];

/** Every rule of the webhooks (and the CRD's CEL rules) a TrainJob breaks, on `runtimes`. */
export function trainJobWebhookViolations(trainJob: Json, runtimes: Map<string, Json>): string[] {
  const errors: string[] = [];
  const name = trainJob.metadata?.name;
  if (typeof name !== "string" || name.length > 63 || !DNS1035.test(name)) {
    errors.push(`metadata.name: ${JSON.stringify(name)} is not an RFC 1035 label of at most 63 characters`);
  }
  const spec = trainJob.spec ?? {};
  if (spec.activeDeadlineSeconds !== undefined && !(spec.activeDeadlineSeconds >= 1)) {
    errors.push("spec.activeDeadlineSeconds: below 1");
  }
  const ref = spec.runtimeRef ?? {};
  const runtime = ref.kind === "ClusterTrainingRuntime" ? runtimes.get(ref.name) : undefined;
  if (!runtime) {
    errors.push(`spec.runtimeRef: unsupported runtime ${ref.kind}/${ref.name}`);
    return errors;
  }
  const replicatedJobs: Json[] = runtime.spec.template.spec.replicatedJobs;
  const containersOf = (job: string) => {
    const rJob = replicatedJobs.find((r) => r.name === job);
    const podSpec = rJob?.template.spec.template.spec ?? {};
    return rJob
      ? [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])].map((c: Json) => c.name)
      : undefined;
  };
  for (const kind of ["dataset", "model"]) {
    if (spec.initializer?.[kind] && !containersOf(`${kind}-initializer`)) {
      errors.push(
        `spec.runtimeRef: must have ${kind}-initializer job when trainJob is configured with input ${kind}Config`,
      );
    }
  }
  for (const patch of spec.runtimePatches ?? []) {
    const [domain, ...rest] = String(patch.manager ?? "").split("/");
    if (!DNS1123_SUBDOMAIN.test(domain) || !domain.includes(".") || rest.join("/") === "") {
      errors.push(`spec.runtimePatches.manager: ${JSON.stringify(patch.manager)} is not a domain-prefixed path`);
    }
    for (const rJob of patch.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? []) {
      const containers = containersOf(rJob.name);
      if (!containers) {
        errors.push("spec.runtimePatches: must not have replicated job that doesn't exist in the runtime job template");
        continue;
      }
      const podSpec = rJob.template?.spec?.template?.spec ?? {};
      for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
        if (!containers.includes(c.name)) {
          errors.push(
            `spec.runtimePatches: must not have container that doesn't exist in the runtime job ${rJob.name}`,
          );
        } else if ((c.env ?? []).length > 0 && ["dataset-initializer", "model-initializer", "node"].includes(c.name)) {
          errors.push(
            "spec.runtimePatches: must not have envs for the dataset-initializer, model-initializer, node containers",
          );
        }
      }
    }
  }
  if (runtime.spec.mlPolicy?.torch) {
    const reserved = (spec.trainer?.env ?? [])
      .map((e: Json) => e.name)
      .filter((n: string) => TORCHRUN_RESERVED.includes(n));
    if (reserved.length > 0)
      errors.push(`spec.trainer.env: must not have reserved envs, invalid envs configured: ${reserved}`);
  }
  // JobSet: the pods of the trainer's Job are named <jobset>-<replicated job>-<job index>-<pod index>-<5 chars>.
  const nodes = spec.trainer?.numNodes ?? runtime.spec.mlPolicy?.numNodes ?? 1;
  for (const rJob of replicatedJobs) {
    const pods = rJob.name === "node" ? nodes : 1;
    const longest = `${name}-${rJob.name}-0-${pods - 1}-abcde`;
    if (longest.length > 63)
      errors.push(`JobSet: pod names generated for this JobSet will exceed 63 characters (${longest})`);
  }
  return errors;
}
