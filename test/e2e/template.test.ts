// `pulumi new` from this repository as a template (Pulumi.yaml's `template:` section), run by the
// CLI non-interactively as a CI bootstrap or a scripted setup would: the answers given with
// --config land in the new stack's file, the template section is gone from the new project, and the
// program reads the stack (rendered offline: no cluster is needed). A token given with --config is
// stored in clear text by `pulumi new` (v3.274.1) even though the template marks it secret; the
// program refuses it, and `pulumi config set --secret` (the README's way) fixes it.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { buildToolchain } from "../../harness/cluster";
import { renderArgs } from "../support/renderCommand";

const ROOT = path.join(__dirname, "..", "..");
const PROVIDER_RELEASE = "4.25.0";
const TOKEN = "hf_template_CANARY_55e1";

interface Result {
  readonly code: number;
  readonly output: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe("end to end: pulumi new from the repository's template", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let bin: string;
  const project = () => path.join(work, "my-tuning");
  const pulumi = (...args: string[]) => run("pulumi", args, project(), env);
  const render = () => run(process.execPath, renderArgs("--stack", "staging"), project(), env);

  before(() => {
    bin = buildToolchain();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-template-"));
    // The template is the repository as git tracks it (a clone, as `pulumi new <git URL>` would fetch).
    const template = path.join(work, "template");
    for (const file of execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean)) {
      fs.mkdirSync(path.dirname(path.join(template, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(template, file));
    }
    fs.mkdirSync(path.join(work, "state"));
    env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "template-passphrase",
      PULUMI_HOME: path.join(work, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    execFileSync(
      "pulumi",
      [
        "plugin",
        "install",
        "resource",
        "kubernetes",
        PROVIDER_RELEASE,
        "--file",
        path.join(bin, "pulumi-resource-kubernetes"),
      ],
      { env, stdio: "ignore" },
    );
  });

  after(() => {
    if (!process.env.FINETUNE_E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
  });

  it("t1. pulumi new --yes with the answers as --config creates the project and the stack (the token in clear text)", async () => {
    const created = await run(
      "pulumi",
      [
        "new",
        path.join(work, "template"),
        "--dir",
        project(),
        "--name",
        "my-tuning",
        "--stack",
        "staging",
        "--yes",
        "--config",
        "finetune:namespace=team-a",
        "--config",
        "finetune:cluster.context=gpu-east",
        "--config",
        `finetune:hfToken=${TOKEN}`,
      ],
      work,
      env,
    );
    assert.equal(created.code, 0, created.output.slice(-4000));
    const projectFile = parse(fs.readFileSync(path.join(project(), "Pulumi.yaml"), "utf8"));
    assert.equal(projectFile.name, "my-tuning");
    assert.equal("template" in projectFile, false);
    const stack = parse(fs.readFileSync(path.join(project(), "Pulumi.staging.yaml"), "utf8"));
    assert.deepEqual(
      Object.fromEntries(Object.entries(stack.config).filter(([k]) => k.startsWith("finetune:"))),
      // The template marks hfToken secret, but a value given with --config is stored as given.
      { "finetune:namespace": "team-a", "finetune:cluster.context": "gpu-east", "finetune:hfToken": TOKEN },
    );
  });

  it("t2. the program refuses the token pulumi new stored in clear text, naming the key and the fix", async () => {
    const refused = await render();
    assert.equal(refused.code, 1);
    assert.match(
      refused.output,
      /finetune:hfToken: must be stored as a secret: pulumi config set --secret hfToken <value>/,
    );
    assert.equal(refused.output.includes(TOKEN), false);
  });

  it("t3. keys set without a namespace go under the project's name, which the program refuses by name", async () => {
    assert.equal((await pulumi("config", "set", "--secret", "hfToken", TOKEN)).code, 0);
    const preview = await pulumi("preview");
    assert.notEqual(preview.code, 0);
    assert.match(
      preview.output,
      /my-tuning:hfToken: is not read: this program reads finetune: keys \(pulumi config set finetune:hfToken \.\.\.\); `pulumi config set` without a namespace uses the project's name, my-tuning/,
    );
    assert.equal(preview.output.includes(TOKEN), false);
    assert.doesNotMatch(preview.output, /\n\s+at /, "no stack trace");
    assert.equal((await pulumi("config", "rm", "hfToken")).code, 0);
  });

  it("t4. with finetune: keys (the token by pulumi config set --secret) the program renders the stack", async () => {
    assert.equal((await pulumi("config", "set", "--secret", "finetune:hfToken", TOKEN)).code, 0);
    for (const [key, value] of [
      ["finetune:jobs.smoke.image", "registry.example.com/ml/trainer:1.0"],
      ["finetune:jobs.smoke.output.size", "1Gi"],
      ["finetune:jobs.smoke.trainer.type", "command"],
      ["finetune:jobs.smoke.trainer.command[0]", "torchrun"],
      ["finetune:trainingOperator.install", "false"],
    ]) {
      const set = await pulumi("config", "set", "--path", key, value);
      assert.equal(set.code, 0, set.output);
    }
    const file = fs.readFileSync(path.join(project(), "Pulumi.staging.yaml"), "utf8");
    assert.equal(file.includes(TOKEN), false);
    assert.match(file, /finetune:hfToken:\n\s+secure: /);
    assert.equal(file.includes("my-tuning:"), false);
    const rendered = await render();
    assert.equal(rendered.code, 0, rendered.output.slice(-4000));
    assert.match(rendered.output, /# kubernetes:kubeflow\.org\/v1:PyTorchJob smoke-pytorchjob/);
    assert.match(rendered.output, /\n {2}namespace: team-a\n/);
    assert.equal(rendered.output.includes(TOKEN), false);
  });
});
