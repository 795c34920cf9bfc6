// The config reference (docs/config.md), generated from the program's config schema: every key, its
// type, default and whether it is a secret come from the schema; what it does from tools/configKeys.ts.
// The same descriptions go into the stack file's JSON Schema (tools/stackSchema.ts), so an editor
// shows them. test/configReference.test.ts fails when docs/config.md is out of date, when a key has
// no description, or a description names no key.
//
//   npm run reference      writes docs/config.md
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { stackConfigSchema } from "../components/config/stack";
import { SECRET_KEYS } from "../components/schema/secrets";
import { KEY_DOCS, type KeyDoc } from "./configKeys";

type Node = Record<string, any>;

/** Where the reference is kept in the repository. */
export const CONFIG_REFERENCE_FILE = path.join(__dirname, "..", "docs", "config.md");

/** The name each map of named objects gives its entries in a key. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  jobs: "<job>",
  "queues.resourceFlavors": "<flavor>",
  "queues.clusterQueues": "<cq>",
};

/** Objects described as a whole: their keys are a pod spec's, passed through as they are. */
const WHOLE = new Set(["jobs.<job>.scheduling.affinity"]);

/** The config schema as JSON Schema, as the program reads input (defaults shown, not required). */
export function configJsonSchema(): Node {
  return z.toJSONSchema(stackConfigSchema(), { io: "input", unrepresentable: "any", target: "draft-7" }) as Node;
}

/** One key of the reference and the schema node that defines it. */
export interface KeyNode {
  /** The key, dotted, with `<job>`-style placeholders for names the user chooses. */
  readonly key: string;
  /** Its schema. */
  readonly node: Node;
  /** Whether its parent requires it. */
  readonly required: boolean;
}

/** The object shapes a node allows: itself, or each object of a union (a trainer's types). */
function shapesOf(node: Node): Node[] {
  const union: Node[] = node.oneOf ?? node.anyOf ?? [];
  return node.properties ? [node] : union.filter((n) => n.properties);
}

/** A union's shapes as one object: each key from the first shape that has it, a `const` key as the enum of its values. */
function merged(shapes: readonly Node[]): Node {
  const properties: Record<string, Node> = {};
  for (const shape of shapes) {
    for (const [name, child] of Object.entries<Node>(shape.properties)) {
      const seen = properties[name];
      if (seen === undefined) properties[name] = child;
      else if (seen.const !== undefined && child.const !== undefined) {
        properties[name] = { type: seen.type, enum: [seen.const, child.const] };
      } else if (seen.enum !== undefined && child.const !== undefined) seen.enum.push(child.const);
    }
  }
  const required = Object.keys(properties).filter((name) =>
    shapes.every((shape) => !(name in shape.properties) || (shape.required ?? []).includes(name)),
  );
  return { properties, required };
}

/** Every key of the schema, parents before their keys, in the schema's order. */
export function keyNodes(schema: Node = configJsonSchema()): KeyNode[] {
  const out: KeyNode[] = [];
  const visit = (node: Node, at: string) => {
    const required = new Set<string>(node.required ?? []);
    for (const [name, child] of Object.entries<Node>(node.properties ?? {})) {
      const key = at === "" ? name : `${at}.${name}`;
      out.push({ key, node: child, required: required.has(name) });
      if (WHOLE.has(key)) continue;
      const shapes = shapesOf(child);
      if (shapes.length > 0) visit(merged(shapes), key);
      const entry = child.additionalProperties;
      if (typeof entry === "object" && entry.properties) visit(entry, `${key}.${PLACEHOLDERS[key] ?? "<name>"}`);
    }
  };
  visit(schema, "");
  return out;
}

/** A value as the reference writes it. */
const code = (value: unknown) =>
  `\`${typeof value === "string" && !readsAsJson(value) ? value : JSON.stringify(value)}\``;

/** Whether text would read as a number, boolean or null: such text is written quoted. */
function readsAsJson(text: string): boolean {
  try {
    return typeof JSON.parse(text) !== "string";
  } catch {
    return false;
  }
}

