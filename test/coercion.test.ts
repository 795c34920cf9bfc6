// Config values typed the way Pulumi stores them. `pulumi config set --path` stores integers as
// numbers, booleans as booleans and everything else (floats too) as text, `--type` forces a type,
// and hand-edited YAML is read as YAML 1.2: each value is accepted when it means a valid value.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "yaml";
import { parseConfig, parseStackConfig } from "../components/config";
import { runProgram } from "../tools/mockRun";
import { readStackFile } from "../tools/render";
import { problemsOf } from "./support/problems";

const FIXTURE = path.join(__dirname, "fixtures", "Pulumi.configset.yaml");
/** The keys only Kubeflow Trainer v2 reads, set the same way in a second stack. */
const FIXTURE_V2 = path.join(__dirname, "fixtures", "Pulumi.configset-v2.yaml");

const job = (extra: Record<string, unknown>) => ({
  image: "registry.example.com/ml/trainer:1.0",
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

describe("a stack written with pulumi config set (test/fixtures/config-set.sh, the real CLI)", () => {
  const { config, secretKeys } = readStackFile(FIXTURE);
  const parsed = parseStackConfig(config, new Set(secretKeys.map((k) => k.slice("finetune:".length))));
  const granite = parsed.jobs.granite;

  it("reads numbers where text is meant: quantities, env, labels, annotations, argv, rerun", () => {
    assert.deepEqual(granite.resources, { cpu: "8", memory: "512Gi" });
    assert.deepEqual(granite.env, { EPOCHS_HINT: "3", LR_HINT: "2e-5", DEBUG: "true" });
    assert.deepEqual(granite.labels, { team: "42" });
    assert.deepEqual(granite.annotations, { "example.com/ticket": "1001" });
    assert.equal(granite.model?.kind === "new" && granite.model.size, "100");
    assert.equal(parsed.jobs.sweep.output.kind === "new" && parsed.jobs.sweep.output.size, "50");
    assert.deepEqual(granite.scheduling.nodeSelector, { "gpu-count": "8" });
    assert.equal(granite.rerun, "2");
    assert.deepEqual(parsed.jobs.sweep.trainer.type === "command" && parsed.jobs.sweep.trainer.command, [
      "torchrun",
      "train.py",
      "--epochs",
      "3",
      "--lr",
      "1e-5",
    ]);
  });

  it("reads text where a number is meant, and numbers, booleans and types as stored", () => {
    assert.equal(granite.trainer.type, "instructlab");
    if (granite.trainer.type !== "instructlab") return;
    assert.equal(granite.trainer.learningRate, 2e-5);
    assert.equal(granite.trainer.epochs, 3);
    assert.deepEqual(granite.trainer.lora, { rank: 16, alpha: 32, dropout: 0.05, targetModules: ["q_proj", "v_proj"] });
    assert.equal(granite.trainer.isGranite, true);
    assert.equal(granite.trainer.checkpointAtEpoch, false);
    assert.equal(granite.trainer.onDemandCheckpointing, true);
    assert.equal(granite.terminationGracePeriodSeconds, 600);
    assert.equal(granite.runPolicy.activeDeadlineSeconds, 86400);
    assert.equal(granite.runPolicy.backoffLimit, 5);
    assert.equal(granite.runPolicy.restartPolicy, "ExitCode");
    assert.equal(granite.nodes, 2);
    assert.equal(granite.securityContext?.runAsUser, 1001);
    assert.deepEqual(granite.scheduling.tolerations, [
      { key: "nvidia.com/gpu", operator: "Exists", tolerationSeconds: 300, effect: "NoSchedule" },
    ]);
    assert.equal(parsed.networkPolicy, true);
    assert.equal(parsed.createNamespace, false);
    assert.equal(parsed.trainingOperator.install, false);
    assert.equal(parsed.hasHfToken, true);
  });
});

describe("every key of the config reference (docs/config.md), set with pulumi config set", () => {
  const { config, secretKeys } = readStackFile(FIXTURE);
  /** Dotted paths of every value in the fixtures, without the `finetune:` prefix. */
  const paths: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === "object" && v !== null && !("secure" in v)) {
      for (const [k, child] of Object.entries(v)) walk(child, Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`);
    } else paths.push(at);
  };
  for (const fixture of [FIXTURE, FIXTURE_V2]) {
    const raw = yaml.parse(fs.readFileSync(fixture, "utf8")).config as Record<string, unknown>;
    for (const [k, v] of Object.entries(raw)) walk(v, k.slice("finetune:".length));
  }

  /** A reference key as a pattern over those paths. */
  const pattern = (key: string) =>
    new RegExp(
      `^${key
        .replace(/[.[\]]/g, (c) => `\\${c}`)
        // A volume's keys are one schema: set for one volume, they are read alike for the others.
        .replace(/^jobs\\\.<job>\\\.(model|dataset|output)\\\./, "jobs\\.[^.]+\\.(model|dataset|output)\\.")
        .replace(/^jobs\\\.<job>/, "jobs\\.[^.]+")
        .replace(/^trainer/, "jobs\\.[^.]+\\.trainer")
        .replace(/^<source volume>/, "jobs\\.[^.]+\\.(model|dataset)")
        .replace(/^<volume>/, "jobs\\.[^.]+\\.(model|dataset|output)")
        .replace(/^(model|dataset|output)\\\./, "jobs\\.[^.]+\\.$1\\.")
        .replace(/<[a-z]+>/g, "[^.]+")}($|[.[])`,
    );
  const table = fs.readFileSync(path.join(__dirname, "..", "docs", "config.md"), "utf8");
  const keys = [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);

  it("the fixture sets each of them", () => {
    assert.ok(keys.length > 70, `${keys.length} keys`);
    assert.deepEqual(
      keys.filter((key) => !paths.some((p) => pattern(key).test(p))),
      [],
    );
  });

  it("and the program renders it", async () => {
    const run = await runProgram(config, secretKeys, { verifySecrets: false });
    assert.deepEqual(
      run.resources.filter((r) => r.type === "kubernetes:kubeflow.org/v1:PyTorchJob").map((r) => r.name),
      ["granite-pytorchjob", "sweep-pytorchjob"],
    );
  });

  it("and the program renders the Trainer v2 stack as meant", async () => {
    const v2 = readStackFile(FIXTURE_V2);
    const run = await runProgram(v2.config, v2.secretKeys, { verifySecrets: false });
    const trainJobs = run.resources.filter((r) => r.type === "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob");
    assert.deepEqual(
      trainJobs.map((r) => r.name),
      ["tune-trainjob"],
    );
    const spec = (trainJobs[0].inputs as Record<string, any>).spec;
    assert.deepEqual(spec.runtimeRef, {
      apiGroup: "trainer.kubeflow.org",
      kind: "ClusterTrainingRuntime",
      name: "torch-distributed",
    });
    assert.deepEqual([spec.trainer.numNodes, spec.trainer.numProcPerNode, spec.activeDeadlineSeconds], [2, 4, 7200]);
    assert.deepEqual(
      run.resources.filter((r) => r.type === "kubernetes:kustomize/v2:Directory").map((r) => [r.name, r.inputs]),
      [
        [
          "training-operator",
          { directory: "https://github.com/kubeflow/trainer.git/manifests/overlays/manager?ref=v2.3.0" },
        ],
        [
          "training-operator-runtimes",
          { directory: "https://github.com/kubeflow/trainer.git/manifests/overlays/runtimes?ref=v2.3.0" },
        ],
      ],
    );
  });
});

describe("type rules, one by one", () => {
  type Parsed = ReturnType<typeof parseConfig>;
  const table: [string, Record<string, unknown>, (p: Parsed) => unknown, unknown][] = [
    ["an integer as text", { nodes: "2" }, (p) => p.jobs.a.nodes, 2],
    [
      "a float as text",
      { trainer: { type: "instructlab", learningRate: "1.5e-4" }, model: { size: "1Gi" }, dataset: { size: "1Gi" } },
      (p) => (p.jobs.a.trainer.type === "instructlab" ? p.jobs.a.trainer.learningRate : undefined),
      1.5e-4,
    ],
    [
      "a boolean as text",
      { output: { size: "1Gi", retain: "false" } },
      (p) => (p.jobs.a.output.kind === "new" ? p.jobs.a.output.retain : undefined),
      false,
    ],
    ["a quantity as a number", { resources: { memory: 1073741824 } }, (p) => p.jobs.a.resources.memory, "1073741824"],
    ["an env value as a boolean", { env: { DEBUG: false } }, (p) => p.jobs.a.env.DEBUG, "false"],
    ["a float where text is meant", { env: { LR: 0.5 } }, (p) => p.jobs.a.env.LR, "0.5"],
  ];
  for (const [title, extra, extract, expected] of table) {
    it(title, () => {
      assert.deepEqual(extract(parseConfig({ namespace: "ml", jobs: { a: job(extra) } }, new Set())), expected);
    });
  }

  it("explains YAML 1.1 booleans, which Pulumi reads as text", () => {
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        networkPolicy: "yes",
        jobs: { a: job({ output: { size: "1Gi", retain: "no" } }) },
      }),
      [
        'finetune:networkPolicy: must be true or false; "yes" is text to Pulumi, which reads YAML 1.2: write true',
        'finetune:jobs.a.output.retain: must be true or false; "no" is text to Pulumi, which reads YAML 1.2: write false',
      ],
    );
  });

  it("names only YAML 1.1 words as such: other text is just not a boolean", () => {
    assert.deepEqual(problemsOf({ namespace: "ml", networkPolicy: "__proto__", jobs: {} }), [
      "finetune:networkPolicy: must be true or false",
    ]);
  });

  it("still refuses what means no valid value", () => {
    assert.deepEqual(problemsOf({ namespace: "ml", jobs: { a: job({ nodes: "two", env: { A: { b: 1 } } }) } }), [
      "finetune:jobs.a.nodes: must be a number, got string",
      "finetune:jobs.a.env.A: must be a string, got object",
    ]);
  });
});
