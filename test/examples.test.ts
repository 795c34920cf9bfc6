// The CI pipeline users copy (examples/ci/finetune.yml): linted by actionlint, the GitHub Actions
// workflow linter (built by the e2e toolchain), and read for the promises its comments make.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";

type Json = Record<string, any>;

const WORKFLOW = path.join(__dirname, "..", "examples", "ci", "finetune.yml");
const ACTIONLINT =
  process.env.ACTIONLINT ??
  path.join(process.env.FINETUNE_E2E_CACHE ?? path.join(os.homedir(), ".cache", "finetune-e2e"), "bin", "actionlint");
const noLinter = !fs.existsSync(ACTIONLINT) && "actionlint is not built (bash test/e2e/toolchain/build.sh)";

/** A GitHub Actions expression, as the workflow writes it: `${{ matrix.stack }}`. */
const gh = (expression: string) => `\${{ ${expression} }}`;

/** actionlint's findings for a workflow file, as JSON. */
function lint(file: string): { status: number | null; findings: Json[] } {
  const run = spawnSync(ACTIONLINT, ["-no-color", "-format", "{{json .}}", file], { encoding: "utf8" });
  return { status: run.status, findings: JSON.parse(run.stdout || "[]") };
}

describe("the CI pipeline example", () => {
  const workflow = parse(fs.readFileSync(WORKFLOW, "utf8")) as Json;

  it("lints clean with actionlint", { skip: noLinter }, () => {
    assert.deepEqual(lint(WORKFLOW), { status: 0, findings: [] });
  });

  it("and actionlint would say so if it did not", { skip: noLinter }, () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-workflow-")), "broken.yml");
    fs.writeFileSync(
      broken,
      fs.readFileSync(WORKFLOW, "utf8").replace("  deploy:\n", "  deploy:\n    needs: [build]\n"),
    );
    const { status, findings } = lint(broken);
    assert.equal(status, 1);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.message]),
      [["job-needs", 'job "deploy" needs job "build" which does not exist in this workflow']],
    );
  });

  it("previews each stack on a pull request, with the plan as a comment and the policy pack", () => {
    const preview = workflow.jobs.preview;
    assert.equal(preview.if, "github.event_name == 'pull_request'");
    assert.deepEqual(preview.strategy.matrix.stack, ["dev", "prod"]);
    assert.deepEqual(preview.steps.at(-1), {
      uses: "pulumi/actions@v7",
      with: {
        command: "preview",
        "stack-name": gh("matrix.stack"),
        diff: true,
        policyPacks: "policy",
        "comment-on-pr": true,
        "github-token": gh("secrets.GITHUB_TOKEN"),
        "pulumi-version": "3.274.1",
      },
    });
    assert.equal(preview.permissions["pull-requests"], "write");
  });

  it("never runs two deploys of one stack at once, nor a drift check during a deploy", () => {
    const { deploy, drift } = workflow.jobs;
    for (const job of [deploy, drift]) {
      assert.deepEqual(job.concurrency, {
        group: `finetune-deploy-${gh("matrix.stack")}`,
        "cancel-in-progress": false,
      });
    }
    assert.deepEqual(deploy.steps.at(-1).with, {
      command: "up",
      "stack-name": gh("matrix.stack"),
      policyPacks: "policy",
      "pulumi-version": "3.274.1",
    });
  });

  it("checks drift daily: refresh, then fail on any change", () => {
    const { drift } = workflow.jobs;
    assert.deepEqual(workflow.on.schedule, [{ cron: "17 6 * * *" }]);
    assert.deepEqual(drift.steps.at(-1).with, {
      command: "preview",
      "stack-name": gh("matrix.stack"),
      refresh: true,
      "expect-no-changes": true,
      "pulumi-version": "3.274.1",
    });
  });

  it("pins the Pulumi CLI to the version the end-to-end suite runs, and bounds every job's time", () => {
    const pinned = /^PULUMI_VERSION=v(\S+)$/m.exec(
      fs.readFileSync(path.join(__dirname, "e2e", "toolchain", "build.sh"), "utf8"),
    )?.[1];
    assert.equal(pinned, "3.274.1");
    const jobs = workflow.jobs as Record<string, Json>;
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(jobs).map(([name, job]) => [
          name,
          [job["timeout-minutes"], job.steps.at(-1).with["pulumi-version"]],
        ]),
      ),
      { preview: [30, pinned], deploy: [350, pinned], drift: [30, pinned] },
    );
  });

  it("runs the program on Node.js 22 and keeps the kubeconfig out of the logs and the repository", () => {
    for (const job of Object.values(workflow.jobs) as Json[]) {
      const node = job.steps.find((s: Json) => s.uses === "actions/setup-node@v4");
      assert.equal(node.with["node-version"], 22);
      const kubeconfig = job.steps.find((s: Json) => s.name === "Write the kubeconfig");
      assert.deepEqual(kubeconfig.env, { KUBECONFIG_CONTENT: gh("secrets.KUBECONFIG") });
      assert.match(kubeconfig.run, /umask 077/);
      assert.match(kubeconfig.run, /\$RUNNER_TEMP\/kubeconfig/);
    }
  });
});
