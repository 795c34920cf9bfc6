// `npm run bench`: how the program's cost grows with the number of jobs, and what a
// `pulumi preview` waits for before the engine starts. Prints numbers; never fails on speed.
//
// For 1, 10, 100 and 500 generated jobs (500 is the most a stack may hold; a realistic mix:
// multi-node, staged sources, secrets, NetworkPolicies), and 1,000 with that limit lifted for the
// measurement (the program itself refuses them), each size runs in its own process: the real
// program under the SDK's mock runtime (as render does), timed to the last registered resource, with
// its peak RSS; as a floor, the same manifests built by the pure builders and serialized to YAML; and,
// as a peer, a plain program registering the objects the program declares, one resource each, under
// the same mocks, in a process of its own. Then start-up: process start to the first registered
// resource for the dev stack under ts-node (Pulumi's default, and transpile only as Pulumi.yaml runs
// it), tsx and precompiled JavaScript; and `npm run render` of the air-gapped stack, cold and warm.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { buildPrepareJob, buildStagingJob } from "../components/builders/dataJobs";
import {
  buildDefaultDenyPolicy,
  buildDnsPolicy,
  buildServiceAccount,
  buildStagingPolicy,
  buildTrainingPolicy,
  podSecurityLabels,
  podSecurityLevel,
} from "../components/builders/security";
import {
  buildHfTokenSecret,
  buildNamespace,
  buildPersistentVolumeClaim,
  buildS3CredentialsSecret,
} from "../components/builders/storage";
import { buildPyTorchJob } from "../components/builders/v1/pytorchJob";
import { type InstructLabTrainer, MAX_JOBS, parseStackConfig } from "../components/config";
import { type DeclaredObject, declaredObjects, engineBench } from "./engineBench";
import { runProgram, type StackConfig } from "./mockRun";
import { renderReport } from "./renderBench";

const ROOT = path.resolve(__dirname, "..");
/** The mock part's sizes: up to the most jobs one stack may hold, and twice that. */
export const MOCK_SIZES = [1, 10, 100, MAX_JOBS, 2 * MAX_JOBS];
const ENGINE_SIZES = [1, 10, 100];

/** A stack of `n` jobs in a realistic mix, as the engine would pass its config. */
export function generateStack(n: number): { config: StackConfig; secretKeys: string[] } {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const base = { image: `registry.example.com/ml/trainer:1.${i % 7}`, output: { size: "100Gi" } };
    switch (i % 4) {
      case 0:
        jobs[`job-${i}`] = {
          ...base,
          nodes: 2,
          gpusPerNode: 8,
          resources: { cpu: "32", memory: "512Gi" },
          model: { source: "hf://ibm-granite/granite-3.1-8b-base@main", size: "40Gi", storageClass: "nfs" },
          dataset: { source: `s3://data/run-${i}`, endpoint: "https://minio.example.com:9000", size: "10Gi" },
          trainer: { type: "instructlab", epochs: 2, learningRate: 0.00002 },
          wait: "running",
          scheduling: { gang: true, queue: "research", schedulerName: "volcano" },
        };
        break;
      case 1:
        jobs[`job-${i}`] = {
          ...base,
          model: { existingClaim: "shared-models" },
          dataset: { existingClaim: "shared-data" },
          trainer: { type: "command", command: ["torchrun", "train.py", `--seed=${i}`] },
          env: { NCCL_DEBUG: "WARN" },
        };
        break;
      case 2:
        jobs[`job-${i}`] = {
          ...base,
          nodes: 4,
          gpuResource: "amd.com/gpu",
          gpusPerNode: 8,
          model: { source: "pvc://shared-models/granite" },
          dataset: { size: "20Gi" },
          output: { size: "1Ti", storageClass: "nfs" },
          trainer: { type: "instructlab", maxSeqLen: 8192 },
          wait: "succeeded",
          timeout: "48h",
        };
        break;
      default:
        jobs[`job-${i}`] = {
          ...base,
          dataset: { source: `s3://data/sweep-${i}`, size: "5Gi" },
          trainer: { type: "command", command: ["python", "-m", "sweep", `--trial=${i}`] },
          rerun: `trial-${i}`,
        };
    }
  }
  return {
    config: {
      "finetune:namespace": "bench",
      "finetune:networkPolicy": "true",
      "finetune:hfToken": "hf_bench",
      "finetune:s3AccessKeyId": "AKIA_BENCH",
      "finetune:s3SecretAccessKey": "bench",
      "finetune:jobs": JSON.stringify(jobs),
    },
    secretKeys: ["finetune:hfToken", "finetune:s3AccessKeyId", "finetune:s3SecretAccessKey"],
  };
}

