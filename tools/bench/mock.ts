// The benchmark's mock-runtime part: for each size, the real program under the SDK's mock runtime
// (as render does) in a fresh process, timed to the last registered resource, with its peak RSS,
// beside the floor and the plain peer; then start-up and render.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MAX_JOBS } from "../../components/config";
import { runProgram } from "../mockRun";
import { fmt, medianOf, ROOT, runChild } from "./child";
import { declaredObjects } from "./engine";
import { baseline } from "./floor";
import type { PlainResult } from "./plain";
import { renderReport } from "./render";
import { generateStack } from "./stacks";
import { startupRuns } from "./startup";

/** The sizes the mock runtime part measures: 1,000 is past the limit, lifted for the measurement. */
export const MOCK_SIZES = [1, 10, 100, MAX_JOBS, 2 * MAX_JOBS];

export interface SizeResult {
  jobs: number;
  resources: number;
  wallMs: number;
  floorMs: number;
  peakRssMb: number;
}

/** Child mode: one size, timed in a fresh process. */
export async function measureSize(n: number): Promise<SizeResult> {
  const { config, secretKeys } = generateStack(n);
  let resources = 0;
  let last = 0;
  const start = performance.now();
  await runProgram(config, secretKeys, {
    stack: "bench",
    maxJobs: Math.max(n, MAX_JOBS),
    onRegister: () => {
      resources++;
      last = performance.now();
    },
  });
  const wallMs = last - start;
  // The program's peak, before the floor adds its own objects to the process.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const floorStart = performance.now();
  baseline(config, secretKeys);
  const floorMs = performance.now() - floorStart;
  return { jobs: n, resources, wallMs, floorMs, peakRssMb };
}

/** The mock-runtime part, each size in children of its own. */
export async function mockBench(): Promise<void> {
  const results: SizeResult[] = [];
  const plains: PlainResult[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-bench-"));
  try {
    for (const n of MOCK_SIZES) {
      // Peak RSS moves with the garbage collector's timing (docs/performance.md says by how much):
      // the median of three runs, each number on its own.
      const r = medianOf<SizeResult>(3, () =>
        runChild(["--import", "tsx", "tools/bench/main.ts", "--size", String(n)]),
      );
      results.push(r);
      const { config, secretKeys } = generateStack(n);
      const file = path.join(dir, `objects-${n}.json`);
      const objects = await declaredObjects(config, secretKeys, { maxJobs: n });
      fs.writeFileSync(file, JSON.stringify(objects));
      const p = medianOf<PlainResult>(3, () => runChild(["--import", "tsx", "tools/bench/main.ts", "--plain", file]));
      plains.push(p);
      console.log(
        `jobs=${String(n).padStart(4)}  resources=${String(r.resources).padStart(5)}  wall=${fmt(r.wallMs, 0).padStart(6)} ms` +
          `  per-job=${fmt(r.wallMs / n).padStart(7)} ms  peak RSS=${fmt(r.peakRssMb, 0).padStart(4)} MB` +
          `  floor per-job=${fmt(r.floorMs / n, 3)} ms  program/floor=${fmt(r.wallMs / r.floorMs, 1)}x` +
          `  plain: resources=${p.resources} wall=${fmt(p.wallMs, 0)} ms peak RSS=${fmt(p.peakRssMb, 0)} MB` +
          `  program/plain: wall ${fmt(r.wallMs / p.wallMs)}x, peak RSS ${fmt(r.peakRssMb / p.peakRssMb)}x`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const largest = MOCK_SIZES[MOCK_SIZES.length - 1];
  const at = (n: number) => results.find((r) => r.jobs === n) as SizeResult;
  const perLargest = at(largest).wallMs / largest;
  const per100 = at(100).wallMs / 100;
  console.log("");
  console.log("start-up, process start to first registered resource, dev stack (median of 3, cold / warm cache):");
  const startup = startupRuns();
  for (const s of startup) {
    console.log(`  ${s.name.padEnd(58)} ${fmt(s.cold, 0).padStart(6)} ms / ${fmt(s.warm, 0).padStart(5)} ms ${s.note}`);
  }
  console.log("");
  console.log(renderReport(ROOT));
  console.log("");
  console.log(
    `growth: per-job cost at ${largest} jobs is ${fmt(perLargest / per100)}x that at 100 jobs (flat is 1.00x); floor ratio at ${largest} jobs: ${fmt(at(largest).wallMs / at(largest).floorMs, 1)}x`,
  );
  console.log(
    `per-job: ${fmt(perLargest)} ms at ${largest} jobs, ${fmt(per100)} ms at 100 jobs; peak RSS at ${largest} jobs: ${fmt(at(largest).peakRssMb, 0)} MB (plain program: ${fmt(plains[plains.length - 1].peakRssMb, 0)} MB, ratio ${fmt(at(largest).peakRssMb / plains[plains.length - 1].peakRssMb)})`,
  );
}
