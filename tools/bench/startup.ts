// The benchmark's start-up part: process start to the first registered resource for the dev stack,
// under ts-node (Pulumi's default, and transpile only as Pulumi.yaml runs it), tsx and precompiled
// JavaScript, cold and warm.
import * as fs from "node:fs";
import * as path from "node:path";
import { fmt, ROOT, runChild } from "./child";

/** Median of three runs of the start-up probe. */
function startupMedian(args: string[], env: NodeJS.ProcessEnv): number {
  const samples = [0, 1, 2].map(() => Number(JSON.parse(runChild(args, env)).firstResourceMs));
  samples.sort((a, b) => a - b);
  return samples[1];
}

/**
 * Start-up: process start to first registered resource, for each way of running the program, cold
 * (compile caches disabled, as on a fresh CI runner) and warm (caches filled, as on a laptop).
 */
export function startupRuns(): { name: string; cold: number; warm: number; note: string }[] {
  // Inside the project, so that the compiled files resolve node_modules.
  const out = path.join(ROOT, "bin", "bench");
  fs.rmSync(out, { recursive: true, force: true });
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const buildStart = performance.now();
  runChild([tsc, "-p", "tsconfig.json", "--outDir", out]);
  const buildMs = performance.now() - buildStart;
  const tsNode = JSON.stringify(path.join(ROOT, "node_modules/@pulumi/pulumi/vendor/ts-node@7.0.1"));
  const register = (project: string, extra: string) =>
    `require(${tsNode}).register({ project: "${project}", compiler: "typescript"${extra} }); require("./tools/bench/probe.ts");`;
  const runners = [
    {
      name: "ts-node (Pulumi's default for TypeScript, type-checking)",
      args: ["-e", register("tsconfig.json", "")],
      cold: { TS_NODE_CACHE: "false" },
      note: "",
    },
    {
      // As the SDK's runner registers it for Pulumi.yaml: tsconfig.pulumi.json, whose noCheck it
      // passes on as transpileOnly.
      name: "ts-node, transpile only (chosen: tsconfig.pulumi.json)",
      args: ["-e", register("tsconfig.pulumi.json", ", transpileOnly: true")],
      cold: { TS_NODE_CACHE: "false" },
      note: "",
    },
    {
      name: "tsx",
      args: ["--import", "tsx", "tools/bench/probe.ts"],
      cold: { TSX_DISABLE_CACHE: "1" },
      note: "",
    },
    {
      name: "precompiled JavaScript",
      args: [path.join(out, "tools/bench/probe.js")],
      cold: {},
      note: `(after ${fmt(buildMs / 1000, 1)} s of tsc)`,
    },
  ];
  return runners.map((r) => {
    const cold = startupMedian(r.args, { ...process.env, ...r.cold });
    runChild(r.args); // fills the cache
    const warm = startupMedian(r.args, process.env);
    return { name: r.name, cold, warm, note: r.note };
  });
}