/** The floor: the same manifests from the pure builders, as plain objects, serialized to YAML. */
export function baseline(config: StackConfig, secretKeys: string[]): number {
  const secrets = new Set(secretKeys.map((k) => k.replace(/^finetune:/, "")));
  const parsed = parseStackConfig(config, secrets, undefined, Number.POSITIVE_INFINITY);
  const ns = parsed.namespace;
  const jobs = Object.entries(parsed.jobs);
  const objects: unknown[] = [
    buildNamespace(ns, podSecurityLabels(podSecurityLevel(jobs.map(([, j]) => j)))),
    buildServiceAccount(ns),
    buildHfTokenSecret(ns, "[secret]"),
    buildS3CredentialsSecret(ns, "[secret]", "[secret]"),
    buildDefaultDenyPolicy(ns),
    buildDnsPolicy(ns),
  ];
  for (const [name, job] of jobs) {
    for (const role of ["model", "dataset", "output"] as const) {
      const v = job[role];
      if (v?.kind === "new") objects.push(buildPersistentVolumeClaim(name, role, v, ns));
    }
    for (const role of ["model", "dataset"] as const) {
      const v = job[role];
      if (v?.fetch) {
        objects.push(
          buildStagingJob({
            job: name,
            role,
            volume: v,
            source: v.fetch,
            image: job.image,
            namespace: ns,
            secrets: { hfToken: true, s3Credentials: true },
            imagePullSecrets: false,
          }),
        );
      }
    }
    if (job.trainer.type === "instructlab" && job.trainer.processData && job.model && job.dataset) {
      const trainer = job.trainer as InstructLabTrainer;
      objects.push(
        buildPrepareJob({
          name,
          namespace: ns,
          job: { ...job, trainer, model: job.model, dataset: job.dataset },
          imagePullSecrets: false,
        }),
      );
    }
    objects.push(buildPyTorchJob({ name, namespace: ns, job, hfToken: true }));
    objects.push(buildTrainingPolicy(name, ns));
    const staging = buildStagingPolicy(
      name,
      ns,
      [job.model?.fetch, job.dataset?.fetch].filter((f) => f !== undefined),
    );
    if (staging) objects.push(staging);
  }
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n").length;
}

interface SizeResult {
  jobs: number;
  resources: number;
  wallMs: number;
  floorMs: number;
  peakRssMb: number;
}

