// A validator for Kubernetes structural schemas (a CRD's openAPIV3Schema), strict about unknown
// fields: where the API server would silently prune a field the program meant to set, this
// reports it. CEL rules (x-kubernetes-validations) are not evaluated.
import * as fs from "node:fs";
import { parseBundle } from "../../components/bundle";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";

/** A node of an OpenAPI v3 structural schema. */
export interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: boolean | StructuralSchema;
  items?: StructuralSchema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: StructuralSchema[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every way `value` breaks `schema`, each as `path: problem`; empty when it conforms. */
export function validateStructural(value: unknown, schema: StructuralSchema, path = "<root>"): string[] {
  if (schema["x-kubernetes-int-or-string"]) {
    return Number.isInteger(value) || typeof value === "string" ? [] : [`${path}: must be an integer or a string`];
  }
  if (schema.anyOf && !schema.type) {
    const ok = schema.anyOf.some((branch) => validateStructural(value, branch, path).length === 0);
    if (!ok) return [`${path}: matches none of anyOf`];
  }
  const errors: string[] = [];
  switch (schema.type) {
    case "object": {
      if (!isObject(value)) return [`${path}: must be an object`];
      for (const key of schema.required ?? []) {
        if (!(key in value)) errors.push(`${path}.${key}: is required`);
      }
      for (const [key, child] of Object.entries(value)) {
        const childSchema = schema.properties?.[key];
        if (childSchema) errors.push(...validateStructural(child, childSchema, `${path}.${key}`));
        else if (isObject(schema.additionalProperties))
          errors.push(...validateStructural(child, schema.additionalProperties, `${path}.${key}`));
        else if (schema.additionalProperties === true || schema["x-kubernetes-preserve-unknown-fields"]) continue;
        else if (schema.properties || schema.additionalProperties === false)
          errors.push(`${path}.${key}: unknown field (the API server would prune it)`);
      }
      return errors;
    }
    case "array": {
      if (!Array.isArray(value)) return [`${path}: must be an array`];
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        errors.push(`${path}: more than ${schema.maxItems} items`);
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        errors.push(`${path}: fewer than ${schema.minItems} items`);
      }
      const items = schema.items;
      if (items)
        value.forEach((item, i) => {
          errors.push(...validateStructural(item, items, `${path}[${i}]`));
        });
      return errors;
    }
    case "string": {
      if (typeof value !== "string") return [`${path}: must be a string, got ${typeof value}`];
      if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: must be one of ${schema.enum.join(", ")}`);
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        errors.push(`${path}: must match ${schema.pattern}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: too long`);
      if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: too short`);
      return errors;
    }
    case "integer": {
      if (!Number.isInteger(value)) return [`${path}: must be an integer`];
      const n = value as number;
      const range = schema.format ? INT_RANGES[schema.format] : undefined;
      if (range && (n < range[0] || n > range[1])) errors.push(`${path}: out of ${schema.format} range`);
      if (schema.minimum !== undefined && n < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
      if (schema.maximum !== undefined && n > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
      return errors;
    }
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? [] : [`${path}: must be a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: must be a boolean`];
    default:
      return errors;
  }
}

/** The rendered upstream operator bundle, beside the project (never committed). */
export const OPERATOR_BUNDLE = OPERATOR_V1_BUNDLE;

/** The CustomResourceDefinitions of that bundle (the training operator v1.9.4), sorted. */
export const V1_CRDS = [
  "jaxjobs.kubeflow.org",
  "mpijobs.kubeflow.org",
  "paddlejobs.kubeflow.org",
  "pytorchjobs.kubeflow.org",
  "tfjobs.kubeflow.org",
  "xgboostjobs.kubeflow.org",
];

/** The PyTorchJob CRD's `openAPIV3Schema` from the bundle, or undefined when the file is absent. */
export function pytorchJobSchema(bundle = OPERATOR_BUNDLE): StructuralSchema | undefined {
  if (!fs.existsSync(bundle)) return undefined;
  const crd = parseBundle(fs.readFileSync(bundle, "utf8"), bundle).find(
    (o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "pytorchjobs.kubeflow.org",
  ) as { spec: { versions: { name: string; schema: { openAPIV3Schema: StructuralSchema } }[] } } | undefined;
  return crd?.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema;
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The admission rules of the training operator's PyTorchJob webhook (pkg/webhooks/pytorch at
 * v1.9.4): a DNS-1035 name, only Master and Worker replicas, exactly one Master, Workers >= 1,
 * a container named `pytorch` in every replica, an image in every container.
 */
export function webhookViolations(job: {
  metadata?: { name?: unknown };
  spec?: { pytorchReplicaSpecs?: Record<string, unknown> };
}): string[] {
  const errors: string[] = [];
  const name = job.metadata?.name;
  if (typeof name !== "string" || name.length > 63 || !DNS1035.test(name)) {
    errors.push(`metadata.name: ${JSON.stringify(name)} is not a DNS-1035 label`);
  }
  const specs = job.spec?.pytorchReplicaSpecs ?? {};
  for (const [type, raw] of Object.entries(specs)) {
    const spec = raw as {
      replicas?: number;
      template?: { spec?: { containers?: { name?: string; image?: string }[] } };
    };
    if (type !== "Master" && type !== "Worker") errors.push(`replica type ${type} is not Master or Worker`);
    if (type === "Master" && spec.replicas !== 1) errors.push(`Master replicas is ${spec.replicas}, must be 1`);
    if (type === "Worker" && (spec.replicas ?? 1) < 1) errors.push(`Worker replicas is ${spec.replicas}, must be >= 1`);
    const containers = spec.template?.spec?.containers ?? [];
    if (!containers.some((c) => c.name === "pytorch")) errors.push(`${type}: no container named pytorch`);
    for (const c of containers) if (!c.image) errors.push(`${type}: container ${c.name} has no image`);
  }
  if (!("Master" in specs)) errors.push("no Master replica");
  return errors;
}
