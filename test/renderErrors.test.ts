// `npm run render` on everything a user can get wrong: each problem is one clear line on stderr,
// the exit code is not 0, nothing is written, and no stack trace is ever printed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { main } from "../tools/render";
import { renderArgs } from "./support/renderCommand";

const ROOT = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-"));

function render(...args: string[]) {
  const result = spawnSync(process.execPath, renderArgs(...args), {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stackFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const GOOD_JOB = [
  "  finetune:jobs:",
  "    smoke:",
  "      image: registry.example.com/ml/trainer:1.0",
  "      output: {size: 1Gi}",
  "      trainer: {type: command, command: [torchrun, train.py]}",
  "      resources: {memory: 8Gi}",
];

/** Asserts a failed render: exit code, one stderr line (exactly), nothing written, no stack. */
function fails(result: ReturnType<typeof render>, code: number, line: string): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stderr, `${line}\n`);
  assert.equal(result.stdout, "");
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

describe("render: file-level problems are one line each, exit 1, nothing written", () => {
  const table: [string, string, (file: string) => string][] = [
    ["an empty file", "", (f) => `render: ${f}: the file is empty; a stack file holds a config: map`],
    ["a list", "- a\n- b\n", (f) => `render: ${f}: must be a map with a config: map, not a list`],
    ["a scalar", "hello\n", (f) => `render: ${f}: must be a map with a config: map, not a string`],
    ["config: a list", "config:\n  - a\n", (f) => `render: ${f}: config: must be a map of keys to values, not a list`],
    [
      "a Kubernetes manifest",
      "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: a\n",
      (f) =>
        `render: ${f}: is a Kubernetes manifest (kubeflow.org/v1 PyTorchJob), not a stack file; a stack file (Pulumi.<stack>.yaml) holds a config: map`,
    ],
    [
      "a map with no config: section",
      "namespace: ml\njobs: {}\n",
      (f) => `render: ${f}: has no config: section; a stack file (Pulumi.<stack>.yaml) holds a config: map`,
    ],
    [
      "a tab in the indentation",
      "config:\n\tfinetune:namespace: ml\n",
      (f) => `render: ${f}:2:1: not valid YAML: Tabs are not allowed as indentation`,
    ],
  ];
  for (const [title, text, message] of table) {
    it(title, () => {
      const file = stackFile(`${title.replaceAll(/\W/g, "-")}.yaml`, text);
      fails(render("--config", file), 1, message(file));
    });
  }

  it("a folder as --config, and a file that does not exist", () => {
    fails(render("--config", dir), 1, `render: ${dir}: is a folder, not a stack file`);
    fails(
      render("--stack", "nosuchstack"),
      1,
      `render: no stack config at ${path.join(ROOT, "Pulumi.nosuchstack.yaml")}`,
    );
  });
});

describe("render: what Pulumi reads, read the same", () => {
  it("YAML merge keys: a job built on an anchored base renders with the merged keys", () => {
    const file = stackFile(
      "Pulumi.merge.yaml",
      [
        "config:",
        "  finetune:namespace: ml",
        "  finetune:trainingOperator: {install: false}",
        "  finetune:jobs:",
        "    a: &base",
        "      image: registry.example.com/ml/trainer:1.0",
        "      output: {size: 1Gi}",
        "      trainer: {type: command, command: [torchrun, train.py]}",
        "    b:",
        "      <<: *base",
        "      nodes: 2",
        "",
      ].join("\n"),
    );
    const result = render("--config", file);
    assert.equal(result.code, 0, result.stderr);
    const jobs = result.stdout
      .split(/^---\n/m)
      .map((d) => parse(d))
      .filter((o) => o?.kind === "PyTorchJob")
      .map((o) => [o.metadata.name, o.spec.pytorchReplicaSpecs.Worker?.replicas ?? 0]);
    assert.deepEqual(jobs, [
      ["a", 0],
      ["b", 1],
    ]);
  });

  it("an empty stack file with only its encryption salt (as pulumi stack init leaves it) is an empty config", () => {
    const file = stackFile("Pulumi.fresh.yaml", "encryptionsalt: v1:abc=:v1:def:ghi\n");
    const result = render("--config", file);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "Invalid stack config (1 problem); nothing was deployed:\n  finetune:namespace: is required (a string)\n",
    );
    assert.equal(result.stdout, "");
  });

  it("relative paths are read from the folder npm run render was typed in (INIT_CWD), not the package's", () => {
    const sub = fs.mkdtempSync(path.join(dir, "team-"));
    fs.writeFileSync(
      path.join(sub, "Pulumi.team.yaml"),
      [
        "config:",
        "  finetune:namespace: team-ml",
        "  finetune:trainingOperator: {install: false}",
        ...GOOD_JOB,
        "",
      ].join("\n"),
    );
    const typed = (...args: string[]) =>
      spawnSync(process.execPath, renderArgs(...args), {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, INIT_CWD: sub, npm_lifecycle_event: "render" },
      });
    for (const args of [
      ["--config", "Pulumi.team.yaml"],
      ["--stack", "team"],
    ]) {
      const result = typed(...args);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /name: team-ml\n/);
    }
    const written = typed("--stack", "team", "--out", "team.yaml");
    assert.equal(written.status, 0, written.stderr);
    assert.match(fs.readFileSync(path.join(sub, "team.yaml"), "utf8"), /name: team-ml\n/);
    assert.equal(fs.existsSync(path.join(ROOT, "team.yaml")), false);
  });
});

