// Config values as Pulumi stores them, read as they are meant. `pulumi config set --path` stores
// integers as numbers, booleans as booleans and everything else, floats too, as text; `--type`
// forces a type; a hand-edited stack file is YAML 1.2. So, wherever the schema expects it, a number
// or a boolean is read as text (`resources.cpu: 8`, `env.EPOCHS: 3`), numeric text as a number
// (`learningRate: "2e-5"`), and `"true"`/`"false"` as a boolean. The rules live here only, driven
// by the schema itself (its JSON Schema), so that every key follows them and none is forgotten.
import { z } from "zod";

/** A node of a JSON Schema, as `z.toJSONSchema` writes it. */
interface SchemaNode {
  readonly type?: string;
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly oneOf?: readonly SchemaNode[];
  readonly allOf?: readonly SchemaNode[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, SchemaNode>>;
}

/** A decimal number as text: `3`, `-1.5`, `2e-5`, `.5`. */
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** YAML 1.1 words for booleans, which YAML 1.2 (and so Pulumi) reads as text. */
export const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = {
  yes: true,
  no: false,
  on: true,
  off: false,
  y: true,
  n: false,
};

function coerceScalar(value: unknown, type: string | undefined): unknown {
  switch (type) {
    case "string":
      return (typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean"
        ? String(value)
        : value;
    case "number":
    case "integer":
      return typeof value === "string" && NUMERIC.test(value.trim()) ? Number(value.trim()) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "null":
      return value === "null" ? null : value;
    default:
      return value;
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The branch of a union that `value` belongs to: by its `type` discriminator, else by JS type. */
function branchOf(value: unknown, branches: readonly SchemaNode[], root: SchemaNode): SchemaNode | undefined {
  const resolved = branches.map((b) => resolve(b, root));
  if (isMap(value)) {
    const byTag = resolved.find(
      (b) => b.properties?.type?.const !== undefined && b.properties.type.const === value.type,
    );
    return byTag ?? resolved.find((b) => b.type === "object");
  }
  const jsType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  const fits = (b: SchemaNode, v: unknown) => b.type === jsType(v) || (b.type === "integer" && typeof v === "number");
  return resolved.find((b) => fits(b, value)) ?? resolved.find((b) => fits(b, coerceScalar(value, b.type)));
}

function resolve(node: SchemaNode, root: SchemaNode): SchemaNode {
  if (node.$ref?.startsWith("#/$defs/")) return root.$defs?.[node.$ref.slice("#/$defs/".length)] ?? node;
  if (node.allOf?.length === 1) return resolve(node.allOf[0], root);
  return node;
}

/** `value` with every scalar read as the schema node where it sits expects. */
export function coerceToSchema(value: unknown, node: SchemaNode, root: SchemaNode = node): unknown {
  const n = resolve(node, root);
  const union = n.anyOf ?? n.oneOf;
  if (union) {
    const branch = branchOf(value, union, root);
    return branch ? coerceToSchema(value, branch, root) : value;
  }
  if (n.type === "object" && isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const child = Object.hasOwn(n.properties ?? {}, key)
        ? n.properties?.[key]
        : typeof n.additionalProperties === "object"
          ? n.additionalProperties
          : undefined;
      // defineProperty: a `__proto__` key (refused later, with its path) stays a plain key.
      Object.defineProperty(out, key, {
        value: child ? coerceToSchema(v, child, root) : v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (n.type === "array" && Array.isArray(value))
    return n.items ? value.map((v) => coerceToSchema(v, n.items as SchemaNode, root)) : value;
  return coerceScalar(value, n.type);
}

/** The JSON Schema of a zod schema's input, for `coerceToSchema`. */
export function inputSchemaOf(schema: z.ZodType): SchemaNode {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as SchemaNode;
}
