// Upgrading the program, end to end, as a user upgrades their copy: a stack deployed by the
// previous release (its commit, from the CHANGELOG, checked out into the project copy), then the
// same stack and config previewed and deployed with this tree. No run is replaced and no data is
// fetched again: the staging, preparation and training jobs keep their UIDs. The loopback cluster
// with its controllers, KWOK GPU nodes and the real training operator v1.9.4 (lifecycle.test.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain, until } from "../../harness/cluster";
import { OPERATOR_READY_ANNOTATION } from "../../harness/controllers";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { TRAINING_OPERATOR_V1 } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE, ROOT } from "../../harness/paths";
import { keepTranscript } from "../../harness/transcripts";
import { ilabJob } from "../support/e2eJobs";
import { checkCommit, releases } from "../support/releases";

type Json = Record<string, any>;
const NS = "team-a";

/** The jobs of a run whose UIDs an upgrade must keep. */
const RUN_OBJECTS: [string, string][] = [
  ["job", "tuned-stage-model"],
  ["job", "tuned-stage-dataset"],
  ["job", "tuned-prepare"],
  ["pytorchjob", "tuned"],
];

const previous = releases(fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"))[0];
// A shallow clone that cannot be deepened has no previous release to deploy: said, as a skip.
const check = checkCommit(ROOT, previous.commit);
const skip = !check.held && check.shallow && check.why;

describe("end to end: a stack deployed by the previous release, upgraded to this tree", { skip }, () => {
  let world: FullCluster;
  let team: Project;
  let platform: Project;
  const get = async (kind: string, name: string): Promise<Json> =>
    JSON.parse(await world.cluster.kubectlAsync("get", kind, name, "-n", NS, "-o", "json"));
  const uids = async () =>
    Object.fromEntries(
      await Promise.all(RUN_OBJECTS.map(async ([kind, name]) => [name, (await get(kind, name)).metadata.uid])),
    );
  const config = (job: Json, more: Json = {}, version?: string) => ({
    namespace: NS,
    cluster: { context: world.cluster.context },
    trainingOperator: { install: false, ...(version !== undefined ? { version } : {}) },
    jobs: { tuned: job, ...more },
  });

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    world.supervise(TRAINING_OPERATOR_V1);
    platform = await createProject(world.cluster, bin, "platform", "platform");
    platform.writeConfig({
      namespace: "platform",
      cluster: { context: world.cluster.context },
      trainingOperator: { source: OPERATOR_V1_BUNDLE },
      jobs: {},
    });
    exits(await platform.pulumi("up", "--yes"), 0);
    team = await createProject(world.cluster, bin, "team", "dev", { ref: previous.commit });
  });

  after(async () => {
    await world?.stop();
  });

  it(`v. deployed by ${previous.version}, previewed and deployed with this tree: nothing of the run is replaced`, async () => {
    team.writeConfig(config(ilabJob()));
    exits(await team.pulumi("up", "--yes"), 0);
    const before = await uids();

    team.checkout(undefined);
    const preview = await team.pulumi("preview", "--json");
    keepTranscript("upgrade-preview", preview.output);
    exits(preview, 0);
    const steps = (JSON.parse(preview.stdout).steps ?? []) as Json[];
    const replaced = steps
      .filter((s) => ["replace", "create-replacement", "delete-replaced", "delete", "create"].includes(s.op))
      .map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    assert.deepEqual(replaced, []);
    // This tree writes InstructLab jobs with on-demand checkpointing; 0.1.0 recorded nothing of the
    // config its run was made from, so the run is kept as it is, and the preview says so.
    const kept =
      "finetune:jobs.tuned: PyTorchJob team-a/tuned was created by a release of the program that recorded nothing of the config it was made from (0.1.0 or earlier): it is kept as it runs, and this update leaves its spec as it is. What a newer release writes differently applies at its next run; if you changed finetune:jobs.tuned in this update, set finetune:jobs.tuned.rerun to a new value to run it with the change.";
    assert.equal(preview.output.includes(kept), true, preview.output.slice(-3000));

    const up = await team.pulumi("up", "--yes");
    keepTranscript("upgrade-up", up.output);
    exits(up, 0);
    assert.deepEqual(await uids(), before);
    // The stack outputs say which version of the program deployed it last (0.1.0 gave none).
    const outputs = JSON.parse((await team.pulumi("stack", "output", "--json")).stdout);
    assert.equal(outputs.version, JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
    // What the previous release wrote is what the Jobs still hold: no requests on the staging pod.
    const stage = await get("job", "tuned-stage-model");
    assert.deepEqual(stage.spec.template.spec.containers[0].resources, {});
    // The training job too: no on-demand checkpointing, the default grace period; now recorded.
    const run = await get("pytorchjob", "tuned");
    const pod = run.spec.pytorchReplicaSpecs.Master.template.spec;
    assert.equal(pod.containers[0].command.includes("--on_demand_checkpointing"), false);
    assert.equal(pod.terminationGracePeriodSeconds, undefined);
    assert.match(run.metadata.annotations["finetune/run-config"], /^[0-9a-f]{32}$/);
    assert.equal(run.metadata.annotations["finetune/run-spec"], undefined, "what 0.1.0 wrote is not known");
    assert.equal(up.output.includes(kept), true, up.output.slice(-3000));
    // Recorded: the next preview plans nothing and says nothing of it.
    const next = await team.pulumi("preview", "--json");
    exits(next, 0);
    assert.deepEqual(
      ((JSON.parse(next.stdout).steps ?? []) as Json[]).filter((s) => s.op !== "same").map((s) => s.op),
      [],
    );
    assert.equal(next.output.includes("recorded nothing"), false);
  });

  it("v2. the next run of a kept Job is written as this tree writes it: a restage fetches with staging.resources", async () => {
    const before = await uids();
    team.writeConfig(config(ilabJob({ model: { ...ilabJob().model, restage: "2026-12-05" } })));
    exits(await team.pulumi("up", "--yes"), 0);
    const after = await uids();
    // A new model: fetched again, prepared again, trained again; the dataset stays.
    assert.notEqual(after["tuned-stage-model"], before["tuned-stage-model"]);
    assert.notEqual(after["tuned-prepare"], before["tuned-prepare"]);
    assert.notEqual(after.tuned, before.tuned);
    assert.equal(after["tuned-stage-dataset"], before["tuned-stage-dataset"]);
    const stage = await get("job", "tuned-stage-model");
    assert.deepEqual(stage.spec.template.spec.containers[0].resources, {
      requests: { cpu: "1", memory: "2Gi" },
      limits: { memory: "8Gi" },
    });
    // The new run is written as this tree writes it, and recorded.
    const run = await get("pytorchjob", "tuned");
    const pod = run.spec.pytorchReplicaSpecs.Master.template.spec;
    assert.equal(pod.containers[0].command.includes("--on_demand_checkpointing"), true);
    assert.equal(pod.terminationGracePeriodSeconds, 300);
    assert.match(run.metadata.annotations["finetune/run-spec"], /^[0-9a-f]{32}$/);
  });

  it("o. the platform's operator moved to another release while a run runs: only the install's Deployment is updated, and the run is untouched", async () => {
    // A run in progress, held running by the simulated nodes.
    await world.controllers.setHolding(["live/master"]);
    const live = {
      image: "registry.example.com/ml/trainer:1.0",
      resources: { cpu: "1", memory: "4Gi" },
      output: { size: "1Gi" },
      trainer: { type: "command", command: ["torchrun", "train.py"] },
      wait: "running",
    };
    const tuned = ilabJob({ model: { ...ilabJob().model, restage: "2026-12-05" } });
    team.writeConfig(config(tuned, { live }));
    exits(await team.pulumi("up", "--yes"), 0);
    const run = await get("pytorchjob", "live");
    const [pod] = await world.items("pods", "-n", NS, "-l", "training.kubeflow.org/job-name=live");

    // Another release of the operator, as a platform would move to it: here 1.9.4's objects with
    // another manager image (the one release this machine has), named v1.9.5.
    const bundle = path.join(world.cluster.dir, "training-operator-next.yaml");
    const text = fs.readFileSync(OPERATOR_V1_BUNDLE, "utf8");
    assert.equal(text.includes("training-operator:v1-93c5489"), true);
    fs.writeFileSync(bundle, text.replace("training-operator:v1-93c5489", "training-operator:v1-next"));
    platform.writeConfig({
      namespace: "platform",
      cluster: { context: world.cluster.context },
      trainingOperator: { version: "v1.9.5", source: bundle },
      jobs: {},
    });
    const preview = await platform.pulumi("preview", "--json");
    keepTranscript("operator-move-preview", preview.output);
    exits(preview, 0);
    // `op type name` of each step that is not `same`.
    const changed = ((JSON.parse(preview.stdout).steps ?? []) as Json[])
      .filter((s) => s.op !== "same")
      .map((s) => {
        const [, , type, name] = (s.urn as string).split("::");
        return `${s.op} ${type.split("$").pop()} ${name}`;
      });
    // The ConfigGroup (a component: the install's manifests) and, of the objects, the Deployment only.
    assert.deepEqual(changed, [
      "update kubernetes:yaml:ConfigGroup training-operator",
      "update kubernetes:apps/v1:Deployment kubeflow/training-operator",
    ]);
    // The new manager's pod becomes Ready as the old one's did (the operator itself is the suite's process).
    const up = platform.start("up", "--yes");
    const ready = setInterval(() => {
      world.cluster
        .kubectlAsync("annotate", "pod", "-n", "kubeflow", "--all", `${OPERATOR_READY_ANNOTATION}=true`, "--overwrite")
        .catch(() => undefined);
    }, 2000);
    try {
      exits(await up.result, 0);
    } finally {
      clearInterval(ready);
    }
    const image = JSON.parse(
      await world.cluster.kubectlAsync("get", "deployment", "training-operator", "-n", "kubeflow", "-o", "json"),
    ).spec.template.spec.containers[0].image;
    assert.equal(image, "ghcr.io/kubeflow/training-v1/training-operator:v1-next");

    // The run: the same job and pod, still running. The team's stack names the new release too: its
    // runs are of the same generation, so it plans nothing.
    const after = await get("pytorchjob", "live");
    assert.equal(after.metadata.uid, run.metadata.uid);
    const [still] = await world.items("pods", "-n", NS, "-l", "training.kubeflow.org/job-name=live");
    assert.deepEqual([still.metadata.uid, still.status.phase], [pod.metadata.uid, "Running"]);
    team.writeConfig(config(tuned, { live }, "v1.9.5"));
    const teamPreview = await team.pulumi("preview", "--json");
    exits(teamPreview, 0);
    assert.deepEqual(
      ((JSON.parse(teamPreview.stdout).steps ?? []) as Json[]).filter((s) => s.op !== "same").map((s) => s.op),
      [],
    );
    await world.controllers.setHolding([]);
    await until(
      "the run to end",
      async () =>
        ((await get("pytorchjob", "live")).status?.conditions ?? []).some(
          (c: Json) => c.type === "Succeeded" && c.status === "True",
        ),
      120_000,
    );
  });
});
