// The JSON Schema of a stack file (Pulumi.<stack>.yaml), generated from the program's config schema
// with each key's description (tools/configKeys.ts), so that an editor with the YAML language server
// completes, checks and explains the keys (docs/stack-files.md). It accepts what the program accepts:
// values as `pulumi config set` stores them (text for a float, say: schema/coerce.ts reads it as
// meant), secrets as `secure:` ciphertext, dotted keys as `pulumi config set` without `--path` writes
// them, and other namespaces' keys. test/stackSchema.test.ts checks that schema/stack.schema.json is
// what this writes, and validates stack files against it.
//
//   npm run schema      writes schema/stack.schema.json
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_NAMESPACE } from "../components/config";
import { SECRET_KEYS } from "../components/schema/secrets";
import { describedSchema } from "./configReference";

type Node = Record<string, unknown>;

/** Where the schema is kept in the repository. */
export const STACK_SCHEMA_FILE = path.join(__dirname, "..", "schema", "stack.schema.json");

/** A decimal number as text, as the program reads it (components/schema/coerce.ts). */
const NUMERIC_TEXT = "^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*$";

/** Also what the program reads as this scalar type: numeric text, `"true"`/`"false"`, numbers as text. */
function alsoAccepted(type: unknown): Node | undefined {
  switch (type) {
    case "number":
    case "integer":
      return { type: "string", pattern: NUMERIC_TEXT };
    case "boolean":
      return { enum: ["true", "false"] };
    case "string":
      return { type: ["number", "boolean"] };
    default:
      return undefined;
  }
}

/** A schema node, and every node under it, relaxed as the program reads values. */
function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (typeof node !== "object" || node === null) return node;
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    const nested = key === "properties" || key === "patternProperties";
    out[key] = nested ? Object.fromEntries(Object.entries(value as Node).map(([k, v]) => [k, relax(v)])) : relax(value);
  }
  const extra = alsoAccepted(out.type);
  if (extra === undefined || out.enum !== undefined || out.const !== undefined) return out;
  const { description, ...rest } = out;
  return { ...(description !== undefined ? { description } : {}), anyOf: [rest, extra] };
}

/** A secret as a stack file holds it. */
const SECURE = {
  type: "object",
  description: "A secret: set it with pulumi config set --secret",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};

/** The JSON Schema of a stack file. */
export function stackFileSchema(): Node {
  const config = relax(describedSchema()) as Node;
  const keys = (config.properties ?? {}) as Record<string, unknown>;
  const secret = new Set<string>(SECRET_KEYS);
  const properties = Object.fromEntries(
    Object.entries(keys).map(([key, schema]) => [
      `${CONFIG_NAMESPACE}:${key}`,
      secret.has(key) ? { ...SECURE, description: (schema as Node).description } : schema,
    ]),
  );
  const required = ((config.required ?? []) as string[]).map((key) => `${CONFIG_NAMESPACE}:${key}`);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "A finetune stack file (Pulumi.<stack>.yaml)",
    type: "object",
    properties: {
      config: {
        type: "object",
        properties,
        ...(required.length > 0 ? { required } : {}),
        patternProperties: {
          // A dotted key, as `pulumi config set` without --path stores it (checked by the program).
          [`^${CONFIG_NAMESPACE}:[^.]+\\..+$`]: {},
          // Another namespace's key (a provider's, say).
          [`^(?!${CONFIG_NAMESPACE}:)`]: {},
        },
        additionalProperties: false,
      },
    },
  };
}

/** The schema as the file holds it. */
export function stackSchemaText(): string {
  return `${JSON.stringify(stackFileSchema(), null, 2)}\n`;
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(STACK_SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(STACK_SCHEMA_FILE, stackSchemaText());
}
