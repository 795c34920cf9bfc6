// `pulumi new` from templates/finetune of a clone in which `npm ci` has run, as docs/templates.md
// says to: the new project sits beside the clone and runs its program through npm links, its `dev`
// stack holds only the answers, and its first preview, against a cluster, creates nothing but the
// namespace. Then what users meet next: relative paths in the stack are the project's, a key set
// without the `finetune:` namespace is refused by name, and the project's `npm run render` renders
// its stack. The cluster is an API server alone (no controllers: nothing runs).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { buildToolchain, type Cluster, startCluster } from "../../harness/cluster";
import { ROOT } from "../../harness/paths";

const PROVIDER_RELEASE = "4.25.0";
const TOKEN = "hf_template_CANARY_55e1";
const NPM = "npm";

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly output: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

/** The types of the resources a `pulumi preview --json` would create, sorted. */
function createdTypes(previewJson: string): string[] {
  const steps = (JSON.parse(previewJson).steps ?? []) as { op: string; newState?: { type: string } }[];
  return steps
    .filter((s) => s.op === "create")
    .map((s) => s.newState?.type ?? "?")
    .sort();
}

describe("end to end: pulumi new from templates/finetune of a clone after npm ci", () => {
  let cluster: Cluster;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const clone = () => path.join(work, "finetune");
  const project = () => path.join(work, "my-tuning");
  const pulumi = (...args: string[]) => run("pulumi", args, project(), env);

  before(async () => {
    const bin = buildToolchain();
    cluster = await startCluster(bin);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-template-"));
    // The clone: the files git gives for this checkout (tracked, and new ones not ignored), then
    // `npm ci` in it, as a user does.
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    for (const file of files.split("\n").filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)))) {
      fs.mkdirSync(path.dirname(path.join(clone(), file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(clone(), file));
    }
    env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "template-passphrase",
      PULUMI_HOME: path.join(work, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      KUBECONFIG: cluster.kubeconfig,
    };
    const ci = await run(NPM, ["ci", "--prefer-offline", "--no-audit", "--no-fund"], clone(), env);
    assert.equal(ci.code, 0, ci.output.slice(-4000));
    fs.mkdirSync(path.join(work, "state"));
    const plugin = path.join(bin, "pulumi-resource-kubernetes");
    const install = await run(
      "pulumi",
      ["plugin", "install", "resource", "kubernetes", PROVIDER_RELEASE, "--file", plugin],
      work,
      env,
    );
    assert.equal(install.code, 0, install.output);
  });

  after(async () => {
    await cluster?.stop();
    if (!process.env.FINETUNE_E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
  });

  it("t1. pulumi new --stack dev --yes makes a project beside the clone whose stack holds only the answers", async () => {
    const created = await run(
      "pulumi",
      [
        "new",
        path.join(clone(), "templates", "finetune"),
        "--dir",
        project(),
        "--stack",
        "dev",
        "--yes",
        "--config",
        "finetune:namespace=team-a",
        "--config",
        `finetune:cluster.context=${cluster.context}`,
      ],
      work,
      env,
    );
    assert.equal(created.code, 0, created.output.slice(-4000));
    assert.deepEqual(fs.readdirSync(project()).sort(), [
      ".gitignore",
      "Pulumi.dev.yaml",
      "Pulumi.yaml",
      "main.js",
      "node_modules",
      "package-lock.json",
      "package.json",
    ]);
    const projectFile = parse(fs.readFileSync(path.join(project(), "Pulumi.yaml"), "utf8"));
    assert.equal(projectFile.name, "my-tuning");
    assert.equal(projectFile.main, "main.js");
    assert.equal("template" in projectFile, false);
    const stack = parse(fs.readFileSync(path.join(project(), "Pulumi.dev.yaml"), "utf8"));
    assert.deepEqual(stack.config, {
      "finetune:namespace": "team-a",
      "finetune:cluster.context": cluster.context,
      "finetune:trainingOperator.install": "false",
    });
    // npm linked the clone and its Pulumi SDK: one copy of each, the clone's.
    assert.equal(fs.realpathSync(path.join(project(), "node_modules", "finetune")), fs.realpathSync(clone()));
    assert.equal(
      fs.realpathSync(path.join(project(), "node_modules", "@pulumi", "pulumi")),
      fs.realpathSync(path.join(clone(), "node_modules", "@pulumi", "pulumi")),
    );
  });

  it("t2. its first pulumi preview creates nothing but the namespace, and changes nothing on the cluster", async () => {
    const preview = await pulumi("preview", "--json");
    assert.equal(preview.code, 0, preview.output.slice(-4000));
    const kube = createdTypes(preview.stdout).filter((t) => !t.startsWith("pulumi:") && !t.startsWith("finetune:"));
    assert.deepEqual(kube, ["kubernetes:core/v1:Namespace"]);
    const steps = JSON.parse(preview.stdout).steps as {
      op: string;
      newState?: { type: string; inputs: { metadata?: { name?: string } } };
    }[];
    const namespace = steps.find((s) => s.newState?.type === "kubernetes:core/v1:Namespace");
    assert.equal(namespace?.newState?.inputs.metadata?.name, "team-a");
    assert.throws(() => cluster.kubectl("get", "namespace", "team-a"), /NotFound/);
  });

  it("t3. a relative path in the project's stack is the project's (cluster.kubeconfig)", async () => {
    fs.copyFileSync(cluster.kubeconfig, path.join(project(), "cluster.yaml"));
    assert.equal((await pulumi("config", "set", "--path", "finetune:cluster.kubeconfig", "./cluster.yaml")).code, 0);
    const preview = await run("pulumi", ["preview", "--json"], project(), {
      ...env,
      KUBECONFIG: path.join(work, "no-such-kubeconfig"),
    });
    assert.equal(preview.code, 0, preview.output.slice(-4000));
    assert.equal((await pulumi("config", "rm", "--path", "finetune:cluster.kubeconfig")).code, 0);
  });

  it("t4. a key set without a namespace goes under the project's name, which the program refuses by name", async () => {
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

  it("t5. with a job and the token under finetune:, the project's npm run render renders its stack", async () => {
    assert.equal((await pulumi("config", "set", "--secret", "finetune:hfToken", TOKEN)).code, 0);
    for (const [key, value] of [
      ["finetune:jobs.smoke.image", "registry.example.com/ml/trainer:1.0"],
      ["finetune:jobs.smoke.output.size", "1Gi"],
      ["finetune:jobs.smoke.trainer.type", "command"],
      ["finetune:jobs.smoke.trainer.command[0]", "torchrun"],
    ]) {
      const set = await pulumi("config", "set", "--path", key, value);
      assert.equal(set.code, 0, set.output);
    }
    const file = fs.readFileSync(path.join(project(), "Pulumi.dev.yaml"), "utf8");
    assert.equal(file.includes(TOKEN), false);
    assert.match(file, /finetune:hfToken:\n\s+secure: /);
    const rendered = await run(NPM, ["run", "-s", "render", "--", "--stack", "dev"], project(), env);
    assert.equal(rendered.code, 0, rendered.output.slice(-4000));
    assert.match(rendered.stdout, /^# kubernetes:kubeflow\.org\/v1:PyTorchJob smoke-pytorchjob \|/m);
    assert.match(rendered.stdout, /\n {2}namespace: team-a\n/);
    // The owner the stack's objects are annotated with: this project's, as `pulumi up` writes it.
    assert.match(rendered.stdout, /\n {4}finetune\/stack: organization\/my-tuning\/dev\n/);
    assert.equal(rendered.output.includes(TOKEN), false);
  });

  it("t6. a token given to pulumi new with --config is stored in clear text, and the program refuses it without printing it", async () => {
    const other = path.join(work, "other-tuning");
    const created = await run(
      "pulumi",
      [
        "new",
        path.join(clone(), "templates", "finetune"),
        "--dir",
        other,
        "--stack",
        "staging",
        "--yes",
        "--config",
        `finetune:cluster.context=${cluster.context}`,
        "--config",
        `finetune:hfToken=${TOKEN}`,
      ],
      work,
      env,
    );
    assert.equal(created.code, 0, created.output.slice(-4000));
    const stack = parse(fs.readFileSync(path.join(other, "Pulumi.staging.yaml"), "utf8"));
    assert.equal(stack.config["finetune:hfToken"], TOKEN);
    const preview = await run("pulumi", ["preview"], other, env);
    assert.notEqual(preview.code, 0);
    assert.match(
      preview.output,
      /finetune:hfToken: must be stored as a secret: pulumi config set --secret hfToken <value>/,
    );
    assert.equal(preview.output.includes(TOKEN), false);
  });
});
