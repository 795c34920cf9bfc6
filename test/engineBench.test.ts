// The real-engine benchmark's own logic (tools/bench/engine.ts): where it finds the toolchain, how it
// names processes and reads their peak memory, the stacks and objects it measures, and the lines it
// prints. The measurements themselves run only in `npm run bench`.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  declaredObjects,
  engineStack,
  type Measured,
  measure,
  peakRssMb,
  report,
  role,
  type SizeRun,
  summary,
  toolchainBin,
} from "../tools/bench/engine";
import { withoutRecord } from "./support/stacks";

const TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "kube-apiserver", "etcd", "node"];

const m = (seconds: number, peaks: Record<string, number> = {}): Measured => ({
  seconds,
  code: 0,
  output: "",
  peaks,
});

describe("real-engine benchmark", () => {
  it("finds the toolchain in FINETUNE_E2E_CACHE only when every binary it needs is there", () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cache-"));
    fs.mkdirSync(path.join(cache, "bin"));
    for (const t of TOOLS.slice(0, -1)) fs.writeFileSync(path.join(cache, "bin", t), "");
    assert.equal(toolchainBin({ FINETUNE_E2E_CACHE: cache }), undefined);
    fs.writeFileSync(path.join(cache, "bin", "node"), "");
    assert.equal(toolchainBin({ FINETUNE_E2E_CACHE: cache }), path.join(cache, "bin"));
    assert.equal(toolchainBin({ HOME: cache }), undefined);
    fs.rmSync(cache, { recursive: true });
  });

  it("names each process of a Pulumi command by its comm", () => {
    assert.deepEqual(["pulumi", "pulumi-resource", "pulumi-language", "node", "MainThread", "kubectl"].map(role), [
      "engine",
      "provider",
      "language host",
      "program",
      "program",
      "kubectl",
    ]);
  });

  it("reads the peak RSS from /proc/PID/status", () => {
    assert.equal(peakRssMb("Name:\tnode\nVmPeak:\t 900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  100 kB\n"), 200);
    assert.equal(peakRssMb("Name:\tkthreadd\n"), 0);
    assert.ok(peakRssMb(fs.readFileSync("/proc/self/status", "utf8")) > 10);
  });

  it("measures a command's time, exit code, output and the peak memory of its processes", async () => {
    const r = await measure(
      process.execPath,
      ["-e", "const b = Buffer.alloc(64 * 2 ** 20, 1); setTimeout(() => console.log(b[0]), 400)"],
      process.cwd(),
      process.env,
    );
    assert.equal(r.code, 0);
    assert.equal(r.output, "1\n");
    assert.ok(r.seconds >= 0.4, String(r.seconds));
    assert.deepEqual(Object.keys(r.peaks), ["program"]);
    assert.ok(r.peaks.program > 64, String(r.peaks.program));
  });

  it("generates the stack it deploys: skipAwait, nothing awaited, no operator install", () => {
    const stack = engineStack(4, "bench-program-4", "e2e");
    assert.deepEqual(stack.finetune.cluster, { context: "e2e", skipAwait: true });
    assert.deepEqual(stack.finetune.trainingOperator, { install: false });
    // wait: none, and so no timeout (refused with it).
    const jobs = stack.finetune.jobs as Record<string, { wait: string; timeout?: string }>;
    assert.deepEqual(
      Object.entries(jobs).map(([k, j]) => `${k}=${j.wait} ${j.timeout}`),
      ["job-0=none undefined", "job-1=none undefined", "job-2=none undefined", "job-3=none undefined"],
    );
    assert.deepEqual(Object.keys(stack.secrets), [
      "finetune:hfToken",
      "finetune:s3AccessKeyId",
      "finetune:s3SecretAccessKey",
    ]);
    assert.equal(stack.flat["finetune:namespace"], "bench-program-4");
  });

  it("gives the peers the objects the program declares, secrets unwrapped", async () => {
    const stack = engineStack(1, "bench-kubectl-1", "e2e");
    const objects = await declaredObjects(stack.flat, stack.secretKeys);
    assert.deepEqual(
      objects.map((o) => `${o.type} ${o.name}`),
      [
        "kubernetes:core/v1:Namespace bench-kubectl-1",
        "kubernetes:core/v1:ServiceAccount bench-kubectl-1-service-account",
        "kubernetes:core/v1:Secret bench-kubectl-1-hf-token",
        "kubernetes:core/v1:Secret bench-kubectl-1-s3-credentials",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy bench-kubectl-1-default-deny",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy bench-kubectl-1-allow-dns",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy job-0-training",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy job-0-staging",
        "kubernetes:core/v1:PersistentVolumeClaim job-0-model",
        "kubernetes:core/v1:PersistentVolumeClaim job-0-dataset",
        "kubernetes:core/v1:PersistentVolumeClaim job-0-output",
        "kubernetes:batch/v1:Job job-0-stage-model",
        "kubernetes:batch/v1:Job job-0-stage-dataset",
        "kubernetes:batch/v1:Job job-0-prepare",
        "kubernetes:kubeflow.org/v1:PyTorchJob job-0-pytorchjob",
      ],
    );
    const token = objects.find((o) => o.name === "bench-kubectl-1-hf-token")?.inputs;
    assert.deepEqual(token?.stringData, { token: "hf_bench" });
    // What the engine's run of the program's transforms gives every object: its creator, and
    // cluster.skipAwait's annotations.
    for (const o of objects) {
      assert.deepEqual(
        withoutRecord((o.inputs.metadata as { annotations?: Record<string, string> }).annotations),
        {
          "finetune/stack": "organization/finetune/bench",
          "pulumi.com/skipAwait": "true",
          "pulumi.com/deletionPropagationPolicy": "background",
        },
        o.name,
      );
    }
  });

  it("prints a row per peer and the ratios, and ends with the two summary lines of the recommended setting", () => {
    const skip = "program, PULUMI_SKIP_CHECKPOINTS=true";
    const p32 = "program, PULUMI_SKIP_CHECKPOINTS=true --parallel 32";
    const run: SizeRun = {
      jobs: 100,
      objects: 686,
      steps: {
        "first preview": {
          program: m(40.8),
          [skip]: m(20.1),
          [p32]: m(20.5),
          plain: m(38.2),
          kubectl: m(19.9),
          "kubectl --validate=false": m(3.8),
        },
        up: {
          program: m(156.7, { program: 545, engine: 483, provider: 120, "language host": 60 }),
          [skip]: m(21.4, { program: 590, engine: 380, provider: 250 }),
          [p32]: m(19.2),
          plain: m(153.4, { program: 431, engine: 444, provider: 118 }),
          kubectl: m(22.9, { kubectl: 79 }),
          "kubectl --validate=false": m(6.8),
        },
        "no-change preview": {
          program: m(22.1),
          [skip]: m(19.9, { engine: 502 }),
          [p32]: m(22.3),
          plain: m(24.5),
          kubectl: m(21.3),
          "kubectl --validate=false": m(4),
        },
        destroy: {
          program: m(30),
          [skip]: m(30.1),
          [p32]: m(31.1),
          plain: m(29),
          kubectl: m(5),
          "kubectl --validate=false": m(4.5),
        },
      },
    };
    assert.deepEqual(report(run), [
      "jobs=100 (686 objects)",
      "                                                             first preview                 up  no-change preview            destroy  peak memory",
      "  program                                                           40.8 s            156.7 s             22.1 s             30.0 s  program 545 MB, engine 483 MB, provider 120 MB",
      "  program, PULUMI_SKIP_CHECKPOINTS=true                             20.1 s             21.4 s             19.9 s             30.1 s  program 590 MB, engine 502 MB, provider 250 MB",
      "  program, PULUMI_SKIP_CHECKPOINTS=true --parallel 32               20.5 s             19.2 s             22.3 s             31.1 s",
      "  plain                                                             38.2 s            153.4 s             24.5 s             29.0 s  program 431 MB, engine 444 MB, provider 118 MB",
      "  kubectl                                                           19.9 s             22.9 s             21.3 s              5.0 s  kubectl 79 MB",
      "  kubectl --validate=false                                           3.8 s              6.8 s              4.0 s              4.5 s",
      "  program / kubectl                                                   2.1x               6.8x               1.0x               6.0x",
      "  recommended / kubectl                                               1.0x               0.9x               0.9x               6.0x",
      "  program / plain                                                     1.1x               1.0x               0.9x               1.0x",
    ]);
    assert.deepEqual(summary(run), [
      "by default:",
      "  up at 100 jobs: 156.7 s (kubectl apply: 22.9 s, ratio 6.8)",
      "  preview at 100 jobs: 40.8 s (kubectl dry-run: 19.9 s, ratio 2.1)",
      "with the recommended setting (docs/performance.md), PULUMI_SKIP_CHECKPOINTS=true:",
      "up at 100 jobs: 21.4 s (kubectl apply: 22.9 s, ratio 0.9)",
      "preview at 100 jobs: 20.1 s (kubectl dry-run: 19.9 s, ratio 1.0)",
    ]);
  });
});
