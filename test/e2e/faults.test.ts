// Faults, through the CLI on the loopback cluster with the real training operator v1: two deploys of
// one stack at once; `pulumi up` interrupted while it waits for a run (SIGINT to the CLI's process
// group, as a terminal's Ctrl-C; SIGKILL of the CLI and every process it started, as a lost runner
// or machine leaves it; a CI runner's SIGINT, SIGTERM, then kill of the tree), then `pulumi up`
// again with and without `pulumi refresh` first; the operator killed mid-run; kube-apiserver and
// etcd restarted while `up` waits and while `destroy` waits; `destroy` killed halfway. Each scenario
// asserts how many runs exist (PyTorchJobs by UID), that the output PVCs kept their UIDs and
// volumes, and what the next command does.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain, sleep, until } from "../../harness/cluster";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { type Controller, TRAINING_OPERATOR_V1 } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";

type Json = Record<string, any>;

const BUNDLE = OPERATOR_V1_BUNDLE;
const NS = "faults";
const GAMMA_URN =
  "urn:pulumi:dev::finetune::finetune:index:FineTuneJob$kubernetes:kubeflow.org/v1:PyTorchJob::gamma-pytorchjob";

/**
 * Runs `check` every half second until `stop`, which returns the assertions that failed; other
 * errors (the API server down for a moment) are retried at the next pass.
 */
