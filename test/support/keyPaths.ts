// The key paths a JSON Schema admits, written as stack config keys are: `jobs.<name>.image`,
// `jobs.<name>.env.<name>`, `jobs.<name>.scheduling.tolerations[].key`. A record's keys are
// `<name>`; a list's items `[]`. What the fuzz generator must reach (test/fuzz.test.ts).
type Node = {
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  allOf?: Node[];
};

/** Every key path of a schema, leaves and maps alike. */
export function schemaKeyPaths(schema: Node, prefix = ""): string[] {
  const out = new Set<string>();
  const visit = (node: Node, path: string) => {
    for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) visit(alt, path);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = path ? `${path}.${key}` : key;
      out.add(p);
      visit(child, p);
    }
    if (typeof node.additionalProperties === "object") {
      const p = `${path}.<name>`;
      out.add(p);
      visit(node.additionalProperties, p);
    }
    if (node.items) visit(node.items, `${path}[]`);
  };
  visit(schema, prefix);
  return [...out].sort();
}

/** The key paths a value holds, in the same spelling (record keys found under `maps` become `<name>`). */
export function valueKeyPaths(value: unknown, schemaPaths: ReadonlySet<string>, path = ""): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const v of value) out.push(...valueKeyPaths(v, schemaPaths, `${path}[]`));
    return out;
  }
  if (typeof value !== "object" || value === null) return out;
  for (const [key, child] of Object.entries(value)) {
    const named = path ? `${path}.${key}` : key;
    const p = schemaPaths.has(named) ? named : `${path}.<name>`;
    out.push(p, ...valueKeyPaths(child, schemaPaths, p));
  }
  return out;
}
