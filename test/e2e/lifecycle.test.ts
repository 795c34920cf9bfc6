// A run's fate, end to end, as users run the program: the Pulumi CLI on a copy of the project
// directory, against a loopback cluster with its controllers, scheduler, simulated GPU nodes
// (KWOK) and the real training operator v1.9.4 with its admission webhook. A platform stack
// installs the operator from the local bundle; a team stack runs jobs on it. Pods do not run
// containers: KWOK moves them through their phases (to Succeeded after 5 s, or to Failed for the
// pods a scenario names), and everything else (admission, Pod Security, scheduling, the operator,
// Jobs, garbage collection, the provider's waits, the CLI's exit codes) is real.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { INIT_CONTAINER_FLAG, INIT_CONTAINER_UID } from "../../components/builders/v1/operatorInitContainer";
import { exits } from "../../harness/assertions";
import { createProject, type Project } from "../../harness/cli";
import { buildToolchain, until } from "../../harness/cluster";
import { CONTAINER_LOG, E2E_IMAGES } from "../../harness/controllers";
import { type FullCluster, startFullCluster } from "../../harness/fullCluster";
import { type Controller, TRAINING_OPERATOR_V1, webhookRefuses } from "../../harness/operators";
import { OPERATOR_V1_BUNDLE } from "../../harness/paths";
import { keepTranscript } from "../../harness/transcripts";
import { ilabJob } from "../support/e2eJobs";
import { restrictedViolations } from "../support/podSecurity";

type Json = Record<string, any>;

const BUNDLE = OPERATOR_V1_BUNDLE;
const IMAGE = "registry.example.com/ml/trainer:1.0";
const NS = "team-a";
/** `pulumi up` exits with this code when the update fails. */
const FAILED = 1;

