// Renders of many stacks, to show that a restructuring changed nothing the program declares or
// says: `write-stacks` writes a fixed set of generated stack files (valid stacks of every
// generation and stacks with a hostile value at any key path, from the fuzz generators with a
// fixed seed); `render` renders each given stack file as `npm run render -- --config FILE` would
// and writes its stdout, stderr and exit code to one file per stack. Render before and after the
// change into two folders and compare them with `diff -r`.
//
//   npx tsx test/support/goldenRenders.ts write-stacks DIR [COUNT]
//   npx tsx test/support/goldenRenders.ts render OUT STACK_FILE...
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { main } from "../../tools/render";
import { pathMutation, SECRET_VALUES, setAt, validStack } from "./fuzzStacks";

const SEED = 20261203;

/** A stack object as a stack file: secret keys as `secure:` values, as the CLI stores them. */
function stackFile(stack: Record<string, unknown>): string {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stack)) {
    config[`finetune:${key}`] = key in SECRET_VALUES ? { secure: "v1:golden" } : value;
  }
  return stringify({ config });
}

function writeStacks(dir: string, count: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const valid = fc.sample(validStack, { seed: SEED, numRuns: count });
  const hostile = fc
    .sample(fc.tuple(validStack, pathMutation), { seed: SEED + 1, numRuns: count })
    .map(([s, m]) => setAt(s, m.path, m.value));
  [...valid, ...hostile].forEach((stack, i) => {
    fs.writeFileSync(path.join(dir, `Pulumi.gen-${String(i).padStart(4, "0")}.yaml`), stackFile(stack));
  });
}

/** Runs the render's main with its output captured. */
async function capture(file: string): Promise<string> {
  let out = "";
  let err = "";
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    err += chunk;
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(["--config", file]);
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return `exit ${code}\n--- stderr\n${err}--- stdout\n${out}`;
}

async function renderAll(out: string, files: string[]): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  for (const file of files) {
    fs.writeFileSync(path.join(out, `${path.basename(file)}.render`), await capture(file));
  }
}

const [command, dir, ...rest] = process.argv.slice(2);
if (command === "write-stacks" && dir) writeStacks(dir, Number(rest[0] ?? 150));
else if (command === "render" && dir) void renderAll(dir, rest);
else {
  process.stderr.write("usage: goldenRenders.ts write-stacks DIR [COUNT] | render OUT STACK_FILE...\n");
  process.exitCode = 2;
}
