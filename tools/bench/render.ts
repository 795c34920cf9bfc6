// The benchmark's render part: `npm run render` of the air-gapped stack (test/fixtures/Pulumi.gaudi.yaml:
// two jobs and the v1 operator installed from a local bundle, 3.5 MB of YAML), as a user types it,
// wall time from the command to its exit: warm, right after the install (its "prepare" filled the
// compile caches), and cold.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUNDLE_CACHE } from "../../components/config/bundleCache";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";

/** The stack the render part renders, relative to the project. */
export const AIR_GAPPED_STACK = "test/fixtures/Pulumi.gaudi.yaml";

/** Environment of a cold run: no compile cache (Node.js's, ts-node's); the bundle cache is emptied too. */
const COLD_ENV = { NODE_DISABLE_COMPILE_CACHE: "1", TS_NODE_CACHE: "false" };

export interface RenderTimes {
  /** Median wall time with every cache filled (a laptop's second run), ms. */
  readonly warmMs: number;
  /** Median wall time with the caches `npm ci` leaves (its "prepare"; no parsed bundle), ms. */
  readonly installedMs: number;
  /** Median wall time with none (an install with --ignore-scripts), ms. */
  readonly coldMs: number;
  /** Size of the render, bytes. */
  readonly bytes: number;
}

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

/** `npm run render` once, timed; throws when it fails or renders nothing. */
function renderOnce(root: string, out: string, env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync("npm", ["run", "-s", "render", "--", "--config", AIR_GAPPED_STACK, "--out", out], {
    cwd: root,
    encoding: "utf8",
    env,
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`npm run render failed (${result.status}):\n${result.stderr}`);
  return ms;
}

/** Times the render of the air-gapped stack, `times` runs each way (its bundle must exist). */
export function renderBench(root: string, times = 5): RenderTimes {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-bench-")), "render.yaml");
  try {
    const cold = Array.from({ length: times }, () => {
      if (BUNDLE_CACHE !== undefined) fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true });
      return renderOnce(root, out, { ...process.env, ...COLD_ENV });
    });
    const installed = Array.from({ length: times }, () => {
      // The parsed bundles and run.js's compile caches all live there.
      if (BUNDLE_CACHE !== undefined) fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true });
      const prepared = spawnSync("npm", ["run", "-s", "prepare"], { cwd: root, encoding: "utf8" });
      if (prepared.status !== 0 || prepared.stderr !== "")
        throw new Error(`npm run prepare failed:\n${prepared.stderr}`);
      return renderOnce(root, out, process.env);
    });
    renderOnce(root, out, process.env); // fills the caches
    const warm = Array.from({ length: times }, () => renderOnce(root, out, process.env));
    return {
      warmMs: median(warm),
      installedMs: median(installed),
      coldMs: median(cold),
      bytes: fs.statSync(out).size,
    };
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** The bench's line for the render: its times, or why it was skipped. */
export function renderReport(root: string): string {
  // The local operator bundle that stack installs (beside the project, as CI has it).
  if (!fs.existsSync(OPERATOR_V1_BUNDLE)) {
    return `air-gapped render: skipped: no operator bundle at ${path.relative(root, OPERATOR_V1_BUNDLE)}`;
  }
  const r = renderBench(root);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  return (
    `air-gapped render, npm run render -- --config ${AIR_GAPPED_STACK} (${(r.bytes / 1e6).toFixed(1)} MB, median of 5): ` +
    `warm ${s(r.warmMs)} s, after npm ci ${s(r.installedMs)} s (its prepare's compile caches, no parsed bundle), ` +
    `cold ${s(r.coldMs)} s (no compile cache, no parsed bundle)`
  );
}
