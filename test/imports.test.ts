// The project's imports: no circles, and none that runs back up a layer (the program never
// imports its tools or tests; the tools never import the tests).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { circles, importGraph, sourceFiles } from "./support/importGraph";

const ROOT = path.resolve(__dirname, "..");
const rel = (f: string) => path.relative(ROOT, f);

/** The components that wire resources: the top of the program, which nothing below imports. */
const COMPONENTS = [
  "components/stack.ts",
  "components/fineTuneJob.ts",
  "components/guards.ts",
  "components/jobNamespace.ts",
  "components/kueueQueues.ts",
  "components/trainingOperator.ts",
];

/** What each layer may not import, by folder (every layer a file is in applies). */
const LAYERS: readonly { readonly layer: string; readonly never: readonly string[] }[] = [
  // The program, from the ground up: the leaves (names, validation, sources, bundle), the schema
  // of the keys, the pure builders with the backends, the config that assembles them, the cluster
  // reads, the components.
  {
    layer: "components/sources",
    never: ["components/schema/", "components/config/", "components/cluster/", ...COMPONENTS],
  },
  {
    layer: "components/schema/",
    never: ["components/config/", "components/builders/", "components/cluster/", ...COMPONENTS],
  },
  { layer: "components/builders/", never: ["components/config/", "components/cluster/", ...COMPONENTS] },
  { layer: "components/config/", never: ["components/cluster/", ...COMPONENTS] },
  { layer: "components/cluster/", never: [...COMPONENTS] },
  { layer: "components/", never: ["tools/", "harness/", "test/", "policy/", "index.ts"] },
  { layer: "policy/", never: ["components/", "tools/", "harness/", "test/"] },
  { layer: "harness/", never: ["tools/", "test/"] },
  { layer: "tools/", never: ["test/"] },
];

describe("imports", () => {
  const files = sourceFiles(ROOT, [
    "index.ts",
    "main.js",
    "loader.js",
    "components",
    "policy",
    "tools",
    "harness",
    "test",
  ]);
  const graph = importGraph(files);

  it("reads the project: the program's entry imports the stack, the stack its components", () => {
    assert.deepEqual(graph.get(path.join(ROOT, "main.js")), [
      path.join(ROOT, "index.ts"),
      path.join(ROOT, "loader.js"),
    ]);
    assert.ok(graph.get(path.join(ROOT, "index.ts"))?.includes(path.join(ROOT, "components/stack.ts")));
    assert.ok(files.length > 100, `${files.length} files`);
  });

  it("has no circle", () => {
    assert.deepEqual(
      circles(graph).map((c) => c.map(rel)),
      [],
    );
  });

  it("has no import that runs back up a layer", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = rel(file);
      const never = LAYERS.filter((l) => from.startsWith(l.layer)).flatMap((l) => l.never);
      for (const target of targets.map(rel)) {
        if (never.some((n) => target.startsWith(n))) wrong.push(`${from} -> ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("finds a planted circle, through type imports and re-exports too", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-imports-"));
    try {
      fs.writeFileSync(path.join(dir, "a.ts"), 'import type { B } from "./b";\nexport type A = B;\n');
      fs.writeFileSync(path.join(dir, "b.ts"), 'export { c } from "./c";\nexport type B = string;\n');
      fs.writeFileSync(path.join(dir, "c.ts"), 'import { a } from "./sub";\nexport const c = a;\n');
      fs.mkdirSync(path.join(dir, "sub"));
      fs.writeFileSync(path.join(dir, "sub", "index.ts"), 'import type { A } from "../a";\nexport const a: A = "x";\n');
      fs.writeFileSync(path.join(dir, "d.ts"), 'import { c } from "./c";\nexport const d = c;\n');
      const found = circles(importGraph(sourceFiles(dir, ["."])));
      assert.deepEqual(
        found.map((c) => c.map((f) => path.relative(dir, f))),
        [["a.ts", "b.ts", "c.ts", path.join("sub", "index.ts")]],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
