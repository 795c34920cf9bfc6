// The project's import graph, read with the TypeScript compiler's own pre-processor (every
// `import`, `import type`, `export ... from`, `require` and dynamic `import()` with a literal), and
// its circles: strongly connected components of more than one file, or a file that imports itself.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const SOURCE = /\.(ts|js|cjs|mjs)$/;

/** Every source file under `dirs` (relative to `root`), skipping node_modules and .d.ts files. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (at: string): void => {
    const stat = fs.statSync(at, { throwIfNoEntry: false });
    if (stat?.isFile()) {
      if (SOURCE.test(at) && !at.endsWith(".d.ts")) out.push(at);
      return;
    }
    if (!stat?.isDirectory() || path.basename(at) === "node_modules") return;
    for (const entry of fs.readdirSync(at).sort()) walk(path.join(at, entry));
  };
  for (const dir of dirs) walk(path.join(root, dir));
  return out;
}

/** For each file, the files of the project it imports (absolute paths). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const options: ts.CompilerOptions = { allowJs: true, moduleResolution: ts.ModuleResolutionKind.Node10 };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved !== undefined && known.has(path.resolve(resolved))) targets.add(path.resolve(resolved));
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The circles of a graph (Tarjan's strongly connected components), each sorted, in a stable order. */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}
