// Kubeflow Trainer v2 end to end, as users run the program: the Pulumi CLI on copies of the
// project directory, against a loopback cluster with its controllers, simulated GPU nodes (KWOK),
// and the real Trainer v2.3.0 controller manager and JobSet v0.12.0 with their webhooks. A platform
// stack installs Trainer v2 from the local bundles; a team stack runs TrainJobs on it; a job moves
// from the v1 operator (installed by a second platform stack) to Trainer v2 by one config line.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain, until } from "../../harness/cluster";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { type Controller, JOBSET, TRAINER_V2, TRAINING_OPERATOR_V1, webhookRefuses } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE, TRAINER_V2_BUNDLE, TRAINER_V2_RUNTIMES } from "../../harness/paths";
import { postTrainerStatus } from "../../harness/trainerStatus";
import { keepTranscript } from "../../harness/transcripts";
import { restrictedViolations } from "../support/podSecurity";

type Json = Record<string, any>;

const TRAINER_BUNDLE = TRAINER_V2_BUNDLE;
const RUNTIMES_BUNDLE = TRAINER_V2_RUNTIMES;
const V1_BUNDLE = OPERATOR_V1_BUNDLE;
const NS = "team-b";
const FAILED = 1;

const commandJob = (extra: Json = {}): Json => ({
  image: "registry.example.com/ml/trainer:1.0",
  resources: { memory: "16Gi" },
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

const trueConditions = (obj: Json) =>
  (obj.status?.conditions ?? []).filter((c: Json) => c.status === "True").map((c: Json) => c.type);

describe("end to end: Kubeflow Trainer v2, through the CLI, with the real Trainer and JobSet controllers", () => {
  let world: FullCluster;
  let trainer: Controller;
  let jobset: Controller;
  let platform: Project;
  let team: Project;
  const jobs: Json = {};
  const get = async (kind: string, name: string, ns = NS): Promise<Json> =>
    JSON.parse(await world.cluster.kubectlAsync("get", kind, name, "-n", ns, "-o", "json"));
  const deployTeam = async () => {
    team.writeConfig({
      namespace: NS,
      cluster: { context: world.cluster.context },
      trainingOperator: { version: "v2.3.0", install: false },
      jobs,
    });
    return team.pulumi("up", "--yes");
  };

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    jobset = world.supervise(JOBSET);
    trainer = world.supervise(TRAINER_V2);
    platform = await createProject(world.cluster, bin, "platform-v2", "platform");
    team = await createProject(world.cluster, bin, "team-v2", "dev");
  });

  after(async () => {
    await world?.stop();
  });

  it("f. the platform stack installs Trainer v2 from the local bundles, manager then runtimes; its webhook refuses", async () => {
    platform.writeConfig({
      namespace: "platform-v2",
      cluster: { context: world.cluster.context },
      trainingOperator: {
        version: "v2.3.0",
        source: TRAINER_BUNDLE,
        runtimesSource: RUNTIMES_BUNDLE,
        trainJobStatus: true,
      },
      jobs: {},
    });
    exits(await platform.pulumi("up", "--yes"), 0);
    await Promise.all([jobset.started, trainer.started]);
    // The manager runs with the TrainJobStatus gate on (case d: its status server takes progress).
    assert.equal(trainer.args().includes("--feature-gates=TrainJobStatus=true"), true, trainer.args().join(" "));
    const runtimes = (await world.items("clustertrainingruntimes")).map((r) => r.metadata.name).sort();
    assert.deepEqual(runtimes, [
      "deepspeed-distributed",
      "jax-distributed",
      "mlx-distributed",
      "torch-distributed",
      "torchtune-llama3.2-1b",
      "torchtune-llama3.2-3b",
      "torchtune-qwen2.5-1.5b",
      "xgboost-distributed",
    ]);
    const message = await webhookRefuses(world.cluster, {
      apiVersion: "trainer.kubeflow.org/v1alpha1",
      kind: "TrainJob",
      metadata: { name: "webhook-probe", namespace: "default" },
      spec: { runtimeRef: { name: "no-such-runtime" } },
    });
    assert.match(message, /ClusterTrainingRuntime\.trainer\.kubeflow\.org "no-such-runtime" not found/);
  });

  it("a. a 2-node TrainJob, wait: running: JobSet's pods are admitted under restricted and scheduled on GPU nodes", async () => {
    jobs.sweep = commandJob({ nodes: 2, gpusPerNode: 2, wait: "running" });
    exits(await deployTeam(), 0);
    const namespace = JSON.parse(await world.cluster.kubectlAsync("get", "namespace", NS, "-o", "json"));
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const pods = await world.items("pods", "-n", NS, "-l", "jobset.sigs.k8s.io/jobset-name=sweep");
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.equal(world.controllers.nodes.includes(pod.spec.nodeName), true, pod.metadata.name);
      assert.deepEqual(restrictedViolations(pod.spec), [], pod.metadata.name);
      const node = pod.spec.containers.find((c: Json) => c.name === "node");
      assert.equal(node.image, "registry.example.com/ml/trainer:1.0");
      assert.deepEqual(node.command, ["torchrun", "train.py"]);
      assert.equal(node.resources.limits["nvidia.com/gpu"], "2");
      assert.equal(pod.metadata.labels["app.kubernetes.io/instance"], "sweep");
    }
    const outputs = JSON.parse((await team.pulumi("stack", "output", "--json")).stdout);
    assert.equal(
      outputs.jobs.sweep.logs,
      `kubectl --context e2e -n ${NS} logs -f -l jobset.sigs.k8s.io/jobset-name=sweep,jobset.sigs.k8s.io/replicatedjob-name=node,batch.kubernetes.io/job-completion-index=0 -c node`,
    );
  });

  it("a2. a deepspeed-distributed TrainJob: its node and launcher pods (MPI, the launcher runs as a node) are admitted under restricted", async () => {
    jobs.ds = commandJob({
      nodes: 2,
      gpusPerNode: 2,
      wait: "running",
      timeout: "5m",
      runtime: "deepspeed-distributed",
    });
    exits(await deployTeam(), 0);
    // JobSet starts the launcher once the node job is ready (the runtime's dependsOn).
    let pods: Json[] = [];
    await until(
      "JobSet starts the launcher",
      async () => {
        pods = await world.items("pods", "-n", NS, "-l", "jobset.sigs.k8s.io/jobset-name=ds");
        return pods.some((p) => p.metadata.labels["jobset.sigs.k8s.io/replicatedjob-name"] === "launcher");
      },
      120_000,
    );
    assert.deepEqual(pods.map((p) => p.metadata.labels["jobset.sigs.k8s.io/replicatedjob-name"]).sort(), [
      "launcher",
      "node",
    ]);
    for (const pod of pods) {
      assert.equal(world.controllers.nodes.includes(pod.spec.nodeName), true, pod.metadata.name);
      assert.deepEqual(restrictedViolations(pod.spec), [], pod.metadata.name);
      assert.deepEqual(
        pod.spec.volumes.map((v: Json) => v.name).filter((n: string) => n === "output" || n === "dshm"),
        ["dshm", "output"],
        pod.metadata.name,
      );
    }
    const launcher = pods.find((p) => p.metadata.labels["jobset.sigs.k8s.io/replicatedjob-name"] === "launcher");
    assert.equal(
      launcher?.spec.containers.find((c: Json) => c.name === "node").image,
      "registry.example.com/ml/trainer:1.0",
    );
  });

  it("b. wait: succeeded: up returns once the TrainJob is Complete, and the outputs show it", async () => {
    jobs.final = commandJob({ wait: "succeeded" });
    exits(await deployTeam(), 0);
    const outputs = JSON.parse((await team.pulumi("stack", "output", "--json")).stdout);
    assert.deepEqual(
      outputs.jobs.final.conditions.filter((c: Json) => c.status === "True").map((c: Json) => c.type),
      ["Complete"],
    );
  });

  it("d. the trainer's progress, posted to Trainer v2's status server, shows in up as it waits, with the time left", async () => {
    // Held running while the trainer reports twice, as a trainer does with the TrainJobStatus gate
    // on: to the URL the manager gave its container, with a token for that TrainJob.
    await world.controllers.setHolding(["reporting-node-0"]);
    jobs.reporting = commandJob({ wait: "succeeded" });
    const up = deployTeam();
    let pod: Json = {};
    await until(
      "the reporting TrainJob's pod runs",
      async () => {
        const pods = await world.items("pods", "-n", NS, "-l", "jobset.sigs.k8s.io/jobset-name=reporting");
        pod = pods.find((p) => p.status.phase === "Running") ?? {};
        return pod.metadata !== undefined;
      },
      120_000,
    );
    const node = pod.spec.containers.find((c: Json) => c.name === "node");
    assert.deepEqual(
      (node.env ?? []).filter((e: Json) => e.name.startsWith("KUBEFLOW_TRAINER_SERVER")),
      [
        {
          name: "KUBEFLOW_TRAINER_SERVER_URL",
          // The manager's statusServer.port: 10443 in the bundle, a free loopback port here.
          value: `https://kubeflow-trainer-controller-manager.kubeflow-system.svc:${trainer.ports()?.status}/apis/trainer.kubeflow.org/v1alpha1/namespaces/${NS}/trainjobs/reporting/status`,
        },
        { name: "KUBEFLOW_TRAINER_SERVER_CA_CERT", value: "/var/run/secrets/kubeflow/trainer/ca.crt" },
        { name: "KUBEFLOW_TRAINER_SERVER_TOKEN", value: "/var/run/secrets/kubeflow/trainer/token" },
      ],
    );
    const report = async (percent: number, left: number, loss: string) => {
      const trainerStatus = {
        progressPercentage: percent,
        estimatedRemainingSeconds: left,
        metrics: [{ name: "loss", value: loss }],
        lastUpdatedTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      };
      const answer = await postTrainerStatus(world.cluster, pod, trainer.ports()?.status ?? 0, trainerStatus);
      assert.equal(answer.status, 200, answer.body);
      // The program looks every 3 seconds.
      await new Promise((r) => setTimeout(r, 8000));
    };
    await report(40, 3720, "0.52");
    await report(80, 900, "0.31");
    await world.controllers.setHolding([]);
    const done = await up;
    keepTranscript("progress", done.output);
    exits(done, 0);
    const at = [
      "TrainJob team-b/reporting: training 40% done, about 1h 2m left (loss=0.52)",
      "TrainJob team-b/reporting: training 80% done, about 15m 0s left (loss=0.31)",
    ].map((line) => done.output.indexOf(line));
    assert.equal(at[0] >= 0 && at[1] > at[0], true, done.output.slice(-4000));
    delete jobs.reporting;
    exits(await deployTeam(), 0);
  });

  it("c. a crashing trainer fails up with the TrainJob's reason; the next up fails the same; rerun runs again", async () => {
    await world.controllers.setFailing(["doomed-node-0"]);
    jobs.doomed = commandJob({ wait: "succeeded" });
    const up = await deployTeam();
    exits(up, FAILED);
    const doomed = await get("trainjob", "doomed");
    const failed = doomed.status.conditions.find((c: Json) => c.type === "Failed" && c.status === "True");
    assert.ok(failed, JSON.stringify(doomed.status));
    assert.equal(
      up.output.includes(`finetune:jobs.doomed: TrainJob ${NS}/doomed failed (${failed.reason}: ${failed.message}).`),
      true,
      up.output.slice(-4000),
    );
    const again = await deployTeam();
    exits(again, FAILED);
    assert.equal((await get("trainjob", "doomed")).metadata.uid, doomed.metadata.uid, "no second run");
    await world.controllers.setFailing([]);
    jobs.doomed = commandJob({ wait: "succeeded", rerun: "2" });
    exits(await deployTeam(), 0);
    const second = await get("trainjob", "doomed");
    assert.notEqual(second.metadata.uid, doomed.metadata.uid);
    assert.deepEqual(trueConditions(second), ["Complete"]);
  });

  it("moving a job from the v1 operator to Trainer v2 is one config line and one honest preview", async () => {
    const v1 = world.supervise(TRAINING_OPERATOR_V1);
    const platformV1 = await createProject(world.cluster, buildToolchain(), "platform-v1", "platform-v1");
    platformV1.writeConfig({
      namespace: "platform-v1",
      cluster: { context: world.cluster.context },
      trainingOperator: { source: V1_BUNDLE },
      jobs: {},
    });
    exits(await platformV1.pulumi("up", "--yes"), 0);
    await v1.started;
    const moving = await createProject(world.cluster, buildToolchain(), "moving", "moving");
    const config = (version: string) => ({
      namespace: "moving",
      cluster: { context: world.cluster.context },
      trainingOperator: {
        version,
        install: false,
        ...(version.startsWith("v1") ? { workerPodSecurity: "restricted" } : {}),
      },
      jobs: { granite: commandJob({ wait: "succeeded" }) },
    });
    moving.writeConfig(config("v1.9.4"));
    exits(await moving.pulumi("up", "--yes"), 0);
    assert.deepEqual(trueConditions(await get("pytorchjob", "granite", "moving")), ["Created", "Succeeded"]);
    const claim = await get("pvc", "granite-output", "moving");

    moving.writeConfig(config("v2.3.0"));
    const preview = await moving.pulumi("preview", "--diff");
    exits(preview, 0);
    assert.match(preview.output, /- kubernetes:kubeflow\.org\/v1:PyTorchJob: \(delete\)/);
    assert.match(preview.output, /\+ kubernetes:trainer\.kubeflow\.org\/v1alpha1:TrainJob: \(create\)/);
    assert.match(preview.output, /Resources:\n\s+\+ 1 to create\n\s+- 1 to delete\n/);
    exits(await moving.pulumi("up", "--yes"), 0);
    assert.deepEqual(trueConditions(await get("trainjob", "granite", "moving")), ["Complete"]);
    assert.equal(
      (await get("pvc", "granite-output", "moving")).metadata.uid,
      claim.metadata.uid,
      "the checkpoints stayed",
    );
    assert.deepEqual(await world.items("pytorchjobs", "-n", "moving"), []);
    exits(await moving.pulumi("destroy", "--run-program", "--yes"), 0);
    exits(await platformV1.pulumi("destroy", "--run-program", "--yes"), 0);
  });

  it("e. destroy keeps the outputs; the platform's destroy removes Trainer v2 and its CRDs", async () => {
    exits(await team.pulumi("destroy", "--run-program", "--yes"), 0);
    const names = async (kind: string) => (await world.items(kind, "-n", NS)).map((o) => o.metadata.name).sort();
    assert.deepEqual(await names("trainjobs"), []);
    assert.deepEqual(await names("pvc"), [
      "doomed-output",
      "ds-output",
      "final-output",
      "reporting-output",
      "sweep-output",
    ]);
    exits(await platform.pulumi("destroy", "--run-program", "--yes"), 0);
    const crds = (await world.items("crd")).map((c) => c.metadata.name);
    assert.deepEqual(
      crds.filter((n) => n.includes("trainer.kubeflow.org") || n.includes("jobset")),
      [],
    );
  });
});
