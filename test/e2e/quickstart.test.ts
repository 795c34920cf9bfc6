// The README's quickstart and the commands of a CI deploy stage, run from a fresh copy of the
// project directory with the Pulumi CLI: the stack's config written by `pulumi config set`
// (`--path`, `--secret`), then preview, up, a preview that must find no changes, and destroy,
// each exit code asserted. A secret set with `--secret` must never appear in clear text in the
// stack outputs or the state, and a malformed one must fail the preview with nothing changed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain } from "../../harness/cluster";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { TRAINING_OPERATOR_V1 } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";

const BUNDLE = OPERATOR_V1_BUNDLE;
const TOKEN = "hf_e2e_CANARY_3f9a71";
const NS = "quickstart";

describe("end to end: the README quickstart through the CLI, from a fresh project copy", () => {
  let world: FullCluster;
  let project: Project;
  const set = async (...args: string[]) => exits(await project.pulumi("config", "set", ...args), 0);

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    world.supervise(TRAINING_OPERATOR_V1);
    project = await createProject(world.cluster, bin, "quickstart", "dev", { init: false });
  });

  after(async () => {
    await world?.stop();
  });

  it("g1. the stack's config is written by pulumi config set, --path and --secret", async () => {
    exits(await project.pulumi("stack", "select", "--create", "dev"), 0);
    await set("--path", "cluster.context", world.cluster.context);
    await set("namespace", NS);
    await set("--path", "trainingOperator.source", BUNDLE);
    await set("--path", "jobs.granite.image", "registry.example.com/ml/trainer:1.0");
    await set("--path", "jobs.granite.nodes", "2");
    await set("--path", "jobs.granite.output.size", "1Gi");
    await set("--path", "jobs.granite.trainer.type", "command");
    await set("--path", "jobs.granite.trainer.command[0]", "torchrun");
    await set("--path", "jobs.granite.trainer.command[1]", "train.py");
    await set("--path", "jobs.granite.wait", "succeeded");
    // Numbers where text is meant, as --path stores them: the program reads them as text.
    await set("--path", "jobs.granite.resources.cpu", "4");
    await set("--path", "jobs.granite.resources.memory", "32Gi");
    await set("--path", "jobs.granite.env.EPOCHS", "3");
    await set("--secret", "hfToken", TOKEN);
    const file = fs.readFileSync(path.join(project.dir, "Pulumi.dev.yaml"), "utf8");
    assert.equal(file.includes(TOKEN), false);
    assert.match(file, /finetune:hfToken:\n\s+secure: /);
  });

  it("g2. preview --diff plans the creates, writing nothing in the temporary folder; up runs the job; preview --expect-no-changes finds none", async () => {
    // A fresh HOME and temporary folder: nothing the program compiles or caches may land where
    // another user of the machine could have written first. The only entry is Node.js's compile
    // cache of npm itself: the Node.js language host runs `npm --version` at every command, and
    // npm turns that cache on, in the temporary folder unless NODE_COMPILE_CACHE names another.
    const fresh = fs.mkdtempSync(path.join(world.cluster.dir, "fresh-"));
    const [home, tmp, tmp2] = ["home", "tmp", "tmp2"].map((d) => path.join(fresh, d));
    for (const d of [home, tmp, tmp2]) fs.mkdirSync(d);
    const preview = await project.withEnv({ HOME: home, TMPDIR: tmp }).pulumi("preview", "--diff");
    exits(preview, 0);
    assert.deepEqual(fs.readdirSync(tmp), ["node-compile-cache"]);
    const nodeCache = path.join(home, ".cache", "node-compile-cache");
    const again = await project.withEnv({ HOME: home, TMPDIR: tmp2, NODE_COMPILE_CACHE: nodeCache }).pulumi("preview");
    exits(again, 0);
    assert.deepEqual(fs.readdirSync(tmp2, { recursive: true }), []);
    assert.match(preview.output, /\+ kubernetes:kubeflow\.org\/v1:PyTorchJob: \(create\)/);
    const up = await project.pulumi("up", "--yes");
    exits(up, 0);
    const pytorchJob = JSON.parse(
      await world.cluster.kubectlAsync("get", "pytorchjob", "granite", "-n", NS, "-o", "json"),
    );
    assert.deepEqual(
      pytorchJob.status.conditions
        .filter((c: { status: string }) => c.status === "True")
        .map((c: { type: string }) => c.type),
      ["Created", "Succeeded"],
    );
    const [container] = pytorchJob.spec.pytorchReplicaSpecs.Master.template.spec.containers;
    assert.deepEqual(container.resources.requests, { cpu: "4", memory: "32Gi" });
    assert.deepEqual(
      container.env.find((e: { name: string }) => e.name === "EPOCHS"),
      { name: "EPOCHS", value: "3" },
    );
    const token = JSON.parse(await world.cluster.kubectlAsync("get", "secret", "hf-token", "-n", NS, "-o", "json")).data
      .token;
    assert.equal(Buffer.from(token, "base64").toString(), TOKEN);
    exits(await project.pulumi("preview", "--expect-no-changes"), 0);
  });

  it("g3. the secret is in neither the stack outputs nor the state in clear text", async () => {
    const outputs = await project.pulumi("stack", "output", "--json");
    exits(outputs, 0);
    assert.equal(JSON.parse(outputs.stdout).namespace, NS);
    assert.equal(outputs.output.includes(TOKEN), false);
    const state = fs.readFileSync(project.stateFile(), "utf8");
    assert.equal(state.includes(TOKEN), false);
    assert.equal(state.includes("hf-token"), true, "the state file is the stack's");
    const exported = await project.pulumi("stack", "export");
    exits(exported, 0);
    assert.equal(exported.output.includes(TOKEN), false);
  });

  it("g4. a malformed secret fails preview and up with its key, and changes nothing", async () => {
    await set("--secret", "hfToken", "hf_e2e with spaces");
    const preview = await project.pulumi("preview");
    assert.notEqual(preview.code, 0);
    assert.match(preview.output, /finetune:hfToken: must not contain whitespace/);
    assert.equal(preview.output.includes("with spaces"), false);
    const up = await project.pulumi("up", "--yes", "--skip-preview");
    assert.notEqual(up.code, 0);
    assert.match(up.output, /finetune:hfToken: must not contain whitespace/);
    const token = JSON.parse(await world.cluster.kubectlAsync("get", "secret", "hf-token", "-n", NS, "-o", "json")).data
      .token;
    assert.equal(Buffer.from(token, "base64").toString(), TOKEN, "the Secret still holds the good token");
    await set("--secret", "hfToken", TOKEN);
    exits(await project.pulumi("preview", "--expect-no-changes"), 0);
  });

  it("g5. destroy removes everything but the retained output", async () => {
    exits(await project.pulumi("destroy", "--run-program", "--yes"), 0);
    // The operator went with the stack (its CRDs too), so PyTorchJobs are no longer a kind to list.
    const crds = JSON.parse(await world.cluster.kubectlAsync("get", "crd", "-o", "json"));
    assert.deepEqual(crds.items, []);
    const left = JSON.parse(await world.cluster.kubectlAsync("get", "pvc,secrets", "-n", NS, "-o", "json"));
    assert.deepEqual(
      left.items.map((o: { kind: string; metadata: { name: string } }) => `${o.kind} ${o.metadata.name}`),
      ["PersistentVolumeClaim granite-output"],
    );
  });
});