function watch(check: () => Promise<void>): { stop(): Promise<string[]> } {
  const failed: string[] = [];
  let watching = true;
  const loop = (async () => {
    while (watching) {
      await check().catch((e: Error) => {
        if (e instanceof assert.AssertionError) failed.push(e.message);
      });
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      watching = false;
      await loop;
      return failed;
    },
  };
}

const job = () => ({
  image: "registry.example.com/ml/trainer:1.0",
  nodes: 2,
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  runPolicy: { activeDeadlineSeconds: 3600 },
  wait: "succeeded",
  timeout: "10m",
});

describe("end to end: faults during deploys, through the CLI", () => {
  let world: FullCluster;
  let project: Project;
  let platform: Project;
  let operator: Controller;
  const jobs: Record<string, unknown> = {};
  /** Every output PVC seen: name to its UID and bound volume when first seen Bound. */
  const claims = new Map<string, { uid: string; volume: string }>();

  const configure = () =>
    project.writeConfig({
      namespace: NS,
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false },
      jobs,
    });

  /** The PyTorchJobs of the namespace: name to UIDs (more than one UID would be a second run). */
  async function runs(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const j of await world.items("pytorchjobs", "-n", NS)) {
      out[j.metadata.name] = [...(out[j.metadata.name] ?? []), j.metadata.uid];
    }
    return out;
  }

  const conditions = async (name: string) => {
    const j = (await world.items("pytorchjobs", "-n", NS)).find((x) => x.metadata.name === name);
    return ((j?.status?.conditions ?? []) as Json[]).filter((c) => c.status === "True").map((c) => c.type as string);
  };

  /** Asserts every output PVC seen so far still has its UID and volume, and records new ones. */
  async function claimsKept(): Promise<void> {
    const now = new Map((await world.items("pvc", "-n", NS)).map((p) => [p.metadata.name as string, p]));
    for (const [name, seen] of claims) {
      const pvc = now.get(name);
      assert.ok(pvc, `output PVC ${name} is gone`);
      assert.deepEqual({ uid: pvc.metadata.uid, volume: pvc.spec.volumeName }, seen, name);
    }
    for (const [name, pvc] of now) {
      if (!claims.has(name) && pvc.status?.phase === "Bound") {
        claims.set(name, { uid: pvc.metadata.uid, volume: pvc.spec.volumeName });
      }
    }
  }

  /** Starts `pulumi up` (of `by`) for a new held job and returns once its PyTorchJob runs. */
  async function upWaitingFor(name: string, by: Project = project) {
    await world.controllers.setHolding([`${name}/master`, `${name}/worker`]);
    jobs[name] = job();
    configure();
    const up = by.start("up", "--yes");
    await until("the run to be Running", async () => (await conditions(name)).includes("Running"), 180_000);
    const [uid] = (await runs())[name];
    return { up, uid };
  }

  /**
   * Runs the next up while the unchanged run is still held: it finds the run short of what wait
   * asks and waits for it again, telling it; the run is released once that up has told it running.
   */
  async function nextUpWaitsAgain(name: string) {
    const next = project.start("up", "--yes");
    await until(
      "the next up to tell the run",
      async () => next.outputSoFar().includes(`PyTorchJob ${NS}/${name}: running`),
      120_000,
    );
    await world.controllers.setHolding([]);
    const done = await next.result;
    exits(done, 0);
    assert.ok(
      done.output.includes(`PyTorchJob ${NS}/${name}: succeeded (PyTorchJobSucceeded: `),
      done.output.slice(-3000),
    );
    assert.doesNotMatch(done.output, new RegExp(`PyTorchJob ${name}-pytorchjob (creat|updat|replac)`));
  }

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    operator = world.supervise(TRAINING_OPERATOR_V1);
    // The operator is a platform stack's install, which the team's stack uses (install: false): the
    // faults are the team's runs, and its state stays small (the install's CRDs are megabytes, which
    // every command of the team's would read and write; docs/testing.md, End-to-end suite).
    platform = await createProject(world.cluster, bin, "faults-platform", "platform");
    platform.writeConfig({
      namespace: `${NS}-platform`,
      cluster: { context: world.cluster.context },
      trainingOperator: { source: BUNDLE },
      jobs: {},
    });
    exits(await platform.pulumi("up", "--yes"), 0);
    await operator.started;
    project = await createProject(world.cluster, bin, "faults", "dev");
    configure();
    exits(await project.pulumi("up", "--yes"), 0);
  });

  after(async () => {
    await world?.stop();
  });

  it("x1. two ups of one stack at once: the second is refused by the backend's lock, one run", async () => {
    const { up, uid } = await upWaitingFor("alpha");
    const second = await project.pulumi("up", "--yes");
    assert.notEqual(second.code, 0);
    assert.match(
      second.output,
      /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./,
    );
    await world.controllers.setHolding([]);
    exits(await up.result, 0);
    assert.deepEqual(await runs(), { alpha: [uid] });
    await claimsKept();
    assert.deepEqual([...claims.keys()], ["alpha-output"]);
  });

  it("x2. up interrupted by SIGINT while it waits; the next up starts no second run", async () => {
    const { up, uid } = await upWaitingFor("beta");
    up.signal("SIGINT");
    const interrupted = await up.result;
    assert.notEqual(interrupted.code, 0);
    assert.match(interrupted.output, /\^C received; cancelling\./);
    await claimsKept();
    // The run is in the state as created (the program's wait ended with the interrupted program);
    // the preview plans no new run.
    const preview = await project.pulumi("preview", "--diff");
    exits(preview, 0);
    assert.doesNotMatch(preview.output, /PyTorchJob: \((create|replace|create-replacement)\)/);
    // The next up finds the unchanged run short of what wait asks, so waits for it again, telling it.
    await nextUpWaitsAgain("beta");
    assert.deepEqual((await runs()).beta, [uid]);
    assert.deepEqual(await conditions("beta"), ["Created", "Succeeded"]);
    await claimsKept();
  });

  it("x3. up killed (SIGKILL of the CLI and every process it started) while it waits: a stale lock, then pulumi cancel and up adopt the run", async () => {
    const { up, uid } = await upWaitingFor("gamma");
    await sleep(2000);
    up.kill();
    const killed = await up.result;
    assert.equal(killed.code, null);
    const state = JSON.parse(fs.readFileSync(project.stateFile(), "utf8"));
    assert.deepEqual(
      (state.checkpoint.latest.pending_operations as Json[]).map((o) => o.resource.urn),
      [GAMMA_URN],
    );
    // The killed CLI never released the backend's lock.
    const locked = await project.pulumi("up", "--yes");
    assert.notEqual(locked.code, 0);
    assert.match(locked.output, /error: the stack is currently locked by 1 lock\(s\)/);
    exits(await project.pulumi("cancel", "--yes"), 0);
    await world.controllers.setHolding([]);
    // The state still holds the create the killed CLI had started: up warns of it, creates the
    // PyTorchJob again, and the server-side apply of an object that exists adopts it.
    const next = await project.pulumi("up", "--yes");
    exits(next, 0);
    const text = next.output.replace(/\s+/g, " ");
    assert.ok(
      text.includes(
        "warning: Attempting to deploy or update resources with 1 pending operations from previous deployment.",
      ),
    );
    assert.ok(text.includes("PyTorchJob::gamma-pytorchjob, interrupted while creating"));
    assert.match(next.output, /\+ {2}kubernetes:kubeflow\.org\/v1:PyTorchJob gamma-pytorchjob created/);
    assert.deepEqual(await conditions("gamma"), ["Created", "Succeeded"]);
    // The pending create stays in the state (every up warns of it) until a refresh clears it; this
    // one refreshes only the interrupted run.
    const urn =
      "urn:pulumi:dev::finetune::finetune:index:FineTuneJob$kubernetes:kubeflow.org/v1:PyTorchJob::gamma-pytorchjob";
    exits(await project.pulumi("refresh", "--yes", "--clear-pending-creates", "--target", urn), 0);
    const clean = await project.pulumi("up", "--yes");
    exits(clean, 0);
    assert.doesNotMatch(clean.output, /pending operations/);
    assert.deepEqual((await runs()).gamma, [uid]);
    await claimsKept();
  });

  it("x4. the operator killed mid-run and started again: the run completes and up says so", async () => {
    const { up, uid } = await upWaitingFor("delta");
    await operator.kill();
    await world.controllers.setHolding([]);
    await sleep(15_000);
    assert.deepEqual(
      await conditions("delta"),
      ["Created", "Running"],
      "nothing marks the run done while the operator is down",
    );
    await operator.start();
    const result = await up.result;
    exits(result, 0);
    assert.deepEqual(await conditions("delta"), ["Created", "Succeeded"]);
    assert.deepEqual((await runs()).delta, [uid]);
    await claimsKept();
  });

  it("x5. the API server and etcd restarted while up waits for a run: up ends, the next up converges, one run", async () => {
    const { up, uid } = await upWaitingFor("epsilon");
    await world.cluster.restartControlPlane(async () => {
      await sleep(5000);
    });
    await world.controllers.setHolding([]);
    // The provider's watch of the run outlives the restart: up ends when the run succeeds.
    exits(await up.result, 0);
    const next = await project.pulumi("up", "--yes");
    exits(next, 0);
    assert.match(next.output, /Resources:\n\s+\d+ unchanged/);
    assert.deepEqual((await runs()).epsilon, [uid]);
    assert.deepEqual(await conditions("epsilon"), ["Created", "Succeeded"]);
    await claimsKept();
  });

  it("x6. up cancelled as a CI runner cancels (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that), then pulumi refresh, then up: one run", async () => {
    const { up, uid } = await upWaitingFor("zeta");
    up.signal("SIGINT");
    await sleep(7500);
    const afterInterrupt = up.alive();
    up.signal("SIGTERM");
    await sleep(2500);
    up.kill();
    const cancelled = await up.result;
    // The CLI and every process it started had ended on SIGINT: the later signals found nothing.
    assert.equal(afterInterrupt, false);
    assert.notEqual(cancelled.code, 0);
    assert.match(cancelled.output, /\^C received; cancelling\./);
    // A refresh reads the run as it is (running).
    exits(await project.pulumi("refresh", "--yes"), 0);
    await claimsKept();
    // The program reads the run itself: the next up plans nothing for it, finds it short of what
    // wait asks, and waits for it again until it succeeds.
    await nextUpWaitsAgain("zeta");
    // Once there, an unchanged run costs one look and tells nothing.
    const quiet = await project.pulumi("up", "--yes");
    exits(quiet, 0);
    assert.doesNotMatch(quiet.output, /PyTorchJob faults\/zeta: /);
    assert.deepEqual((await runs()).zeta, [uid]);
    assert.deepEqual(await conditions("zeta"), ["Created", "Succeeded"]);
    await claimsKept();
  });

  it("x7. up killed (SIGKILL) while it waits, then pulumi cancel, pulumi refresh and up: one run", async () => {
    const { up, uid } = await upWaitingFor("eta");
    await sleep(2000);
    up.kill();
    await up.result;
    exits(await project.pulumi("cancel", "--yes"), 0);
    const pending = () =>
      (JSON.parse(fs.readFileSync(project.stateFile(), "utf8")).checkpoint.latest.pending_operations ?? []).map(
        (o: Json) => `${o.type} ${o.resource.urn}`,
      );
    const urn = GAMMA_URN.replace("gamma", "eta");
    // Without a flag, a refresh that cannot ask (--yes, no terminal) keeps the pending create, silently.
    const refresh = await project.pulumi("refresh", "--yes");
    exits(refresh, 0);
    assert.doesNotMatch(refresh.output, /pending/);
    assert.deepEqual(pending(), [`creating ${urn}`]);
    exits(await project.pulumi("refresh", "--yes", "--clear-pending-creates"), 0);
    assert.deepEqual(pending(), []);
    await world.controllers.setHolding([]);
    // The run is not in the state: up creates it, and the server-side apply adopts the one that runs.
    const next = await project.pulumi("up", "--yes");
    exits(next, 0);
    assert.doesNotMatch(next.output, /pending operations/);
    assert.match(next.output, /\+ {2}kubernetes:kubeflow\.org\/v1:PyTorchJob eta-pytorchjob created/);
    assert.deepEqual((await runs()).eta, [uid]);
    assert.deepEqual(await conditions("eta"), ["Created", "Succeeded"]);
    await claimsKept();
  });

  it("x8. the API server and etcd restarted while destroy waits for a run's deletion: destroy completes, the output PVCs stay", async () => {
    const ns = `${NS}-teardown`;
    const other = await createProject(world.cluster, buildToolchain(), "faults-teardown", "teardown");
    other.writeConfig({
      namespace: ns,
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false },
      jobs: { iota: job(), kappa: job() },
    });
    exits(await other.pulumi("up", "--yes"), 0);
    const volumes = async () =>
      Object.fromEntries(
        (await world.items("pvc", "-n", ns)).map((p) => [p.metadata.name, `${p.metadata.uid} ${p.spec.volumeName}`]),
      );
    const kept = await volumes();
    assert.deepEqual(Object.keys(kept).sort(), ["iota-output", "kappa-output"]);
    const watcher = watch(async () => assert.deepEqual(await volumes(), kept));
    // A finalizer (as another controller may hold one) keeps iota's PyTorchJob while destroy waits for it to go.
    const hold = (finalizers: string[] | null) =>
      world.cluster.kubectlAsync(
        "patch",
        "pytorchjob",
        "iota",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ metadata: { finalizers } }),
      );
    await hold(["e2e.finetune/hold"]);
    const destroy = other.start("destroy", "--run-program", "--yes");
    await until(
      "iota's deletion to wait on its finalizer",
      async () => (await world.items("pytorchjobs", "-n", ns)).some((j) => j.metadata.deletionTimestamp),
      60_000,
    );
    await sleep(2000);
    await world.cluster.restartControlPlane(async () => {
      await sleep(5000);
    });
    // Still waiting for iota's deletion, across the restart.
    assert.equal(destroy.alive(), true);
    await hold(null);
    const first = await destroy.result;
    exits(first, 0);
    assert.match(first.output, /- {2}kubernetes:kubeflow\.org\/v1:PyTorchJob iota-pytorchjob deleted \(\d+s\)/);
    assert.match(first.output, /Resources:\n\s+- 11 deleted/);
    // The stack is empty now, so no delete hook is left to run: a plain destroy. (With --run-program
    // the engine would register the program's components and provider into the empty state.)
    const again = await other.pulumi("destroy", "--yes");
    exits(again, 0);
    const problems = await watcher.stop();
    const state = JSON.parse(fs.readFileSync(other.stateFile(), "utf8"));
    assert.deepEqual(state.checkpoint.latest.resources ?? [], []);
    assert.deepEqual(problems, []);
    assert.deepEqual(await volumes(), kept);
    assert.deepEqual(await world.items("pytorchjobs", "-n", ns), []);
  });

  it("x9. with PULUMI_SKIP_CHECKPOINTS, up killed while it waits: the state knows nothing of the run; pulumi cancel and up adopt it", async () => {
    const skipping = project.withEnv({ PULUMI_SKIP_CHECKPOINTS: "true" });
    const before = JSON.parse(fs.readFileSync(project.stateFile(), "utf8")).checkpoint.latest;
    const { up, uid } = await upWaitingFor("theta", skipping);
    await sleep(2000);
    up.kill();
    await up.result;
    await claimsKept();
    assert.ok(claims.has("theta-output"));
    // The state is the last complete deploy's: no trace of theta, not even a pending create.
    const after = JSON.parse(fs.readFileSync(project.stateFile(), "utf8")).checkpoint.latest;
    assert.deepEqual(after, before);
    assert.deepEqual(
      (after.resources as Json[]).filter((r) => r.urn.includes("theta")),
      [],
    );
    exits(await skipping.pulumi("cancel", "--yes"), 0);
    await world.controllers.setHolding([]);
    // up plans theta's objects as new; the server-side applies adopt the ones that exist.
    const next = await skipping.pulumi("up", "--yes");
    exits(next, 0);
    assert.doesNotMatch(next.output, /pending operations/);
    assert.match(next.output, /\+ {2}kubernetes:core\/v1:PersistentVolumeClaim theta-output created/);
    assert.match(next.output, /\+ {2}kubernetes:kubeflow\.org\/v1:PyTorchJob theta-pytorchjob created/);
    assert.deepEqual((await runs()).theta, [uid]);
    assert.deepEqual(await conditions("theta"), ["Created", "Succeeded"]);
    await claimsKept();
  });

  it("x10. with PULUMI_SKIP_CHECKPOINTS, up killed, then the job removed from the config: its objects are left behind", async () => {
    const skipping = project.withEnv({ PULUMI_SKIP_CHECKPOINTS: "true" });
    const { up, uid } = await upWaitingFor("lambda", skipping);
    await sleep(2000);
    up.kill();
    await up.result;
    await claimsKept();
    exits(await skipping.pulumi("cancel", "--yes"), 0);
    delete jobs.lambda;
    configure();
    // Nothing in the state is lambda's, so up has nothing of it to delete: it says nothing of it.
    const next = await skipping.pulumi("up", "--yes");
    exits(next, 0);
    assert.doesNotMatch(next.output, /lambda/);
    assert.match(next.output, /Resources:\n\s+\d+ unchanged/);
    // Its run, with its pods, goes on, unknown to the stack (a destroy would not delete it either);
    // the job's labels find what it left.
    const left = async () =>
      (await world.items("pytorchjobs,jobs,pvc,networkpolicies", "-n", NS, "-l", "app.kubernetes.io/instance=lambda"))
        .map((o) => `${o.kind} ${o.metadata.name}`)
        .sort();
    assert.deepEqual(await left(), ["PersistentVolumeClaim lambda-output", "PyTorchJob lambda"]);
    assert.deepEqual((await runs()).lambda, [uid]);
    await world.controllers.setHolding([]);
    await world.cluster.kubectlAsync("delete", "pytorchjob", "lambda", "-n", NS, "--wait=true");
    assert.deepEqual(await left(), ["PersistentVolumeClaim lambda-output"]);
    await claimsKept();
  });

  it("x11. destroy killed halfway, then destroy again: the output PVCs are never deleted", async () => {
    const watcher = watch(claimsKept);
    const destroy = project.start("destroy", "--run-program", "--yes");
    await until("a run to be deleted", async () => Object.keys(await runs().catch(() => ({}))).length < 8, 180_000);
    destroy.kill();
    await destroy.result;
    const locked = await project.pulumi("destroy", "--run-program", "--yes");
    assert.match(locked.output, /error: the stack is currently locked by 1 lock\(s\)/);
    exits(await project.pulumi("cancel", "--yes"), 0);
    const again = await project.pulumi("destroy", "--run-program", "--yes");
    exits(again, 0);
    assert.deepEqual(await watcher.stop(), []);
    await claimsKept();
    // The team's destroy leaves the platform's install; the platform's own destroy removes it.
    const crds = async () =>
      (await world.items("crd")).map((c) => c.metadata.name).filter((n: string) => n.endsWith("kubeflow.org"));
    assert.equal((await crds()).length, 6);
    exits(await platform.pulumi("destroy", "--run-program", "--yes"), 0);
    assert.deepEqual(await crds(), []);
    assert.deepEqual([...claims.keys()].sort(), [
      "alpha-output",
      "beta-output",
      "delta-output",
      "epsilon-output",
      "eta-output",
      "gamma-output",
      "lambda-output",
      "theta-output",
      "zeta-output",
    ]);
  });
});