const commandJob = (extra: Json = {}): Json => ({
  image: IMAGE,
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

/** Asserts a CLI command's exit code, showing its output when it differs. */

const conditionTypes = (obj: Json) =>
  (obj.status?.conditions ?? []).filter((c: Json) => c.status === "True").map((c: Json) => c.type);

/** The platform stack's mirror (trainingOperator.images): KWOK runs pods of any image. */
const MIRROR = "registry.internal.example.com:5000/mirror";
const MIRRORED = {
  "ghcr.io/kubeflow/training-v1/training-operator": `${MIRROR}/training-operator`,
  alpine: `${MIRROR}/alpine`,
};

describe("end to end: a run's fate reaches pulumi up, through the CLI, on a cluster with the real operator", () => {
  let world: FullCluster;
  let operator: Controller;
  let platform: Project;
  let team: Project;
  const jobs: Json = {};
  const get = async (kind: string, name: string, ns = NS): Promise<Json> =>
    JSON.parse(await world.cluster.kubectlAsync("get", kind, name, "-n", ns, "-o", "json"));
  const pods = async (selector: string) => world.items("pods", "-n", NS, "-l", selector);
  const configureTeam = () =>
    team.writeConfig({
      namespace: NS,
      cluster: { context: world.cluster.context },
      trainingOperator: { install: false, workerPodSecurity: "restricted" },
      jobs,
    });
  const deployTeam = async () => {
    configureTeam();
    return team.pulumi("up", "--yes");
  };
  /** Starts the team's `pulumi up` without waiting for it. */
  const startTeam = () => {
    configureTeam();
    return team.start("up", "--yes");
  };

  before(async () => {
    const bin = buildToolchain();
    world = await startFullCluster(bin);
    operator = world.supervise(TRAINING_OPERATOR_V1);
    platform = await createProject(world.cluster, bin, "platform", "platform");
    team = await createProject(world.cluster, bin, "team", "dev");
  });

  after(async () => {
    await world?.stop();
  });

  it("f. the platform stack installs the operator from the local bundle, its images from a mirror; its webhook admits and refuses; a job runs", async () => {
    platform.writeConfig({
      namespace: "platform",
      cluster: { context: world.cluster.context },
      trainingOperator: { source: BUNDLE, images: MIRRORED },
      jobs: { smoke: commandJob({ wait: "succeeded" }) },
    });
    const up = await platform.pulumi("up", "--yes");
    exits(up, 0);
    await operator.started;
    assert.equal(
      operator.args().some((a) => a.startsWith(`${INIT_CONTAINER_FLAG}=`)),
      true,
    );
    const deployment = await get("deployment", "training-operator", "kubeflow");
    assert.deepEqual(
      deployment.spec.template.spec.containers.map((c: Json) => c.image),
      [`${MIRROR}/training-operator:v1-93c5489`],
    );
    const twoMasters = {
      apiVersion: "kubeflow.org/v1",
      kind: "PyTorchJob",
      metadata: { name: "webhook-probe", namespace: "default" },
      spec: {
        pytorchReplicaSpecs: {
          Master: { replicas: 2, template: { spec: { containers: [{ name: "pytorch", image: "x" }] } } },
        },
      },
    };
    assert.match(
      await webhookRefuses(world.cluster, twoMasters),
      /spec\.pytorchReplicaSpecs\[Master\]\.replicas: Forbidden: must be 1/,
    );
    const smoke = await get("pytorchjob", "smoke", "platform");
    assert.deepEqual(conditionTypes(smoke), ["Created", "Succeeded"]);
  });

  it("a. a 3-node job, wait: running: the Master and 2 Workers are admitted under restricted and scheduled on GPU nodes", async () => {
    jobs.sweep = commandJob({ nodes: 3, gpusPerNode: 2, wait: "running" });
    const up = await deployTeam();
    exits(up, 0);
    const namespace = JSON.parse(await world.cluster.kubectlAsync("get", "namespace", NS, "-o", "json"));
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const replicas = await pods("training.kubeflow.org/job-name=sweep");
    assert.deepEqual(replicas.map((p) => p.metadata.name).sort(), [
      "sweep-master-0",
      "sweep-worker-0",
      "sweep-worker-1",
    ]);
    for (const pod of replicas) {
      assert.equal(
        world.controllers.nodes.includes(pod.spec.nodeName),
        true,
        `${pod.metadata.name} on ${pod.spec.nodeName}`,
      );
      assert.deepEqual(pod.spec.containers[0].resources.limits["nvidia.com/gpu"], "2");
    }
    for (const pod of replicas) assert.deepEqual(restrictedViolations(pod.spec), [], pod.metadata.name);
    for (const worker of replicas.filter((p) => p.metadata.name.includes("worker"))) {
      const [init] = worker.spec.initContainers;
      assert.equal(init.name, "init-pytorch");
      // The operator took the mirrored image from the flag the platform stack set (f).
      assert.equal(init.image, `${MIRROR}/alpine:3.10`);
      assert.deepEqual(init.securityContext, {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        runAsUser: INIT_CONTAINER_UID,
        runAsGroup: INIT_CONTAINER_UID,
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
    const outputs = JSON.parse((await team.pulumi("stack", "output", "--json")).stdout);
    const states = outputs.jobs.sweep.conditions.filter((c: Json) => c.status === "True").map((c: Json) => c.type);
    assert.equal(states.includes("Running") || states.includes("Succeeded"), true, JSON.stringify(states));
  });

  it("b. wait: succeeded: up returns once the pods completed, and the outputs show Succeeded", async () => {
    jobs.final = commandJob({ nodes: 2, wait: "succeeded" });
    const up = await deployTeam();
    keepTranscript("succeeded", up.output);
    exits(up, 0);
    const outputs = JSON.parse((await team.pulumi("stack", "output", "--json")).stdout);
    assert.deepEqual(
      outputs.jobs.final.conditions.filter((c: Json) => c.status === "True").map((c: Json) => c.type),
      ["Created", "Succeeded"],
    );
    const finalPods = await pods("training.kubeflow.org/job-name=final");
    for (const pod of finalPods) assert.equal(pod.status.phase, "Succeeded");
    // The run's account, as the cluster has it: from the first pod's start (the kubelet's, here
    // KWOK's) to the Succeeded condition, on 2 nodes of 1 GPU.
    const startedAt = finalPods.map((p: Json) => p.status.startTime).sort()[0];
    const succeeded = (await get("pytorchjob", "final")).status.conditions.find((c: Json) => c.type === "Succeeded");
    const durationSeconds = (Date.parse(succeeded.lastTransitionTime) - Date.parse(startedAt)) / 1000;
    assert.deepEqual(outputs.jobs.final.run, {
      startedAt,
      finishedAt: succeeded.lastTransitionTime,
      durationSeconds,
      restarts: 0,
      gpuHours: Math.round((2 * durationSeconds) / 36) / 100,
    });
  });

  it("c. a failed Master fails up promptly with the job's reason; the next up fails the same; rerun starts a new run", async () => {
    await world.controllers.setFailing(["doomed/master"]);
    jobs.doomed = commandJob({ wait: "succeeded" });
    const up = await deployTeam();
    keepTranscript("failed", up.output);
    exits(up, FAILED);
    const doomed = await get("pytorchjob", "doomed");
    const failed = doomed.status.conditions.find((c: Json) => c.type === "Failed" && c.status === "True");
    assert.ok(failed, JSON.stringify(doomed.status));
    const advice = `finetune:jobs.doomed: PyTorchJob ${NS}/doomed failed (${failed.reason}: ${failed.message}).`;
    assert.equal(up.output.includes(advice), true, up.output.slice(-4000));
    assert.match(up.output, /set finetune:jobs\.doomed\.rerun to a new value/);
    const exitedAt = Date.now();
    assert.ok(
      exitedAt - Date.parse(failed.lastTransitionTime) < 60_000,
      "up exited more than a minute after the failure",
    );

    // A preview shows the failure as a warning; the next up fails again, and runs nothing.
    const preview = await team.pulumi("preview");
    exits(preview, 0);
    assert.match(preview.output, /Until then, pulumi up fails\./);
    const again = await deployTeam();
    exits(again, FAILED);
    assert.equal(again.output.includes(advice), true);
    assert.equal((await get("pytorchjob", "doomed")).metadata.uid, doomed.metadata.uid, "no second run");

    // The cause fixed, rerun asks for a new run.
    await world.controllers.setFailing([]);
    jobs.doomed = commandJob({ wait: "succeeded", rerun: "2" });
    const rerun = await deployTeam();
    exits(rerun, 0);
    const second = await get("pytorchjob", "doomed");
    assert.notEqual(second.metadata.uid, doomed.metadata.uid);
    assert.deepEqual(conditionTypes(second), ["Created", "Succeeded"]);
  });

  it("c2. wait: running returns once the job runs; a failure after that reaches the next up, which looks at the unchanged run", async () => {
    // Held running until up has returned, then failed.
    await world.controllers.setHolding(["late/master"]);
    jobs.late = commandJob({ wait: "running" });
    exits(await deployTeam(), 0);
    await world.controllers.setFailing(["late/master"]);
    await world.controllers.setHolding([]);
    await until(
      "the late job fails",
      async () => conditionTypes(await get("pytorchjob", "late")).includes("Failed"),
      120_000,
    );
    // Unchanged, the run is not waited for again, but looked at: its failure fails the update.
    const up = await team.pulumi("up", "--yes");
    exits(up, FAILED);
    assert.match(up.output, /finetune:jobs\.late: PyTorchJob team-a\/late failed \(PyTorchJobFailed: /);
    await world.controllers.setFailing([]);
    delete jobs.late;
    exits(await deployTeam(), 0);
  });

  it("u1. an image that cannot be pulled fails up within two minutes, with the image and the reason", async () => {
    const image = `${E2E_IMAGES.unpullable}ml/trainer:missing`;
    jobs.unpullable = commandJob({ image, wait: "running" });
    const up = await deployTeam();
    keepTranscript("unpullable", up.output);
    const exited = Date.now();
    exits(up, FAILED);
    const job = await get("pytorchjob", "unpullable");
    assert.ok(exited - Date.parse(job.metadata.creationTimestamp) < 120_000, "up took two minutes or more");
    const expected =
      `finetune:jobs.unpullable: PyTorchJob ${NS}/unpullable cannot start: pod ${NS}/unpullable-master-0, ` +
      `container pytorch: ErrImagePull (failed to pull and unpack image "${image}": not found). Waiting will not fix it: ` +
      "check the image's name, tag or digest (finetune:jobs.unpullable.image";
    assert.equal(up.output.includes(expected), true, up.output.slice(-4000));
    // The wait told the pod's story as it went.
    assert.match(
      up.output,
      /pod unpullable-master-0: scheduled on kwok-gpu-\d; container pytorch waiting: ErrImagePull/,
    );
    delete jobs.unpullable;
    exits(await deployTeam(), 0);
  });

  it("u2. a Master killed for memory fails up with the reason and exit code of the first failure", async () => {
    jobs.oom = commandJob({ image: `${E2E_IMAGES.oomKilled}ml/trainer:1.0`, wait: "succeeded" });
    const up = await deployTeam();
    exits(up, FAILED);
    const oom = await get("pytorchjob", "oom");
    const failed = oom.status.conditions.find((c: Json) => c.type === "Failed" && c.status === "True");
    assert.ok(failed, JSON.stringify(oom.status));
    const verdict = `finetune:jobs.oom: PyTorchJob ${NS}/oom failed (${failed.reason}: ${failed.message}).`;
    keepTranscript("oom-killed", up.output);
    assert.equal(up.output.includes(verdict), true, up.output.slice(-4000));
    assert.equal(
      up.output.includes(`First to fail: pod ${NS}/oom-master-0, container pytorch: exit code 137 (OOMKilled)`),
      true,
      up.output.slice(-4000),
    );
    assert.match(
      up.output,
      /pod oom-master-0: container pytorch restarted \(1 in all\); it ended with exit code 137 \(OOMKilled\)/,
    );
    // The end of its log, read through the API server from the node's kubelet (KWOK's server).
    // The CLI indents an error's later lines: each is looked for on its own, in order.
    const tail = [
      "The end of the log of oom-master-0 (container pytorch, before its last restart):",
      ...CONTAINER_LOG.map((l) => `  ${l}`),
    ];
    const at = tail.map((line) => up.output.lastIndexOf(`${line}\n`));
    assert.deepEqual(
      at.map((i) => i >= 0),
      tail.map(() => true),
      up.output.slice(-4000),
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      "in order",
    );
    delete jobs.oom;
    exits(await deployTeam(), 0);
  });

  it("u4. a 2-node job whose Master and Worker are both killed for memory names the first to fail", async () => {
    jobs.pair = commandJob({ nodes: 2, image: `${E2E_IMAGES.oomKilled}ml/trainer:1.0`, wait: "succeeded" });
    const up = await deployTeam();
    exits(up, FAILED);
    assert.match(
      up.output,
      /First to fail: pod team-a\/pair-(master|worker)-0, container pytorch: exit code 137 \(OOMKilled\)/,
      up.output.slice(-4000),
    );
    // Every look read the pods: none was taken for a passing error of the cluster.
    assert.doesNotMatch(up.output, /still waiting|could not read the cluster/);
    delete jobs.pair;
    exits(await deployTeam(), 0);
  });

  /**
   * Ends the running container of a pod as its kubelet reports a container that exited with `code`
   * (143: SIGTERM, as a preemption or an eviction ends it; 1: the program's own error).
   */
  const endContainer = async (pod: Json, code: number) => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const container = pod.status.containerStatuses[0];
    const status = {
      phase: "Failed",
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: container.imageID ?? "",
          ready: false,
          restartCount: container.restartCount ?? 0,
          state: { terminated: { exitCode: code, reason: "Error", startedAt: now, finishedAt: now } },
        },
      ],
    };
    await world.cluster.kubectlAsync(
      "patch",
      "pod",
      pod.metadata.name,
      "-n",
      NS,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    );
  };
  /** The running Master pod of job `name`, once there is one. */
  const runningMaster = async (name: string): Promise<Json> => {
    let found: Json | undefined;
    await until(
      `${name}'s Master to run`,
      async () => {
        found = (await pods(`training.kubeflow.org/job-name=${name},training.kubeflow.org/replica-type=master`)).find(
          (p) => p.status?.phase === "Running" && p.metadata.deletionTimestamp === undefined,
        );
        return found !== undefined;
      },
      180_000,
    );
    return found as Json;
  };
  const restartJob = () => commandJob({ wait: "succeeded", runPolicy: { restartPolicy: "ExitCode", backoffLimit: 2 } });

  it("r1. runPolicy.restartPolicy ExitCode: a Master killed by a signal (143) is recreated, the run completes, the same run", async () => {
    await world.controllers.setHolding(["signal/master"]);
    jobs.signal = restartJob();
    const up = startTeam();
    const first = await runningMaster("signal");
    const run = (await get("pytorchjob", "signal")).metadata.uid;
    assert.equal((await get("pytorchjob", "signal")).spec.pytorchReplicaSpecs.Master.restartPolicy, "ExitCode");
    await endContainer(first, 143);
    await until(
      "the Master to be recreated",
      async () =>
        (await pods("training.kubeflow.org/job-name=signal")).some(
          (p) => p.metadata.uid !== first.metadata.uid && p.metadata.deletionTimestamp === undefined,
        ),
      120_000,
    );
    await world.controllers.setHolding([]);
    const result = await up.result;
    exits(result, 0);
    const job = await get("pytorchjob", "signal");
    assert.equal(job.metadata.uid, run);
    assert.deepEqual(conditionTypes(job).includes("Succeeded"), true, JSON.stringify(job.status));
    const [second] = await pods("training.kubeflow.org/job-name=signal");
    assert.notEqual(second.metadata.uid, first.metadata.uid);
    assert.equal(second.spec.restartPolicy, "Never");
    delete jobs.signal;
    exits(await deployTeam(), 0);
  });

  it("r2. runPolicy.restartPolicy ExitCode: a Master that exits 1 fails the run at once, without a retry", async () => {
    await world.controllers.setHolding(["usererr/master"]);
    jobs.usererr = restartJob();
    const up = startTeam();
    const first = await runningMaster("usererr");
    await endContainer(first, 1);
    const result = await up.result;
    exits(result, FAILED);
    assert.match(result.output, /finetune:jobs\.usererr: PyTorchJob team-a\/usererr failed \(PyTorchJobFailed: /);
    const job = await get("pytorchjob", "usererr");
    assert.deepEqual(conditionTypes(job).includes("Failed"), true, JSON.stringify(job.status));
    // Not retried: the one pod is the one that exited, and no other was made.
    assert.deepEqual(
      (await pods("training.kubeflow.org/job-name=usererr")).map((p) => p.metadata.uid),
      [first.metadata.uid],
    );
    await world.controllers.setHolding([]);
    delete jobs.usererr;
    exits(await deployTeam(), 0);
  });

  it("u3. a job no node can take says the scheduler's reason while it waits, and at its timeout that it was never scheduled", async () => {
    jobs.nowhere = commandJob({ wait: "running", timeout: "1m", scheduling: { nodeSelector: { pool: "h200" } } });
    const up = await deployTeam();
    keepTranscript("unschedulable", up.output);
    exits(up, FAILED);
    const pod = await get("pod", "nowhere-master-0");
    const scheduled = pod.status.conditions.find((c: Json) => c.type === "PodScheduled");
    assert.equal(scheduled.reason, "Unschedulable");
    assert.equal(
      up.output.includes(`pod nowhere-master-0: Pending, not scheduled: ${scheduled.message}`),
      true,
      up.output.slice(-4000),
    );
    const expected = `finetune:jobs.nowhere: PyTorchJob ${NS}/nowhere is not running: it is created (PyTorchJobCreated: PyTorchJob nowhere is created.) (waited 1m 0s; its pod was never scheduled: ${scheduled.message}). The job is left as it is`;
    assert.equal(up.output.includes(expected), true, up.output.slice(-4000));
    delete jobs.nowhere;
    exits(await deployTeam(), 0);
  });

  it("d. staging: a failed staging Job fails up with its reason, the next up retries it, and training waits for the data", async () => {
    await world.controllers.setFailing(["tuned-stage-model"]);
    jobs.tuned = ilabJob();
    const up = await deployTeam();
    keepTranscript("staging-failed", up.output);
    exits(up, FAILED);
    assert.match(up.output, /tuned-stage-model/);
    assert.match(up.output, /BackoffLimitExceeded|failed/i);
    const failedJob = await get("job", "tuned-stage-model");
    assert.deepEqual(conditionTypes(failedJob).includes("Failed"), true, JSON.stringify(failedJob.status));
    // A failed attempt is said as it happens, under the Job, with the end of its log (read through
    // the API server from KWOK's kubelet server): the first one surely (the Job's back-off follows
    // it), the last one only if the program looks before the provider's failure ends up.
    const attempts = await pods("batch.kubernetes.io/job-name=tuned-stage-model");
    assert.equal(attempts.length, failedJob.spec.backoffLimit + 1, "one pod per attempt");
    const [first] = attempts.sort(
      (a, b) => Date.parse(a.metadata.creationTimestamp) - Date.parse(b.metadata.creationTimestamp),
    );
    const pod = first.metadata.name;
    const said = `Job ${NS}/tuned-stage-model: pod ${NS}/${pod}, container stage: exit code 1 (containerFailed): container failed`;
    assert.equal(up.output.includes(said), true, up.output.slice(-5000));
    let at = up.output.indexOf(`The end of the log of ${pod} (container stage):`);
    assert.ok(at >= 0, up.output.slice(-5000));
    for (const line of CONTAINER_LOG) {
      const next = up.output.indexOf(`  ${line}\n`, at);
      assert.ok(next > at && next - at < 1000, `${pod}: ${line}`);
      at = next;
    }
    assert.deepEqual((await world.items("pytorchjobs", "-n", NS)).map((j) => j.metadata.name).includes("tuned"), false);

    await world.controllers.setFailing([]);
    const retry = await deployTeam();
    exits(retry, 0);
    const model = await get("job", "tuned-stage-model");
    assert.notEqual(model.metadata.uid, failedJob.metadata.uid, "the failed staging Job was replaced");
    const dataset = await get("job", "tuned-stage-dataset");
    const prepare = await get("job", "tuned-prepare");
    const training = await get("pytorchjob", "tuned");
    for (const staged of [model, dataset]) {
      assert.equal(conditionTypes(staged).includes("Complete"), true);
      assert.ok(Date.parse(staged.status.completionTime) <= Date.parse(prepare.metadata.creationTimestamp));
    }
    assert.ok(Date.parse(prepare.status.completionTime) <= Date.parse(training.metadata.creationTimestamp));
    assert.deepEqual(conditionTypes(training), ["Created", "Succeeded"]);
  });

  it("e. destroy with the controllers running: everything but the retained outputs is gone, nothing hangs", async () => {
    // A failed run is in the stack: the destroy deletes it rather than failing on it.
    await world.controllers.setFailing(["broken/master"]);
    jobs.broken = commandJob({ wait: "succeeded" });
    exits(await deployTeam(), FAILED);
    const destroy = await team.pulumi("destroy", "--run-program", "--yes");
    exits(destroy, 0);
    assert.doesNotMatch(destroy.output, /PyTorchJob team-a\/broken failed/);
    await world.controllers.setFailing([]);
    const names = async (kind: string) => (await world.items(kind, "-n", NS)).map((o) => o.metadata.name).sort();
    assert.deepEqual(await names("pytorchjobs"), []);
    assert.deepEqual(await names("jobs"), []);
    assert.deepEqual(await names("secrets"), []);
    assert.deepEqual(await names("serviceaccounts"), ["default"]);
    assert.deepEqual(await names("pvc"), [
      "broken-output",
      "doomed-output",
      "final-output",
      "late-output",
      "nowhere-output",
      "oom-output",
      "pair-output",
      "signal-output",
      "sweep-output",
      "tuned-output",
      "unpullable-output",
      "usererr-output",
    ]);
    const namespace = JSON.parse(await world.cluster.kubectlAsync("get", "namespace", NS, "-o", "json"));
    assert.equal(namespace.status.phase, "Active", "the namespace that holds retained outputs is kept");
    // The garbage collector removes the runs' pods and Services after their PyTorchJobs.
    await until(
      "the runs' pods and Services are gone",
      async () => (await names("pods")).length + (await names("services")).length === 0,
      60_000,
    );
    exits(await platform.pulumi("destroy", "--run-program", "--yes"), 0);
    assert.deepEqual(
      (await world.items("crd")).map((c) => c.metadata.name).filter((n) => n.includes("kubeflow")),
      [],
    );
  });
});
