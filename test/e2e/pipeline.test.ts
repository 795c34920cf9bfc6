// The deploy pipeline users copy (examples/ci/finetune.yml) and the policy pack (policy/), run
// through the CLI on the loopback cluster. The workflow's steps are read from the file and run as
// pulumi/actions v7 runs them: its shell step by bash with the runner's variables, its pulumi/actions
// steps by the Automation API calls the action makes (LocalWorkspace.selectStack, then preview or up
// with the options its inputs map to), which drive the same CLI. A step fails when the action would
// fail the job: when the call throws. The pack is run by `pulumi preview --policy-pack` on a stack
// that passes it and one that breaks every policy.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalWorkspace, type PreviewOptions, type UpOptions } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain, until } from "../../harness/cluster";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { TRAINING_OPERATOR_V1 } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";

type Json = Record<string, any>;

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures");
const BUNDLE = OPERATOR_V1_BUNDLE;
const NS = "pipeline";

const workflow = parse(fs.readFileSync(path.join(ROOT, "examples", "ci", "finetune.yml"), "utf8")) as Json;
/** The Pulumi CLI version the toolchain builds, and so the one these steps run. */
const CLI_VERSION = /^PULUMI_VERSION=v(\S+)$/m.exec(
  fs.readFileSync(path.join(ROOT, "test", "e2e", "toolchain", "build.sh"), "utf8"),
)?.[1];

/** The step of a workflow job that runs pulumi/actions, and its `run:` step named `name`. */
const actionStep = (job: string): Json => workflow.jobs[job].steps.find((s: Json) => s.uses === "pulumi/actions@v7");
const runStep = (job: string, name: string): Json => workflow.jobs[job].steps.find((s: Json) => s.name === name);

/** Expands `${{ matrix.stack }}` as the runner does for one matrix entry. */
const expand = (value: unknown, stack: string) =>
  typeof value === "string" ? value.replace(/\$\{\{\s*matrix\.stack\s*\}\}/g, stack) : value;

/**
 * The Automation API call pulumi/actions v7 makes for a step's inputs (its src/config.ts and
 * src/main.ts): `command` picks the call, `stack-name` the stack, the rest become options.
 * `comment-on-pr` and `github-token` only post the output to GitHub; `pulumi-version` installs the
 * CLI, which must be the one the toolchain builds (the one run here). Any other input fails the
 * test, so the workflow cannot gain one this harness does not run.
 */
function actionCall(step: Json, stack: string): { command: "preview" | "up"; stackName: string; options: Json } {
  const options: Json = {};
  for (const [input, raw] of Object.entries(step.with as Json)) {
    const value = expand(raw, stack);
    switch (input) {
      case "command":
      case "stack-name":
      case "comment-on-pr":
      case "github-token":
        break;
      case "pulumi-version":
        assert.equal(String(value), CLI_VERSION, "the workflow's CLI is the one the suite runs");
        break;
      case "diff":
      case "refresh":
        options[input] = value === true;
        break;
      case "expect-no-changes":
        options.expectNoChanges = value === true;
        break;
      case "policyPacks":
        options.policyPacks = String(value).split(/[;\n]/).filter(Boolean);
        break;
      default:
        throw new Error(`the harness does not run pulumi/actions input ${input}`);
    }
  }
  const command = step.with.command;
  assert.ok(command === "preview" || command === "up", `command ${command}`);
  return { command, stackName: String(expand(step.with["stack-name"], stack)), options };
}

/** Runs one workflow job's pulumi/actions step: whether it passed, and what it printed. */
async function runAction(
  project: Project,
  env: Json,
  job: string,
  stack: string,
): Promise<{ ok: boolean; stdout: string; error: string }> {
  const { command, stackName, options } = actionCall(actionStep(job), stack);
  const ws = await LocalWorkspace.selectStack({ stackName, workDir: project.dir }, { envVars: env });
  try {
    const result =
      command === "up"
        ? await ws.up({ ...(options as UpOptions), onOutput: () => {} })
        : await ws.preview(options as PreviewOptions);
    fs.appendFileSync(path.join(project.dir, "..", "..", "cli-actions.log"), `# ${job}\n${result.stdout}\n`);
    return { ok: true, stdout: result.stdout, error: "" };
  } catch (e) {
    const error = String((e as Error).message);
    fs.appendFileSync(path.join(project.dir, "..", "..", "cli-actions.log"), `# ${job} FAILED\n${error}\n`);
    return { ok: false, stdout: "", error };
  }
}

/** A fixture stack's `finetune:` config, without the prefix. */
function fixtureConfig(file: string): Json {
  const config = (parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as Json).config as Json;
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^finetune:/, ""), v]));
}

