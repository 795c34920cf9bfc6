// `npm run bench`, second part: the real engine. On the end-to-end toolchain (Pulumi CLI, the
// Kubernetes provider, kube-apiserver and etcd on loopback, no controllers), for stacks of 1, 10 and
// 100 generated jobs (`cluster.skipAwait`, `wait: none`), it times a first preview, an up, a
// no-change preview and a destroy of this program, of a plain Pulumi program that registers the same
// objects as one resource each, and of `kubectl apply --server-side` of the same objects (with its
// default validation and with `--validate=false`), with the peak memory of each process.
// Prints numbers and ratios; never fails on speed.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { createProject } from "../../harness/cli";
import { type Cluster, startCluster, until } from "../../harness/cluster";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";
import { ProcessTree } from "../../harness/processTree";
import { isSecretValue, type RecordedResource, runProgram } from "../mockRun";
import { generateStack } from "./stacks";

const ROOT = path.resolve(__dirname, "..", "..");
const BUNDLE = OPERATOR_V1_BUNDLE;
/** What the toolchain must hold for this part. */
const TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "kube-apiserver", "etcd", "node"];

/** The toolchain's bin folder, or undefined when it has not been built. */
export function toolchainBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = path.join(env.FINETUNE_E2E_CACHE ?? path.join(env.HOME ?? "/root", ".cache", "finetune-e2e"), "bin");
  return TOOLS.every((t) => fs.existsSync(path.join(bin, t))) ? bin : undefined;
}

/** Who a process of a measured command is, from its `comm` (at most 15 characters). */
export function role(comm: string): string {
  if (comm === "pulumi") return "engine";
  if (comm.startsWith("pulumi-resource")) return "provider";
  if (comm.startsWith("pulumi-language")) return "language host";
  if (comm === "node" || comm === "MainThread") return "program";
  return comm;
}

/** The peak resident set (VmHWM) in MB from the text of /proc/PID/status. */
export function peakRssMb(status: string): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

/** One measured command. */
export interface Measured {
  readonly seconds: number;
  readonly code: number | null;
  readonly output: string;
  /** Peak RSS in MB by role (the largest process of each role). */
  readonly peaks: Record<string, number>;
}

/**
 * Runs a command, sampling the peak memory of every process it starts (the Pulumi CLI starts its
 * plugins in process groups of their own, so its process tree, not its group) every 100 ms.
 */
export function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Measured> {
  const start = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const peaks: Record<string, number> = {};
  const tree = new ProcessTree(child.pid as number);
  const timer = setInterval(() => {
    for (const p of tree.scan()) {
      try {
        const mb = peakRssMb(fs.readFileSync(`/proc/${p.pid}/status`, "utf8"));
        peaks[role(p.comm)] = Math.max(peaks[role(p.comm)] ?? 0, mb);
      } catch {
        // It ended meanwhile.
      }
    }
  }, 100);
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ seconds: (performance.now() - start) / 1000, code, output, peaks });
    });
  });
}

/** A Kubernetes object the program declares: its Pulumi type and name, inputs and retention. */
export interface DeclaredObject {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly retainOnDelete: boolean;
}

/**
 * The Kubernetes objects the program declares for a stack config, with the inputs the engine would
 * send: secrets unwrapped, the program's transforms applied (the fake engine runs them as the
 * engine does: the owner annotation, and with `cluster.skipAwait` its annotations).
 */
export async function declaredObjects(
  config: Record<string, string>,
  secretKeys: string[],
  { maxJobs }: { maxJobs?: number } = {},
): Promise<DeclaredObject[]> {
  const run = await runProgram(config, secretKeys, { stack: "bench", maxJobs });
  const unwrap = (v: unknown): unknown => {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
  };
  return run.resources
    .filter((r: RecordedResource) => r.custom && r.type.startsWith("kubernetes:"))
    .map((r) => ({
      type: r.type,
      name: r.name,
      inputs: unwrap(r.inputs) as Record<string, unknown>,
      retainOnDelete: r.options.retainOnDelete === true,
    }));
}