describe("render: problems found while the program runs", () => {
  it("a training operator bundle that is not YAML names its key; nothing is written", () => {
    const bundle = stackFile("bundle.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n: : :\n");
    const file = stackFile(
      "Pulumi.badbundle.yaml",
      ["config:", "  finetune:namespace: ml", `  finetune:trainingOperator: {source: ${bundle}}`, ...GOOD_JOB, ""].join(
        "\n",
      ),
    );
    const result = render("--config", file);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^Invalid stack config \(1 problem\); nothing was deployed:\n {2}finetune:trainingOperator\.source: document 2 is not valid YAML: /,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("a --out in a folder that does not exist: one line, exit 1, nothing written", () => {
    const file = stackFile("Pulumi.good.yaml", ["config:", "  finetune:namespace: ml", ...GOOD_JOB, ""].join("\n"));
    const out = path.join(dir, "no", "such", "folder", "out.yaml");
    fails(render("--config", file, "--out", out), 1, `render: cannot write ${out}: no such folder`);
    assert.equal(fs.existsSync(out), false);
  });

  it("warnings go to stderr, the render to stdout, and the exit code is 0", () => {
    const file = stackFile(
      "Pulumi.warn.yaml",
      [
        "config:",
        "  finetune:namespace: ml",
        ...GOOD_JOB.map((l) => l.replace("trainer:1.0", "trainer:latest")),
        "",
      ].join("\n"),
    );
    const result = render("--config", file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stderr,
      'warning: finetune:jobs.smoke.image: "registry.example.com/ml/trainer:latest" uses the tag latest, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code\n',
    );
    assert.match(result.stdout, /kind: PyTorchJob/);
  });
});

describe("render: secure values", () => {
  it("are placeholders, never judged as values: a stack with a secure imagePullSecrets renders cleanly", () => {
    const result = render("--config", path.join(ROOT, "test", "fixtures", "Pulumi.configset.yaml"));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /name: registry-credentials\n/);
  });
});

describe("render: usage", () => {
  it("--help prints the usage on stdout and exits 0", () => {
    const result = render("--help");
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^usage: npm run render -- \(--stack NAME \| --config FILE\) \[--out FILE\]\n/);
  });

  it("a wrong argument prints one line and the usage hint, exit 2", () => {
    fails(
      render("--stak", "dev"),
      2,
      'render: unknown argument "--stak"; usage: render (--stack NAME | --config FILE) [--out FILE] (--help for more)',
    );
  });
});

describe("render: any stack file, however malformed", () => {
  const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
  const RUNS = Number(process.env.FUZZ_FILE_RUNS ?? 150);

  /** Runs render in this process and returns its exit code and output. */
  async function renderHere(file: string) {
    const out: string[] = [];
    const err: string[] = [];
    const [stdout, stderr] = [process.stdout.write, process.stderr.write];
    process.stdout.write = ((chunk: string) => out.push(chunk)) as never;
    process.stderr.write = ((chunk: string) => err.push(chunk)) as never;
    try {
      const code = await main(["--config", file]);
      return { code, stdout: out.join(""), stderr: err.join("") };
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
  }

  // Stack files made of YAML pieces a user might type: indentation, tabs, colons, lists, quotes,
  // anchors, flow collections, config keys, and random text.
  const piece = fc.oneof(
    fc.constantFrom(
      "config:\n",
      "  finetune:namespace: ml\n",
      "  finetune:jobs:\n",
      "    a:\n",
      "\t",
      "- ",
      ": ",
      "[",
      "]",
      "{",
      "}",
      "&a ",
      "*a ",
      "'",
      '"',
      "#",
      "---\n",
      "\n",
      "  ",
      "finetune:jobs: {}\n",
      "secure: v1:abc\n",
    ),
    fc.string({ maxLength: 12 }),
  );
  it(`exits 0, 1 or 2, never throws, never prints a stack trace (${RUNS} files)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), async (pieces) => {
        const file = stackFile("Pulumi.fuzz.yaml", pieces.join(""));
        const result = await renderHere(file);
        assert.ok([0, 1, 2].includes(result.code), `exit ${result.code}`);
        assert.doesNotMatch(result.stderr, /\n\s+at \S+ \(/);
        if (result.code !== 0) assert.equal(result.stdout, "");
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