/** Child mode: one size, timed in a fresh process. */
async function measureSize(n: number): Promise<SizeResult> {
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

/** A resource of any type, as a plain program declares one. */
class PlainResource extends pulumi.CustomResource {}

/** The plain peer's numbers at one size. */
interface PlainResult {
  resources: number;
  wallMs: number;
  peakRssMb: number;
}

/**
 * Child mode: the plain peer, in a fresh process. The objects the program declares (read from
 * `file`), registered as one resource each after their namespace, with their retention, under mocks
 * that answer as the program's do (the inputs as the state), timed to the last registered resource.
 */
export async function measurePlain(file: string): Promise<PlainResult> {
  const start = performance.now();
  const objects = JSON.parse(fs.readFileSync(file, "utf8")) as DeclaredObject[];
  let resources = 0;
  let last = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources++;
        last = performance.now();
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "plain",
    "bench",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    let namespace: pulumi.Resource | undefined;
    for (const o of objects) {
      const opts = { retainOnDelete: o.retainOnDelete, dependsOn: namespace ? [namespace] : [] };
      const r = new PlainResource(o.type, o.name, o.inputs, opts);
      if (o.inputs.kind === "Namespace") namespace = r;
    }
    return {};
  });
  await pulumi.runtime.disconnect();
  return { resources, wallMs: last - start, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function runChild(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

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
function startupRuns(): { name: string; cold: number; warm: number; note: string }[] {
  // Inside the project, so that the compiled files resolve node_modules.
  const out = path.join(ROOT, "bin", "bench");
  fs.rmSync(out, { recursive: true, force: true });
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const buildStart = performance.now();
  runChild([tsc, "-p", "tsconfig.json", "--outDir", out]);
  const buildMs = performance.now() - buildStart;
  const tsNode = JSON.stringify(path.join(ROOT, "node_modules/@pulumi/pulumi/vendor/ts-node@7.0.1"));
  const register = (project: string, extra: string) =>
    `require(${tsNode}).register({ project: "${project}", compiler: "typescript"${extra} }); require("./tools/startup.ts");`;
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
      args: ["--import", "tsx", "tools/startup.ts"],
      cold: { TSX_DISABLE_CACHE: "1" },
      note: "",
    },
    {
      name: "precompiled JavaScript",
      args: [path.join(out, "tools/startup.js")],
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

async function main(): Promise<void> {
  const childAt = process.argv.indexOf("--size");
  if (childAt >= 0) {
    process.stdout.write(JSON.stringify(await measureSize(Number(process.argv[childAt + 1]))));
    return;
  }
  const plainAt = process.argv.indexOf("--plain");
  if (plainAt >= 0) {
    process.stdout.write(JSON.stringify(await measurePlain(process.argv[plainAt + 1])));
    return;
  }
  console.log(
    `finetune benchmark: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node.js ${process.version}`,
  );
  // `--engine` runs only the real-engine part, `--mocks` only the mock-runtime part.
  if (!process.argv.includes("--engine")) await mockBench();
  if (!process.argv.includes("--mocks")) {
    console.log("");
    // `--engine-sizes=1,10` measures other sizes than 1, 10 and 100.
    const sizes = process.argv.find((a) => a.startsWith("--engine-sizes="))?.slice("--engine-sizes=".length);
    await engineBench(sizes ? sizes.split(",").map(Number) : ENGINE_SIZES);
  }
}

/** Runs `once` (a child printing a JSON object of numbers) `times` times: each number's median. */
export function medianOf<T>(times: number, once: () => string): T {
  const runs = Array.from({ length: times }, () => JSON.parse(once()) as Record<string, number>);
  return Object.fromEntries(
    Object.keys(runs[0]).map((k) => [k, runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(times / 2)]]),
  ) as T;
}

async function mockBench(): Promise<void> {
  const results: SizeResult[] = [];
  const plains: PlainResult[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-bench-"));
  try {
    for (const n of MOCK_SIZES) {
      // Peak RSS moves with the garbage collector's timing (by a quarter between runs at 500 jobs):
      // the median of three runs, each number on its own.
      const r = medianOf<SizeResult>(3, () => runChild(["--import", "tsx", "tools/bench.ts", "--size", String(n)]));
      results.push(r);
      const { config, secretKeys } = generateStack(n);
      const file = path.join(dir, `objects-${n}.json`);
      const objects = await declaredObjects(config, secretKeys, { maxJobs: n });
      fs.writeFileSync(file, JSON.stringify(objects));
      const p = medianOf<PlainResult>(3, () => runChild(["--import", "tsx", "tools/bench.ts", "--plain", file]));
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

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
