// `npm run playground`: the loopback cluster the e2e suite builds (etcd and kube-apiserver, the
// controllers and the scheduler, KWOK's simulated GPU nodes, the real training operator v1.9.4) and
// a sample stack deployed to it through the Pulumi CLI: preview, up (a run that succeeds), up with a
// run that fails, destroy. Then everything stops and the cluster's folder is removed; Ctrl-C stops
// it at any point. No GPU, image or container is real: KWOK plays the kubelet (docs/playground.md).
//
//   npm run playground            the tour, then stop
//
// It builds what it runs on first use (test/e2e/toolchain/build.sh --playground, with Go and kubectl:
// 30 to 45 minutes cold), uses the Pulumi CLI on PATH, and runs on Linux as root.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { createProject, type Project } from "../harness/cli";
import { type FullCluster, startFullCluster } from "../harness/fullCluster";
import { TRAINING_OPERATOR_V1 } from "../harness/operators";
import { TOOLCHAIN } from "../harness/paths";

/** The namespace of the sample stack's jobs. */
const NAMESPACE = "playground";

/** A job of the sample stack: two nodes, one GPU each, run to the end (`wait: succeeded`). */
function sampleJob(): Record<string, unknown> {
  return {
    image: "registry.example.com/playground/trainer:1.0",
    nodes: 2,
    resources: { cpu: "8", memory: "64Gi" },
    shmSize: "16Gi",
    output: { size: "1Gi" },
    trainer: { type: "command", command: ["torchrun", "train.py"] },
    wait: "succeeded",
  };
}

function say(text: string): void {
  process.stdout.write(`\n=== ${text}\n`);
}

/** Builds (or finds in the cache) what the playground runs; returns the toolchain's bin folder. */
function buildPlayground(): string {
  const run = spawnSync("bash", [path.join(TOOLCHAIN, "build.sh"), "--playground"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (run.status !== 0) throw new PlaygroundError("the toolchain could not be built (its output is above)");
  return run.stdout.trim().split("\n").pop() as string;
}

/** A reason the playground cannot go on, said in one line. */
class PlaygroundError extends Error {}

/** Runs `pulumi ARGS` in the project, its output shown as it comes; resolves with its exit code. */
function pulumi(project: Project, ...args: string[]): Promise<number> {
  process.stdout.write(`\n$ pulumi ${args.join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn("pulumi", args, {
      cwd: project.dir,
      env: project.env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", () => resolve(127));
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** Fails the tour when a step did not end as it should. */
function expect(code: number, wanted: number, step: string): void {
  if (code !== wanted) throw new PlaygroundError(`${step} exited ${code}, not ${wanted}`);
}

async function tour(world: FullCluster, bin: string): Promise<void> {
  world.supervise(TRAINING_OPERATOR_V1);
  const project = await createProject(world.cluster, bin, "playground", "playground");
  say(`the sample stack: ${path.join(project.dir, "Pulumi.playground.yaml")}`);
  const writeStack = (jobs: Record<string, unknown>) =>
    project.writeConfig({
      namespace: NAMESPACE,
      cluster: { context: world.cluster.context },
      trainingOperator: { source: path.join(bin, "..", "manifests", "training-operator-v1.9.4.yaml") },
      jobs,
    });

  writeStack({ hello: sampleJob() });
  say("1. preview: what the stack would create (the operator install, the namespace, the run)");
  expect(await pulumi(project, "preview"), 0, "pulumi preview");

  say("2. up: the operator is installed, and up waits for the run to succeed");
  expect(await pulumi(project, "up", "--yes"), 0, "pulumi up");

  say("3. a second run, `broken`, whose training container exits 1 (KWOK plays it): up fails, and says why");
  await world.controllers.setFailing(["broken/master"]);
  writeStack({ hello: sampleJob(), broken: sampleJob() });
  expect(await pulumi(project, "up", "--yes"), 1, "pulumi up with the failing run");

  say("4. destroy: every object the stack made is deleted (--run-program: the program checks each delete first)");
  expect(await pulumi(project, "destroy", "--yes", "--run-program"), 0, "pulumi destroy");
}

async function main(): Promise<number> {
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    throw new PlaygroundError(
      "runs on Linux as root only: the training operator runs in a private mount namespace (unshare --mount) where its compiled-in folders are bind-mounted, as in its pod (sudo -E npm run playground)",
    );
  }
  const version = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (version.status !== 0) {
    throw new PlaygroundError("no Pulumi CLI on PATH: install it (https://www.pulumi.com/docs/install/)");
  }
  const bin = buildPlayground();
  say("starting the loopback cluster (etcd, kube-apiserver, controllers, scheduler, KWOK GPU nodes)");
  const world = await startFullCluster(bin, { nodes: 2, gpus: 8 });
  process.stdout.write(`its folder: ${world.cluster.dir}\n`);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      say("stopping the cluster");
      await world.stop();
      process.stdout.write(`stopped: its processes ended and ${world.cluster.dir} is removed\n`);
    })();
    return stopped;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stop().then(() => process.exit(130)));
  }
  try {
    await tour(world, bin);
    say("done: preview, a run that succeeded, a run that failed, destroy");
  } finally {
    await stop();
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`playground: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