/** A number's range, as `≥ 1` or `1–1000` (the largest safe integer is no bound). */
function range(node: Node): string {
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  if (node.exclusiveMinimum !== undefined) return ` > ${node.exclusiveMinimum}`;
  if (node.minimum !== undefined && max !== undefined) return ` ${node.minimum}–${max}`;
  if (node.minimum !== undefined) return ` ≥ ${node.minimum}`;
  return max !== undefined ? ` ≤ ${max}` : "";
}

/** What a schema node takes, in words. */
export function typeOf(node: Node, plural = false): string {
  if (node.enum) return node.enum.map(code).join(" | ");
  if (node.const !== undefined) return code(node.const);
  if (shapesOf(node).length > 1) return plural ? "objects" : "object";
  const union: Node[] | undefined = node.anyOf ?? node.oneOf;
  if (union) return union.map((n) => typeOf(n, plural)).join(" or ");
  const s = plural ? "s" : "";
  switch (node.type) {
    case "null":
      return "`null`";
    case "boolean":
      return `boolean${s}`;
    case "integer":
    case "number":
      return `${node.type}${s}${range(node)}`;
    case "string":
      return `string${s}`;
    case "array":
      return `list of ${node.items ? typeOf(node.items, true) : "values"}`;
    case "object":
      if (node.properties) return plural ? "objects" : "object";
      if (typeof node.additionalProperties === "object" && Object.keys(node.additionalProperties).length > 0)
        return `map of ${typeOf(node.additionalProperties, true)}`;
      return "map";
    default:
      return "any";
  }
}

/** The default the schema fills in, as the reference writes it; an object's `{}` (its keys' defaults) is none. */
function defaultOf(node: Node): string | undefined {
  if (!("default" in node)) return undefined;
  return node.properties ? undefined : code(node.default);
}

/** A row of the reference. */
export interface ReferenceRow {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly secret: boolean;
  readonly text: string;
}

/** The reference's rows: one per key, each described by KEY_DOCS (a key without one is an error). */
export function referenceRows(schema: Node = configJsonSchema(), docs: Readonly<Record<string, KeyDoc>> = KEY_DOCS) {
  const secret = new Set<string>(SECRET_KEYS);
  return keyNodes(schema).map(({ key, node, required }): ReferenceRow => {
    const doc = docs[key];
    if (doc === undefined) throw new Error(`tools/configKeys.ts describes no key ${key}`);
    return {
      key,
      type: doc.type ?? typeOf(node),
      default: defaultOf(node) ?? doc.default ?? (required ? "required" : "none"),
      secret: secret.has(key),
      text: doc.text,
    };
  });
}

/** The schema with each key's description, for editors. */
export function describedSchema(schema: Node = configJsonSchema()): Node {
  for (const { key, node } of keyNodes(schema)) {
    const doc = KEY_DOCS[key];
    if (doc !== undefined) node.description = doc.text;
  }
  return schema;
}

/** A table cell: pipes escaped, on one line. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The reference as docs/config.md holds it. */
export function referenceText(rows: readonly ReferenceRow[] = referenceRows()): string {
  const lines = [
    "# Config reference",
    "",
    "<!-- Generated by `npm run reference` from the config schema and tools/configKeys.ts: do not edit. -->",
    "",
    "Every key the program reads, in the `finetune:` namespace (`finetune:jobs`, written in a stack file",
    "as `finetune:jobs:` or set with `pulumi config set --path 'jobs.granite.nodes' 2`). Unknown keys are",
    "errors. Names in angle brackets are yours: `jobs.<job>.nodes` is `jobs.granite.nodes` for a job",
    "named `granite`. Quantities are Kubernetes quantities (`8`, `7500m`, `64Gi`, `1Ti`); durations are",
    "`90m`, `2h`, `1h30m`. How values are read, and the limits of a stack: [Stack files](stack-files.md).",
    "",
    "| Key | Type | Default | Secret? | Description |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${r.secret ? "**yes**" : "no"} | ${cell(r.text)} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(CONFIG_REFERENCE_FILE), { recursive: true });
  fs.writeFileSync(CONFIG_REFERENCE_FILE, referenceText());
}