/** The bench's stack of `n` jobs in `namespace`: generated as the mock part's, awaiting nothing. */
export function engineStack(n: number, namespace: string, context: string) {
  const { config, secretKeys } = generateStack(n);
  const jobs = JSON.parse(config["finetune:jobs"]) as Record<string, Record<string, unknown>>;
  for (const job of Object.values(jobs)) {
    job.wait = "none";
    delete job.timeout;
  }
  const finetune: Record<string, unknown> = {
    namespace,
    networkPolicy: true,
    cluster: { context, skipAwait: true },
    trainingOperator: { install: false },
    jobs,
  };
  const secrets = Object.fromEntries(secretKeys.map((k) => [k, config[k]]));
  const flat: Record<string, string> = { ...secrets };
  for (const [k, v] of Object.entries(finetune)) flat[`finetune:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return { finetune, secrets, flat, secretKeys };
}

const PLAIN_PROGRAM = `// The peer: the same objects, one resource each, the namespaced ones after their namespace.
const pulumi = require("@pulumi/pulumi");
const k8s = require("@pulumi/kubernetes");
const objects = require("./objects.json");
const provider = new k8s.Provider("cluster", { context: process.env.BENCH_CONTEXT, enableServerSideApply: true });
let namespace;
for (const o of objects) {
  const opts = { provider, retainOnDelete: o.retainOnDelete, dependsOn: namespace ? [namespace] : [] };
  const r = new pulumi.CustomResource(o.type, o.name, o.inputs, opts);
  if (o.inputs.kind === "Namespace") namespace = r;
}
`;

/** One size's numbers: seconds per step and peer, and peak memory. */
export interface SizeRun {
  readonly jobs: number;
  readonly objects: number;
  readonly steps: Record<string, Record<string, Measured>>;
}

const STEPS = ["first preview", "up", "no-change preview", "destroy"] as const;

/** The setting docs/performance.md recommends for large stacks, measured as a peer of its own. */
export const RECOMMENDED = "program, PULUMI_SKIP_CHECKPOINTS=true";

/** This program's runs: as users run it by default, and with each setting measured. */
const PROGRAM_PEERS: readonly { key: string; slug: string; env: NodeJS.ProcessEnv; args: string[] }[] = [
  { key: "program", slug: "program", env: {}, args: [] },
  { key: RECOMMENDED, slug: "skip", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, args: [] },
  {
    key: "program, PULUMI_SKIP_CHECKPOINTS=true --parallel 32",
    slug: "skip-p32",
    env: { PULUMI_SKIP_CHECKPOINTS: "true" },
    args: ["--parallel", "32"],
  },
];

/** Every peer, in the order the report lists them. */
export const PEERS = [...PROGRAM_PEERS.map((p) => p.key), "plain", "kubectl", "kubectl --validate=false"];

async function runSize(cluster: Cluster, bin: string, n: number): Promise<SizeRun> {
  const ok = (m: Measured, what: string) => {
    if (m.code !== 0) throw new Error(`${what} failed (exit ${m.code}):\n${m.output.slice(-4000)}`);
    return m;
  };
  const steps: Record<string, Record<string, Measured>> = Object.fromEntries(STEPS.map((s) => [s, {}]));
  const pulumi = (dir: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
    measure("pulumi", [...args, "--non-interactive"], dir, env);
  // `destroy` adds `destroyArgs`: this program's destroy runs it (--run-program), for its delete guards.
  const lifecycle = async (
    key: string,
    dir: string,
    env: NodeJS.ProcessEnv,
    extra: string[] = [],
    destroyArgs: string[] = [],
  ) => {
    steps["first preview"][key] = ok(await pulumi(dir, env, "preview", ...extra), `${key} preview`);
    steps.up[key] = ok(await pulumi(dir, env, "up", "--yes", "--skip-preview", ...extra), `${key} up`);
    steps["no-change preview"][key] = ok(
      await pulumi(dir, env, "preview", "--expect-no-changes", ...extra),
      `${key} no-change preview`,
    );
    steps.destroy[key] = ok(
      await pulumi(dir, env, "destroy", "--yes", "--skip-preview", ...destroyArgs, ...extra),
      `${key} destroy`,
    );
  };

  // This program, through Pulumi.yaml, as users run it: a project and namespace per setting.
  let env: NodeJS.ProcessEnv = {};
  for (const peer of PROGRAM_PEERS) {
    const stack = engineStack(n, `bench-${peer.slug}-${n}`, cluster.context);
    const project = await createProject(cluster, bin, `bench-${peer.slug}-${n}`, `bench-${peer.slug}-${n}`);
    project.writeConfig(stack.finetune);
    for (const [k, v] of Object.entries(stack.secrets)) {
      const set = await project.pulumi("config", "set", "--secret", k, v);
      if (set.code !== 0) throw new Error(`pulumi config set ${k} failed:\n${set.output}`);
    }
    env = project.env;
    await lifecycle(peer.key, project.dir, { ...project.env, ...peer.env }, peer.args, ["--run-program"]);
  }

  // The plain program: the objects this program declares for its own namespace, one resource each.
  const plainStack = engineStack(n, `bench-plain-${n}`, cluster.context);
  const objects = await declaredObjects(plainStack.flat, plainStack.secretKeys);
  const plainDir = path.join(cluster.dir, "projects", `bench-plain-${n}`);
  fs.mkdirSync(plainDir, { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(plainDir, "node_modules"));
  fs.writeFileSync(
    path.join(plainDir, "Pulumi.yaml"),
    stringify({ name: "plain", runtime: { name: "nodejs", options: { typescript: false } }, main: "index.js" }),
  );
  fs.writeFileSync(path.join(plainDir, "index.js"), PLAIN_PROGRAM);
  fs.writeFileSync(path.join(plainDir, "package.json"), JSON.stringify({ name: "plain", main: "index.js" }));
  fs.writeFileSync(path.join(plainDir, "objects.json"), JSON.stringify(objects));
  const plainEnv = { ...env, BENCH_CONTEXT: cluster.context };
  ok(await pulumi(plainDir, plainEnv, "stack", "init", `bench-${n}`), "plain stack init");
  await lifecycle("plain", plainDir, plainEnv);

  // kubectl: the same objects in a namespace of its own, in the order the program registers them;
  // its delete spares what the program's destroy retains (the namespace, the output PVCs).
  let objectCount = 0;
  for (const [key, flags] of [
    ["kubectl", []],
    ["kubectl --validate=false", ["--validate=false"]],
  ] as const) {
    const ns = `bench-${key === "kubectl" ? "kubectl" : "novalidate"}-${n}`;
    const kubectlStack = engineStack(n, ns, cluster.context);
    const declared = await declaredObjects(kubectlStack.flat, kubectlStack.secretKeys);
    objectCount = declared.length;
    const write = (name: string, objects: typeof declared) => {
      const file = path.join(cluster.dir, `${ns}-${name}.yaml`);
      fs.writeFileSync(file, objects.map((o) => `---\n${stringify(o.inputs)}`).join(""));
      return file;
    };
    const all = write("all", declared);
    const deleted = write(
      "deleted",
      declared.filter((o) => !o.retainOnDelete),
    );
    const kubectl = (...args: string[]) =>
      measure("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], cluster.dir, process.env);
    // A server-side dry run of namespaced objects needs their namespace: created first, not timed.
    const namespace = write(
      "namespace",
      declared.filter((o) => o.inputs.kind === "Namespace"),
    );
    ok(await kubectl("apply", "--server-side", "-f", namespace), `${key} namespace`);
    const apply = ["apply", "--server-side", "--field-manager=bench", "-f", all, ...flags];
    steps["first preview"][key] = ok(await kubectl(...apply, "--dry-run=server"), `${key} dry-run`);
    steps.up[key] = ok(await kubectl(...apply), `${key} apply`);
    steps["no-change preview"][key] = ok(await kubectl(...apply, "--dry-run=server"), `${key} dry-run again`);
    steps.destroy[key] = ok(await kubectl("delete", "-f", deleted, "--wait=false"), `${key} delete`);
  }
  return { jobs: n, objects: objectCount, steps };
}

const s = (m: Measured | undefined) => (m ? `${m.seconds.toFixed(1)} s` : "-");
const ratio = (a: Measured | undefined, b: Measured | undefined) =>
  a && b ? `${(a.seconds / b.seconds).toFixed(1)}x` : "-";
/** The roles whose peak memory is reported, in order. */
const ROLES = ["program", "engine", "provider", "kubectl"];

/** The lines printed for one size: a row per peer (each step's time, peak memory), then the ratios. */
export function report(run: SizeRun): string[] {
  const width = Math.max(...PEERS.map((p) => p.length), "program / kubectl".length) + 2;
  const header = `  ${"".padEnd(width)}${STEPS.map((step) => step.padStart(19)).join("")}  peak memory`;
  const lines = [`jobs=${run.jobs} (${run.objects} objects)`, header];
  for (const peer of PEERS) {
    const peaks: Record<string, number> = {};
    for (const step of STEPS) {
      for (const [r, v] of Object.entries(run.steps[step][peer]?.peaks ?? {})) peaks[r] = Math.max(peaks[r] ?? 0, v);
    }
    const memory = ROLES.filter((r) => peaks[r] !== undefined)
      .map((r) => `${r} ${Math.round(peaks[r])} MB`)
      .join(", ");
    lines.push(
      `  ${peer.padEnd(width)}${STEPS.map((step) => s(run.steps[step][peer]).padStart(19)).join("")}  ${memory}`.trimEnd(),
    );
  }
  for (const [a, b] of [
    ["program", "kubectl"],
    [RECOMMENDED, "kubectl"],
    ["program", "plain"],
  ]) {
    const name = `${a === RECOMMENDED ? "recommended" : a} / ${b}`;
    lines.push(
      `  ${name.padEnd(width)}${STEPS.map((step) => ratio(run.steps[step][a], run.steps[step][b]).padStart(19)).join("")}`,
    );
  }
  return lines;
}

/** The closing lines, for the largest size: by default, then the last two with the recommended setting. */
export function summary(run: SizeRun): string[] {
  const lines = (key: string) => {
    const up = run.steps.up;
    const preview = run.steps["first preview"];
    return [
      `up at ${run.jobs} jobs: ${up[key].seconds.toFixed(1)} s (kubectl apply: ${up.kubectl.seconds.toFixed(1)} s, ratio ${(up[key].seconds / up.kubectl.seconds).toFixed(1)})`,
      `preview at ${run.jobs} jobs: ${preview[key].seconds.toFixed(1)} s (kubectl dry-run: ${preview.kubectl.seconds.toFixed(1)} s, ratio ${(preview[key].seconds / preview.kubectl.seconds).toFixed(1)})`,
    ];
  };
  return [
    "by default:",
    ...lines("program").map((l) => `  ${l}`),
    "with the recommended setting (docs/performance.md), PULUMI_SKIP_CHECKPOINTS=true:",
    ...lines(RECOMMENDED),
  ];
}

/** Runs the real-engine part for `sizes`, printing as it goes; a clear line when it cannot run. */
export async function engineBench(sizes: readonly number[]): Promise<void> {
  const bin = toolchainBin();
  if (!bin) {
    console.log(
      "real engine: skipped: the end-to-end toolchain is not built (bash test/e2e/toolchain/build.sh, about 35 minutes on 2 cores)",
    );
    return;
  }
  if (!fs.existsSync(BUNDLE)) {
    console.log(`real engine: skipped: ${BUNDLE} (the PyTorchJob CRD) is missing`);
    return;
  }
  console.log(
    "real engine: Pulumi CLI, Kubernetes provider, kube-apiserver and etcd on loopback from the end-to-end toolchain; cluster.skipAwait, wait: none",
  );
  const cluster = await startCluster(bin);
  try {
    const crd = parseAllDocuments(fs.readFileSync(BUNDLE, "utf8"))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .find((d) => d?.kind === "CustomResourceDefinition" && d.metadata?.name === "pytorchjobs.kubeflow.org");
    const crdFile = path.join(cluster.dir, "pytorchjob-crd.yaml");
    fs.writeFileSync(crdFile, stringify(crd));
    await cluster.kubectlAsync("apply", "--server-side", "-f", crdFile);
    await until(
      "the PyTorchJob CRD to be established",
      () =>
        cluster.kubectlAsync("wait", "--for=condition=Established", "crd/pytorchjobs.kubeflow.org").then(
          () => true,
          () => false,
        ),
      30_000,
    );
    let last: SizeRun | undefined;
    for (const n of sizes) {
      last = await runSize(cluster, bin, n);
      for (const line of report(last)) console.log(line);
    }
    if (last) for (const line of summary(last)) console.log(line);
  } finally {
    await cluster.stop();
  }
}