describe("end to end: the CI workflow's steps and the policy pack, through the CLI", () => {
  let world: FullCluster;
  let project: Project;
  /** The environment the workflow's job gives the action: its env block plus what GITHUB_ENV added. */
  let actionEnv: Json;
  let runUid: string;

  before(async () => {
    const bin = buildToolchain();
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    world = await startFullCluster(bin);
    world.supervise(TRAINING_OPERATOR_V1);
    project = await createProject(world.cluster, bin, "pipeline", "dev");
    fs.cpSync(path.join(ROOT, "policy"), path.join(project.dir, "policy"), { recursive: true });
    project.writeConfig({
      namespace: NS,
      cluster: { context: world.cluster.context },
      trainingOperator: { source: BUNDLE },
      jobs: {
        granite: {
          image: "registry.example.com/ml/trainer:1.0",
          nodes: 2,
          output: { size: "1Gi" },
          trainer: { type: "command", command: ["torchrun", "train.py"] },
          runPolicy: { activeDeadlineSeconds: 3600 },
          wait: "running",
        },
      },
    });
  });

  after(async () => {
    await world?.stop();
  });

  const namespaces = async () => (await world.items("namespaces")).map((n) => n.metadata.name as string);
  const jobUid = async () =>
    JSON.parse(await world.cluster.kubectlAsync("get", "pytorchjob", "granite", "-n", NS, "-o", "json")).metadata
      .uid as string;

  it("w1. the kubeconfig step writes the secret to a private file and exports KUBECONFIG", () => {
    const runnerTemp = path.join(world.cluster.dir, "runner-temp");
    fs.mkdirSync(runnerTemp, { recursive: true });
    const githubEnv = path.join(runnerTemp, "github-env");
    fs.writeFileSync(githubEnv, "");
    const content = fs.readFileSync(world.cluster.kubeconfig, "utf8");
    for (const job of ["preview", "deploy", "drift"]) {
      const step = runStep(job, "Write the kubeconfig");
      assert.deepEqual(step.env, { KUBECONFIG_CONTENT: `\${{ secrets.KUBECONFIG }}` });
      execFileSync("bash", ["-e", "-c", step.run], {
        env: { PATH: process.env.PATH, KUBECONFIG_CONTENT: content, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv },
      });
    }
    const file = path.join(runnerTemp, "kubeconfig");
    assert.equal(fs.readFileSync(file, "utf8"), content);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const exported = fs.readFileSync(githubEnv, "utf8").trim().split("\n");
    assert.deepEqual(exported, [`KUBECONFIG=${file}`, `KUBECONFIG=${file}`, `KUBECONFIG=${file}`]);
    const { PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_HOME, PATH } = project.env;
    actionEnv = {
      PULUMI_BACKEND_URL,
      PULUMI_CONFIG_PASSPHRASE,
      PULUMI_HOME,
      PATH,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      KUBECONFIG: file,
    };
  });

  it("w2. the pull request's preview step: the plan with its diff, the policy pack passed, nothing created", async () => {
    const step = await runAction(project, actionEnv, "preview", "dev");
    assert.ok(step.ok, step.error.slice(-4000));
    assert.match(step.stdout, /\+ kubernetes:kubeflow\.org\/v1:PyTorchJob: \(create\)/);
    // With --diff the CLI lists the packs that ran; a violation would have failed the step.
    assert.match(step.stdout, /Policy Packs run:\n\s+Name\s+Version\n\s+finetune\|local\|policy\s+0\.1\.0/);
    assert.equal((await namespaces()).includes(NS), false);
  });

  it("w3. the deploy step on merge: up runs the job; a re-run of the same deploy starts nothing", async () => {
    const first = await runAction(project, actionEnv, "deploy", "dev");
    assert.ok(first.ok, first.error.slice(-4000));
    runUid = await jobUid();
    const again = await runAction(project, actionEnv, "deploy", "dev");
    assert.ok(again.ok, again.error.slice(-4000));
    assert.equal(await jobUid(), runUid, "the same PyTorchJob: no second run");
    assert.match(again.stdout, /Resources:\n(?:.*\n)*?\s+\d+ unchanged/);
  });

  it("w4. the drift check stays quiet when only the run's status changed (it finished)", async () => {
    await until(
      "the PyTorchJob to succeed",
      async () => {
        const job = JSON.parse(
          await world.cluster.kubectlAsync("get", "pytorchjob", "granite", "-n", NS, "-o", "json"),
        );
        return (job.status?.conditions ?? []).some((c: Json) => c.type === "Succeeded" && c.status === "True");
      },
      180_000,
    );
    const drift = await runAction(project, actionEnv, "drift", "dev");
    assert.ok(drift.ok, drift.error.slice(-4000));
    assert.equal(await jobUid(), runUid);
  });

  it("w5. the drift check fails when the cluster no longer matches the stack; a deploy alone does not repair it, up --refresh does", async () => {
    await world.cluster.kubectlAsync("delete", "serviceaccount", "finetune", "-n", NS);
    const serviceAccounts = async () =>
      (await world.items("serviceaccounts", "-n", NS)).filter((a) => a.metadata.name === "finetune").length;
    const drift = await runAction(project, actionEnv, "drift", "dev");
    assert.equal(drift.ok, false);
    assert.match(drift.error, /Command failed with exit code 7: pulumi preview --expect-no-changes --refresh /);
    assert.match(drift.error, /error: no changes were expected for preview but changes were proposed/);
    assert.match(drift.error, /\+ +kubernetes:core\/v1:ServiceAccount +pipeline-service-account +create/);
    // The deploy step does not refresh: the state still lists the ServiceAccount, so up changes nothing.
    const deploy = await runAction(project, actionEnv, "deploy", "dev");
    assert.ok(deploy.ok, deploy.error.slice(-4000));
    assert.equal(await serviceAccounts(), 0);
    // The repair docs/ci.md gives, run after reading the drift check's plan: the deploy with a refresh first
    // (`pulumi up --refresh`), from the same kubeconfig path as the workflow.
    const ws = await LocalWorkspace.selectStack({ stackName: "dev", workDir: project.dir }, { envVars: actionEnv });
    const repair = await ws.up({ refresh: true, onOutput: () => {} });
    assert.equal(repair.summary.result, "succeeded");
    assert.deepEqual(repair.summary.resourceChanges, { create: 1, same: 24 });
    assert.equal(await serviceAccounts(), 1);
    assert.equal(await jobUid(), runUid, "repairing the ServiceAccount does not start the run again");
    const quiet = await runAction(project, actionEnv, "drift", "dev");
    assert.ok(quiet.ok, quiet.error.slice(-4000));
  });

  it("w6. the drift check does not depend on the kubeconfig's path: the same cluster through another path is no change", async () => {
    const elsewhere = path.join(world.cluster.dir, "laptop-kubeconfig");
    fs.copyFileSync(actionEnv.KUBECONFIG, elsewhere);
    const drift = await runAction(project, { ...actionEnv, KUBECONFIG: elsewhere }, "drift", "dev");
    assert.ok(drift.ok, drift.error.slice(-4000));
    const quiet = await runAction(project, actionEnv, "drift", "dev");
    assert.ok(quiet.ok, quiet.error.slice(-4000));
  });

  /** A project whose stack is a fixture's, on this cluster, previewed with the pack. */
  async function policyProject(name: string, fixture: string): Promise<Project> {
    const p = await createProject(world.cluster, buildToolchain(), name, name);
    fs.cpSync(path.join(ROOT, "policy"), path.join(p.dir, "policy"), { recursive: true });
    p.writeConfig({ ...fixtureConfig(fixture), cluster: { context: world.cluster.context } });
    return p;
  }
  const STRICT = path.join(FIXTURES, "policy-strict.json");

  it("p1. a stack within every rule passes the pack under the strict config", async () => {
    const p = await policyProject("policy-pass", "Pulumi.policy-pass.yaml");
    const preview = await p.pulumi("preview", "--policy-pack", "policy", "--policy-pack-config", STRICT);
    exits(preview, 0);
    assert.match(preview.output, /Policies:\n\s+✅ finetune@v0\.1\.0 \(local: policy\)/);
    assert.doesNotMatch(preview.output, /mandatory|advisory/);
  });

  it("p2. a stack that breaks every rule is refused, each policy with its message, and nothing is created", async () => {
    const p = await policyProject("policy-fail", "Pulumi.policy-fail.yaml");
    const preview = await p.pulumi("preview", "--policy-pack", "policy", "--policy-pack-config", STRICT);
    assert.notEqual(preview.code, 0, preview.output.slice(-4000));
    const text = preview.output.replace(/\s+/g, " ");
    for (const expected of [
      "❌ finetune@v0.1.0 (local: policy)",
      '[mandatory] images-pinned-by-digest (kubernetes:kubeflow.org/v1:PyTorchJob: big-pytorchjob) Every image of a workload the stack runs is pinned by a @sha256 digest, so a restarted pod runs the code the run started with (but for the images in exceptImages). PyTorchJob policy-fail/big: image "registry.example.com/ml/trainer:1.0" (Master/pytorch) is not pinned by digest; name it as <repository>@sha256:<digest> in finetune:jobs.big.image.',
      "[mandatory] gpus-per-job (kubernetes:kubeflow.org/v1:PyTorchJob: big-pytorchjob) Any object that causes pods (a training run, Job, JobSet, CronJob, Pod, Deployment...) asks for at most maxGpus GPUs at once (pods × accelerators per pod). PyTorchJob policy-fail/big asks for 32 GPUs (1 Master pod × 8 nvidia.com/gpu, 3 Worker pods × 8 nvidia.com/gpu), more than the 16 a job may have (policy config maxGpus): lower finetune:jobs.big.nodes or gpusPerNode.",
      "[mandatory] gpus-per-stack (pulumi:pulumi:Stack: finetune-policy-fail)",
      "the stack asks for 40 GPUs at once (",
      "more than the 24 a stack may have (policy config maxGpus)",
      "[mandatory] runs-bounded (kubernetes:kubeflow.org/v1:PyTorchJob: forever-pytorchjob)",
      "PyTorchJob policy-fail/forever has neither a deadline nor a TTL: set finetune:jobs.forever.runPolicy.activeDeadlineSeconds, or leave ttlSecondsAfterFinished at its default instead of null.",
      "[mandatory] no-root-pods (kubernetes:kubeflow.org/v1:PyTorchJob: forever-pytorchjob)",
      "PyTorchJob policy-fail/forever: the Master pod runs as user 0 and does not set securityContext.runAsNonRoot: true; set finetune:jobs.forever.securityContext.runAsUser to a user other than 0.",
      "[mandatory] queue-label (kubernetes:kubeflow.org/v1:PyTorchJob: big-pytorchjob)",
      "PyTorchJob policy-fail/big names no Kueue LocalQueue, which namespace policy-fail requires: set finetune:queue or finetune:jobs.big.queue.",
    ]) {
      assert.ok(text.includes(expected), `missing: ${expected}\n${preview.output.slice(-6000)}`);
    }
    const up = await p.pulumi("up", "--yes", "--policy-pack", "policy", "--policy-pack-config", STRICT);
    assert.notEqual(up.code, 0);
    assert.equal((await namespaces()).includes("policy-fail"), false);
  });

  it("p3. by default digests are advisory and there is no GPU or queue ceiling a small stack hits", async () => {
    const p = await policyProject("policy-default", "Pulumi.policy-fail.yaml");
    p.writeConfig({
      ...fixtureConfig("Pulumi.policy-fail.yaml"),
      cluster: { context: world.cluster.context },
      namespace: "policy-default",
    });
    const preview = await p.pulumi("preview", "--policy-pack", "policy");
    assert.notEqual(preview.code, 0);
    const text = preview.output.replace(/\s+/g, " ");
    assert.ok(text.includes("❌ finetune@v0.1.0 (local: policy)"), preview.output.slice(-6000));
    assert.ok(
      text.includes("[advisory] images-pinned-by-digest (kubernetes:kubeflow.org/v1:PyTorchJob: big-pytorchjob)"),
    );
    assert.ok(text.includes("[mandatory] runs-bounded (kubernetes:kubeflow.org/v1:PyTorchJob: forever-pytorchjob)"));
    assert.ok(text.includes("[mandatory] no-root-pods (kubernetes:kubeflow.org/v1:PyTorchJob: forever-pytorchjob)"));
    assert.equal(text.includes("gpus-per-job"), false);
    assert.equal(text.includes("queue-label"), false);
  });

  it("p4. an operator source that carries a privileged GPU Deployment and a root CronJob is refused; nothing is created", async () => {
    const p = await policyProject("policy-operator", "Pulumi.policy-pass.yaml");
    p.writeConfig({
      ...fixtureConfig("Pulumi.policy-pass.yaml"),
      cluster: { context: world.cluster.context },
      namespace: "policy-operator",
      trainingOperator: { source: path.join(FIXTURES, "operator-hostile.yaml") },
    });
    const preview = await p.pulumi("preview", "--policy-pack", "policy");
    assert.notEqual(preview.code, 0, preview.output.slice(-4000));
    const text = preview.output.replace(/\s+/g, " ");
    for (const expected of [
      "❌ finetune@v0.1.0 (local: policy)",
      "[mandatory] operator-install-contents (kubernetes:apps/v1:Deployment:",
      "the training operator install's Deployment kubeflow/miner holds GPUs and runs container miner privileged and runs container miner as user 0, which no operator controller needs: take it out of finetune:trainingOperator.source (and runtimesSource).",
      "[mandatory] operator-install-contents (kubernetes:batch/v1:CronJob:",
      "the training operator install's CronJob default/nightly is not a kind an operator install may hold (policy config kinds:",
      "[mandatory] gpus-per-job (kubernetes:batch/v1:CronJob:",
    ]) {
      assert.ok(text.includes(expected), `missing: ${expected}\n${preview.output.slice(-6000)}`);
    }
    const up = await p.pulumi("up", "--yes", "--policy-pack", "policy");
    assert.notEqual(up.code, 0);
    assert.equal((await namespaces()).includes("policy-operator"), false);
    const deployments = (await world.items("deployments", "-A")).map((d) => d.metadata.name as string);
    assert.equal(deployments.includes("miner"), false);
    assert.equal((await world.items("cronjobs", "-A")).length, 0);
  });
});
