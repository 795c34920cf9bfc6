// Runs the benchmark's child processes from the project root, and takes medians of their numbers.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** The project root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** Runs node with `args` in the project root; its stdout, or an error with its stderr. */
export function runChild(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

/** A number with `digits` decimals. */
export const fmt = (n: number, digits = 2) => n.toFixed(digits);

/** Runs `once` (a child printing a JSON object of numbers) `times` times: each number's median. */
export function medianOf<T>(times: number, once: () => string): T {
  const runs = Array.from({ length: times }, () => JSON.parse(once()) as Record<string, number>);
  return Object.fromEntries(
    Object.keys(runs[0]).map((k) => [k, runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(times / 2)]]),
  ) as T;
}
