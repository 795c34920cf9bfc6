// Config that used to be accepted and then failed later, or did something else than written: each
// is now refused with its key and what to write (or, where it can be meant, a warning), one
// problem per mistake; warnings that repeat per job are given once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, MAX_QUEUE_OBJECTS, MAX_USER_ANNOTATION_BYTES, parseStackConfig } from "../components/config";

const job = (extra: Record<string, unknown> = {}) => ({
  image: "quay.io/acme/trainer:1.0",
  output: { size: "100Gi" },
  shmSize: "1Gi",
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

/** The engine's config map of a stack, plus keys given as they are stored (`ns:key`). */
function all(stack: Record<string, unknown>, raw: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...raw };
  for (const [k, v] of Object.entries(stack)) out[`finetune:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

const parse = (stack: Record<string, unknown>, raw: Record<string, string> = {}, secrets: string[] = []) =>
  parseStackConfig(all(stack, raw), new Set(secrets), "finetune");

function problems(stack: Record<string, unknown>, raw: Record<string, string> = {}, secrets: string[] = []): string[] {
  try {
    parse(stack, raw, secrets);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return assert.fail("accepted");
}

const oneJob = (extra: Record<string, unknown> = {}, stack: Record<string, unknown> = {}) => ({
  namespace: "ml",
  trainingOperator: { install: false },
  jobs: { granite: job(extra) },
  ...stack,
});

describe("config gaps: refused with the key and what to write", () => {
  it("image digests no runtime pulls: 32 hex, upper case, md5", () => {
    const fix =
      "which no container runtime pulls: write @sha256: and the 64 lowercase hex digits of the image's digest (or sha384, sha512)";
    for (const digest of [`sha256:${"a".repeat(32)}`, `sha256:${"A".repeat(64)}`, `md5:${"a".repeat(32)}`]) {
      assert.deepEqual(problems(oneJob({ image: `r.example.com/t@${digest}` })), [
        `finetune:jobs.granite.image: has the digest ${digest}, ${fix}`,
      ]);
    }
    for (const digest of [`sha256:${"a".repeat(64)}`, `sha512:${"0".repeat(128)}`]) {
      assert.equal(
        parse(oneJob({ image: `r.example.com/t:1@${digest}` })).jobs.granite.image,
        `r.example.com/t:1@${digest}`,
      );
    }
  });

  it("annotations past what the API server takes on one object", () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 300; i++) annotations[`k${i}`] = "x".repeat(1000);
    assert.deepEqual(problems(oneJob({ annotations })), [
      `finetune:jobs.granite.annotations: take 301090 bytes (keys and values), more than the ${MAX_USER_ANNOTATION_BYTES} left to them: the API server refuses an object whose annotations pass 256 KiB, and the program adds its own (8192 bytes are kept for them); move large values to a ConfigMap or the image`,
    ]);
    assert.equal(MAX_USER_ANNOTATION_BYTES, 253_952);
  });

  it(`queue maps over ${MAX_QUEUE_OBJECTS} entries, before anything else is read`, () => {
    const localQueues: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) localQueues[`q${i}`] = "cq";
    assert.deepEqual(problems(oneJob({}, { queues: { localQueues } })), [
      "finetune:queues.localQueues: has 100000 entries; at most 100 fit in one stack: declare the rest from another stack (or keep them in the cluster's own config)",
    ]);
  });

  it("runAsNonRoot: false alone (it ran pods as uid, gid and fsGroup 0 while the defaults say 1000)", () => {
    assert.deepEqual(problems(oneJob({ securityContext: { runAsNonRoot: false } })), [
      "finetune:jobs.granite.securityContext.runAsNonRoot: is false without runAsUser, which says nothing about the user: set runAsUser: 0 as well to run as root (and group and fsGroup 0 unless set), or remove runAsNonRoot to run as user 1000",
    ]);
    assert.deepEqual(
      parse(oneJob({ securityContext: { runAsNonRoot: false, runAsUser: 0 } })).jobs.granite.securityContext,
      {
        runAsNonRoot: false,
        runAsUser: 0,
      },
    );
  });

  it("a multi-node ReadWriteOnce volume that staging downloads into is told ReadWriteMany, not ReadOnlyMany", () => {
    const model = (extra: Record<string, unknown>) => ({ size: "10Gi", accessMode: "ReadWriteOnce", ...extra });
    assert.deepEqual(problems(oneJob({ nodes: 2, model: model({ source: "hf://org/model" }) })), [
      "finetune:jobs.granite.model.accessMode: is ReadWriteOnce, but the job runs on 2 nodes and pods on several nodes cannot attach it: use ReadWriteMany",
    ]);
    assert.deepEqual(problems(oneJob({ nodes: 2, model: model({}) })), [
      "finetune:jobs.granite.model.accessMode: is ReadWriteOnce, but the job runs on 2 nodes and pods on several nodes cannot attach it: use ReadWriteMany or ReadOnlyMany",
    ]);
  });

  it("a key refused for holding a secret is not judged again by its placeholder", () => {
    assert.deepEqual(problems(oneJob({}, { queue: "team-a" }), {}, ["queue"]), [
      "finetune:queue: is stored as a secret, but only finetune:hfToken, finetune:s3AccessKeyId, finetune:s3SecretAccessKey, finetune:imagePullSecrets, finetune:kubeconfig may hold secrets; the program would have to read it as plain config and the secret would leak",
    ]);
  });

  it("a misspelt namespace (fintune:) is refused with the key meant", () => {
    assert.deepEqual(problems(oneJob(), { "fintune:queue": "team-a", "finetnue:networkPolicy": "true" }), [
      "finetnue:networkPolicy: is not read: this program reads finetune: keys; did you mean finetune:networkPolicy? (pulumi config rm finetnue:networkPolicy; pulumi config set finetune:networkPolicy ...)",
      "fintune:queue: is not read: this program reads finetune: keys; did you mean finetune:queue? (pulumi config rm fintune:queue; pulumi config set finetune:queue ...)",
    ]);
  });
});

describe("config gaps: warned where they may be meant", () => {
  it("other namespaces' keys, once (kubernetes: keys configure a provider the program does not use)", () => {
    const config = parse(oneJob(), { "my-tuning:queue": "q", "kubernetes:context": "c", "pulumi:tags": "{}" });
    assert.deepEqual(config.warnings, [
      "kubernetes:context, my-tuning:queue: not read by this program, which reads only finetune: keys (kubernetes: keys configure Pulumi's default provider, which this program does not use: set finetune:cluster.context, finetune:cluster.kubeconfig or the secret finetune:kubeconfig); remove them if they were meant for it",
    ]);
  });

  it("queue objects the stack names but does not declare: a ClusterQueue, a ResourceFlavor, a LocalQueue", () => {
    const queues = {
      resourceFlavors: { h100: {} },
      clusterQueues: { research: { flavors: { a100: { "nvidia.com/gpu": 8 } } } },
      localQueues: { "team-a": "research", "team-b": "missing" },
    };
    const config = parse(oneJob({ queue: "team-c" }, { queue: "team-d", queues }));
    assert.deepEqual(config.warnings, [
      "finetune:queues.localQueues.team-b: names ClusterQueue missing, which queues.clusterQueues does not declare; it must exist on the cluster, made outside this stack, or nothing is admitted",
      "finetune:queues.clusterQueues.research.flavors.a100: names ResourceFlavor a100, which queues.resourceFlavors does not declare; it must exist on the cluster, made outside this stack, or the ClusterQueue stays inactive",
      "finetune:queue: is team-d, which queues.localQueues (team-a, team-b) does not declare; it must exist on the cluster, made outside this stack, or nothing is admitted",
      "finetune:jobs.granite.queue: is team-c, which queues.localQueues (team-a, team-b) does not declare; it must exist on the cluster, made outside this stack, or nothing is admitted",
    ]);
    assert.deepEqual(parse(oneJob({ queue: "team-c" })).warnings, []);
  });

  it("gang scheduling asked of the upstream operator the stack installs, which has no gang scheduler", () => {
    const gang = { nodes: 2, output: { size: "1Gi", accessMode: "ReadWriteMany" }, scheduling: { gang: true } };
    assert.deepEqual(parse(oneJob(gang, { trainingOperator: {} })).warnings, [
      "finetune:jobs.granite.scheduling.gang: is true, but the training operator this stack installs runs without --gang-scheduler-name, so it makes no PodGroup and pods start one by one as GPUs free up (holding them meanwhile): install an operator configured for Volcano or scheduler-plugins (trainingOperator.source), or use Kueue (finetune:queue), which admits a job's pods together",
    ]);
    const installedElsewhere = { trainingOperator: { install: false, workerPodSecurity: "restricted" } };
    assert.deepEqual(parse(oneJob(gang, installedElsewhere)).warnings, []);
  });

  it("a warning that repeats for many jobs is given once, naming them", () => {
    const jobs = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`j${i}`, job({ image: "registry.example.com/t", shmSize: undefined })]),
    );
    const config = parse({ namespace: "ml", trainingOperator: { install: false }, jobs });
    assert.deepEqual(config.warnings, [
      'finetune:jobs.<job>.image (jobs j0, j1, j2, j3, j4 and 495 more): "registry.example.com/t" has no tag, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code',
      "finetune:jobs.<job>.shmSize (jobs j0, j1, j2, j3, j4 and 495 more): /dev/shm is memory-backed and unbounded (neither shmSize nor resources.memory is set): the trainer's shared memory can take all of the node's memory. Set shmSize (e.g. 16Gi) or resources.memory.",
    ]);
  });
});
