// The config schema, rule by rule: what is accepted (with its defaults) and what is refused, with
// the exact message and key path.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import {
  ConfigError,
  decodeConfigValues,
  maxJobNameLength,
  parseConfig,
  parseStackConfig,
  SECRET_RULES,
  upstreamOperatorSource,
} from "../components/config";
import { problemsOf } from "./support/problems";

const job = (extra: Record<string, unknown> = {}) => ({
  image: "quay.io/acme/trainer:1.0",
  output: { size: "100Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

const stack = (extra: Record<string, unknown> = {}) => ({ namespace: "ml", jobs: { granite: job() }, ...extra });

describe("ConfigError", () => {
  it("lists every problem and carries no stack frames (the CLI prints the message only)", () => {
    const e = new ConfigError(["finetune:namespace: is required", "finetune:jobs: is required"]);
    const message =
      "Invalid stack config (2 problems); nothing was deployed:\n  finetune:namespace: is required\n  finetune:jobs: is required";
    assert.equal(e.message, message);
    // Node.js 20 and 22 loop formatting the SDK's source-mapped frames (nodejs/node#64011).
    assert.equal(e.stack, `ConfigError: ${message}`);
  });
});

describe("defaults", () => {
  it("fills every default of a minimal job", () => {
    const config = parseConfig(stack(), new Set());
    assert.equal(config.namespace, "ml");
    assert.deepEqual(config.cluster, { skipAwait: false });
    assert.deepEqual(config.trainingOperator, {
      install: true,
      version: "v1.9.4",
      generation: 1,
      source: { kind: "remote", location: upstreamOperatorSource("v1.9.4") },
      workerPodSecurity: "restricted",
      trainJobStatus: false,
      images: {},
    });
    assert.equal(config.hasHfToken, false);
    assert.equal(config.hasS3Credentials, false);
    assert.deepEqual(config.staging, {
      s3Image: "docker.io/amazon/aws-cli:2.22.35",
      timeout: "2h",
      resources: { cpu: "1", memory: "2Gi", memoryLimit: "8Gi" },
    });
    assert.deepEqual(config.jobs.granite, {
      image: "quay.io/acme/trainer:1.0",
      nodes: 1,
      gpusPerNode: 1,
      gpuResource: "nvidia.com/gpu",
      resources: {},
      env: {},
      model: undefined,
      dataset: undefined,
      output: { kind: "new", size: "100Gi", accessMode: "ReadWriteOnce", retain: true, protect: false },
      trainer: { type: "command", command: ["torchrun", "train.py"] },
      scheduling: { gang: false },
      runPolicy: {
        cleanPodPolicy: "Running",
        backoffLimit: 3,
        restartPolicy: "OnFailure",
        ttlSecondsAfterFinished: 604800,
      },
      wait: "running",
      timeout: "1h",
      labels: {},
      annotations: {},
    });
  });

  it("defaults the upstream source to the standalone overlay at the version", () => {
    assert.equal(
      upstreamOperatorSource("v1.9.4"),
      "https://github.com/kubeflow/trainer.git/manifests/overlays/standalone?ref=v1.9.4",
    );
    const config = parseConfig(stack({ trainingOperator: { version: "v1.8.1" } }), new Set());
    assert.deepEqual(config.trainingOperator.source, { kind: "remote", location: upstreamOperatorSource("v1.8.1") });
  });

  it("defaults a new volume of a multi-node job to ReadWriteMany", () => {
    const config = parseConfig(
      stack({ jobs: { big: job({ nodes: 3, dataset: { size: "1Ti", storageClass: "nfs" } }) } }),
      new Set(),
    );
    assert.deepEqual(config.jobs.big.output, {
      kind: "new",
      size: "100Gi",
      accessMode: "ReadWriteMany",
      retain: true,
      protect: false,
    });
    assert.deepEqual(config.jobs.big.dataset, {
      kind: "new",
      size: "1Ti",
      storageClass: "nfs",
      accessMode: "ReadWriteMany",
      retain: false,
      protect: false,
    });
  });

  it("fills the InstructLab hyperparameter defaults", () => {
    const config = parseConfig(
      stack({
        jobs: {
          granite: job({
            model: { existingClaim: "models" },
            dataset: { size: "10Gi" },
            trainer: { type: "instructlab" },
          }),
        },
      }),
      new Set(),
    );
    assert.deepEqual(config.jobs.granite.trainer, {
      type: "instructlab",
      epochs: 1,
      learningRate: 2e-5,
      effectiveBatchSize: 128,
      maxSeqLen: 4096,
      maxBatchLen: 60000,
      warmupSteps: 25,
      saveSamples: 0,
      checkpointAtEpoch: true,
      onDemandCheckpointing: true,
      seed: 42,
      distributedBackend: "fsdp",
      isGranite: false,
      processData: true,
      dataFile: "data.jsonl",
      extraArgs: [],
    });
    assert.deepEqual(config.jobs.granite.model, { kind: "existing", claimName: "models" });
  });

  it("names the key of an operator bundle that is not YAML, and reads none when nothing is installed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-config-"));
    const file = path.join(dir, "operator.yaml");
    fs.writeFileSync(file, "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n---\nhello: [\n");
    assert.deepEqual(problemsOf(stack({ trainingOperator: { source: file } })), [
      "finetune:trainingOperator.source: document 2 is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 6, column 1",
    ]);
    const notInstalled = parseConfig(stack({ trainingOperator: { install: false, source: file } }), new Set());
    assert.equal(notInstalled.trainingOperator.source, undefined);
  });

  it("resolves a local operator bundle to a file source and a folder to a kustomize directory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-config-"));
    const file = path.join(dir, "operator.yaml");
    fs.writeFileSync(file, "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n---\n");
    const fromFile = parseConfig(stack({ trainingOperator: { source: file } }), new Set());
    assert.deepEqual(fromFile.trainingOperator.source, {
      kind: "file",
      location: file,
      objects: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "kubeflow" } }],
    });
    const fromDir = parseConfig(stack({ trainingOperator: { source: dir } }), new Set());
    assert.deepEqual(fromDir.trainingOperator.source, { kind: "directory", location: dir });
  });
});

// Each row: the config, and the exact problems it must produce.
const REJECTED: [string, Record<string, unknown>, string[]][] = [
  ["missing namespace", {}, ["finetune:namespace: is required (a string)"]],
  [
    "namespace not a DNS-1123 label",
    stack({ namespace: "ML_Team" }),
    [
      "finetune:namespace: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    ],
  ],
  [
    "namespace owned by the cluster",
    stack({ namespace: "kube-system" }),
    [
      "finetune:namespace: must be a namespace the program can create and own, not one of default, kube-system, kube-public, kube-node-lease",
    ],
  ],
  [
    "namespace of the operator install",
    stack({ namespace: "kubeflow" }),
    [
      "finetune:namespace: is kubeflow, which the training operator install owns: pick another namespace for the jobs, or set trainingOperator.install: false",
    ],
  ],
  [
    "job name not a DNS-1035 label",
    stack({ jobs: { "1st-run": job() } }),
    [
      "finetune:jobs.1st-run: is not a valid job name: use a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, ending with a letter or digit), as the training operator requires",
    ],
  ],
  [
    "job name too long for the replica services",
    stack({ jobs: { [`a${"b".repeat(54)}`]: job({ nodes: 2, output: { size: "1Gi" } }) } }),
    [
      `finetune:jobs.a${"b".repeat(54)}: job name is 55 characters; at most 54 fit, since "<name>-worker-N" (the operator's pod Services) must stay within 63 characters`,
    ],
  ],
  [
    "unknown key with a near match",
    stack({ jobs: { granite: job({ nodse: 2 }) } }),
    [
      'finetune:jobs.granite.nodse: unknown key; did you mean "nodes"? valid keys: image, nodes, gpusPerNode, gpuResource, resources, shmSize, env, model, dataset, output, trainer, scheduling, runPolicy, terminationGracePeriodSeconds, wait, timeout, rerun, labels, annotations, securityContext, runtime, runtimeKind, queue, workloadPriorityClass',
    ],
  ],
  [
    "unknown top-level key without a near match",
    stack({ zzzzzzzz: 1 }),
    [
      "finetune:zzzzzzzz: unknown key; valid keys: namespace, createNamespace, cluster, trainingOperator, hfToken, s3AccessKeyId, s3SecretAccessKey, imagePullSecrets, kubeconfig, networkPolicy, queue, queues, staging, jobs",
    ],
  ],
  [
    "nodes below 1",
    stack({ jobs: { granite: job({ nodes: 0 }) } }),
    ["finetune:jobs.granite.nodes: must be at least 1"],
  ],
  [
    "nodes not an integer",
    stack({ jobs: { granite: job({ nodes: 1.5 }) } }),
    ["finetune:jobs.granite.nodes: must be a whole number, got number"],
  ],
  [
    "nodes a word",
    stack({ jobs: { granite: job({ nodes: "two" }) } }),
    ["finetune:jobs.granite.nodes: must be a number, got string"],
  ],
  ["jobs a list", stack({ jobs: [job()] }), ["finetune:jobs: must be a map of keys to values, got array"]],
  [
    "gpusPerNode above 64",
    stack({ jobs: { granite: job({ gpusPerNode: 65 }) } }),
    ["finetune:jobs.granite.gpusPerNode: must be at most 64"],
  ],
  [
    "gpuResource without a domain",
    stack({ jobs: { granite: job({ gpuResource: "gpu" }) } }),
    [
      "finetune:jobs.granite.gpuResource: must be an extended resource name such as nvidia.com/gpu, amd.com/gpu or habana.ai/gaudi",
    ],
  ],
  [
    "gpuResource in the kubernetes.io domain",
    stack({ jobs: { granite: job({ gpuResource: "kubernetes.io/gpu" }) } }),
    [
      "finetune:jobs.granite.gpuResource: must be an extended resource name such as nvidia.com/gpu, amd.com/gpu or habana.ai/gaudi",
    ],
  ],
  [
    "image with a shell metacharacter",
    stack({ jobs: { granite: job({ image: "trainer:1.0; rm -rf /" }) } }),
    [
      "finetune:jobs.granite.image: must be a container image reference such as registry.example.com/team/trainer:1.2 or ...@sha256:<digest>",
    ],
  ],
  [
    "bad quantities",
    stack({ jobs: { granite: job({ resources: { cpu: "lots", memory: "-1Gi" }, shmSize: "big" }) } }),
    [
      "finetune:jobs.granite.resources.cpu: must be a positive Kubernetes quantity, CPU cores such as 8 or 7500m",
      "finetune:jobs.granite.resources.memory: must be a positive Kubernetes quantity, memory such as 64Gi",
      "finetune:jobs.granite.shmSize: must be a positive Kubernetes quantity, the size of /dev/shm such as 16Gi",
    ],
  ],
  [
    "shm larger than memory",
    stack({ jobs: { granite: job({ resources: { memory: "32Gi" }, shmSize: "64Gi" }) } }),
    [
      "finetune:jobs.granite.shmSize: is 64Gi, more than resources.memory (32Gi): /dev/shm is memory-backed and counts against the memory limit",
    ],
  ],
  [
    "volume with neither claim nor size",
    stack({ jobs: { granite: job({ output: {} }) } }),
    ["finetune:jobs.granite.output: set existingClaim (an existing PVC) or size (a new PVC, e.g. size: 100Gi)"],
  ],
  [
    "volume with both claim and size",
    stack({ jobs: { granite: job({ output: { existingClaim: "ckpt", size: "1Gi" } }) } }),
    [
      "finetune:jobs.granite.output.size: cannot be combined with existingClaim: set existingClaim to use a PVC as it is, or size (with storageClass, accessMode) to create one",
    ],
  ],
  [
    "new volume without a size",
    stack({ jobs: { granite: job({ output: { storageClass: "fast" } }) } }),
    ["finetune:jobs.granite.output.size: is required for a new PVC (e.g. 100Gi), or set existingClaim instead"],
  ],
  [
    "unknown access mode",
    stack({ jobs: { granite: job({ output: { size: "1Gi", accessMode: "RWX" } }) } }),
    [
      "finetune:jobs.granite.output.accessMode: must be one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod",
    ],
  ],
  [
    "ReadWriteOnce output and dataset on several nodes",
    stack({
      jobs: {
        granite: job({
          nodes: 2,
          output: { size: "1Gi", accessMode: "ReadWriteOnce" },
          dataset: { size: "1Gi", accessMode: "ReadWriteOnce" },
        }),
      },
    }),
    [
      "finetune:jobs.granite.dataset.accessMode: is ReadWriteOnce, but the job runs on 2 nodes and pods on several nodes cannot attach it: use ReadWriteMany or ReadOnlyMany",
      "finetune:jobs.granite.output.accessMode: is ReadWriteOnce, but the job runs on 2 nodes and pods on several nodes cannot attach it: use ReadWriteMany",
    ],
  ],
  [
    "read-only output",
    stack({ jobs: { granite: job({ output: { size: "1Gi", accessMode: "ReadOnlyMany" } }) } }),
    [
      "finetune:jobs.granite.output.accessMode: is ReadOnlyMany, but training writes checkpoints to the output volume: use ReadWriteOnce or ReadWriteMany",
    ],
  ],
  [
    "instructlab without model and dataset",
    stack({ jobs: { granite: job({ trainer: { type: "instructlab" } }) } }),
    [
      "finetune:jobs.granite.model: is required by trainer type instructlab (existingClaim or size)",
      "finetune:jobs.granite.dataset: is required by trainer type instructlab (existingClaim or size)",
    ],
  ],
  [
    "unknown trainer type",
    stack({ jobs: { granite: job({ trainer: { type: "axolotl" } }) } }),
    ["finetune:jobs.granite.trainer.type: must be one of: instructlab, command"],
  ],
  [
    "empty command",
    stack({ jobs: { granite: job({ trainer: { type: "command", command: [] } }) } }),
    ["finetune:jobs.granite.trainer.command: must list the program and its arguments, e.g. [torchrun, train.py]"],
  ],
  [
    "NUL in an argument",
    stack({ jobs: { granite: job({ trainer: { type: "command", command: ["python", "a\u0000b"] } }) } }),
    ["finetune:jobs.granite.trainer.command[1]: must not contain NUL characters"],
  ],
  [
    "hyperparameters out of range",
    stack({
      jobs: {
        granite: job({
          model: { existingClaim: "m" },
          dataset: { existingClaim: "d" },
          trainer: { type: "instructlab", epochs: 0, learningRate: -1, dataFile: "../etc/passwd" },
        }),
      },
    }),
    [
      "finetune:jobs.granite.trainer.epochs: must be at least 1",
      "finetune:jobs.granite.trainer.learningRate: must be more than 0",
      "finetune:jobs.granite.trainer.dataFile: must be a relative path inside the dataset volume, without '..'",
    ],
  ],
  [
    "env overriding operator variables",
    stack({ jobs: { granite: job({ env: { MASTER_ADDR: "x", PET_NNODES: "2", HF_TOKEN: "t", "bad name": "v" } }) } }),
    [
      `finetune:jobs.granite.env["bad name"]: must be an environment variable name (letters, digits, '_', '-', '.')`,
      "finetune:jobs.granite.env.MASTER_ADDR: is set by the training operator for torchrun and cannot be overridden",
      "finetune:jobs.granite.env.PET_NNODES: is set by the training operator for torchrun and cannot be overridden",
      "finetune:jobs.granite.env.HF_TOKEN: is set by the program from finetune:hfToken; set that secret instead",
    ],
  ],
  [
    "scheduling mistakes",
    stack({
      jobs: {
        granite: job({
          scheduling: {
            nodeSelector: { "bad key!": "v" },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", value: "x" }, { effect: "Sometimes" }],
            priorityClassName: "High",
          },
        }),
      },
    }),
    [
      `finetune:jobs.granite.scheduling.nodeSelector["bad key!"]: must be a label key such as 'example.com/gpu-type' or 'accelerator'`,
      "finetune:jobs.granite.scheduling.tolerations[0].value: must be empty when operator is Exists",
      "finetune:jobs.granite.scheduling.tolerations[1].effect: must be NoSchedule, PreferNoSchedule or NoExecute",
      "finetune:jobs.granite.scheduling.tolerations[1].operator: must be Exists when key is empty",
      "finetune:jobs.granite.scheduling.priorityClassName: must be a PriorityClass name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    ],
  ],
  [
    "affinity that is not a pod spec's (the fuzz counterexample; the operator would fail to create the pods)",
    stack({
      jobs: {
        granite: job({
          scheduling: {
            affinity: {
              nodeAffinity: { granite: "'; rm -rf / #" },
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: { app: "x y" } }, topologyKey: "" },
                ],
              },
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 0, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } },
                ],
              },
            },
          },
        }),
      },
    }),
    [
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.granite: unknown key; valid keys: requiredDuringSchedulingIgnoredDuringExecution, preferredDuringSchedulingIgnoredDuringExecution",
      "finetune:jobs.granite.scheduling.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.app: must be a label value: letters, digits, '-', '_' and '.'",
      "finetune:jobs.granite.scheduling.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: must be a label key such as 'kubernetes.io/hostname' or 'topology.kubernetes.io/zone'",
      "finetune:jobs.granite.scheduling.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be an integer from 1 to 100",
    ],
  ],
  [
    "node selector requirements the API server refuses",
    stack({
      jobs: {
        granite: job({
          scheduling: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: "gpu", operator: "In" },
                        { key: "gpu", operator: "Exists", values: ["a"] },
                        { key: "mem", operator: "Gt", values: ["lots"] },
                        { key: "gpu", operator: "Near", values: ["a"] },
                      ],
                      matchFields: [{ key: "metadata.labels", operator: "In", values: ["n1"] }],
                    },
                  ],
                },
              },
            },
          },
        }),
      },
    }),
    [
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: must list at least one value when operator is In or NotIn",
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: must be empty when operator is Exists or DoesNotExist",
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].values: must be one integer when operator is Gt or Lt",
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].operator: must be In, NotIn, Exists, DoesNotExist, Gt or Lt",
      "finetune:jobs.granite.scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: must be metadata.name (the only field a node selector matches)",
    ],
  ],
  [
    "run policy mistakes",
    stack({
      jobs: {
        granite: job({
          runPolicy: {
            cleanPodPolicy: "Sometimes",
            backoffLimit: -1,
            activeDeadlineSeconds: 0,
            restartPolicy: "Never",
          },
        }),
      },
    }),
    [
      "finetune:jobs.granite.runPolicy.cleanPodPolicy: must be None, Running or All",
      "finetune:jobs.granite.runPolicy.backoffLimit: must be at least 0",
      "finetune:jobs.granite.runPolicy.restartPolicy: must be OnFailure or ExitCode",
      "finetune:jobs.granite.runPolicy.activeDeadlineSeconds: must be at least 1",
    ],
  ],
  [
    "operator mistakes",
    stack({ trainingOperator: { install: "yes", version: "v2.0.0", source: "/no/such/bundle.yaml" } }),
    [
      'finetune:trainingOperator.install: must be true or false; "yes" is text to Pulumi, which reads YAML 1.2: write true',
      "finetune:trainingOperator.version: must be a release tag of kubeflow/trainer: v1.x.y for the training operator v1 (PyTorchJob kubeflow.org/v1, e.g. v1.9.4), or v2.3.x for Kubeflow Trainer v2 (TrainJob trainer.kubeflow.org/v1alpha1, e.g. v2.3.0: its API changed in every minor release, and this program writes v2.3's)",
      "finetune:trainingOperator.source: is neither a URL nor an existing local file or folder (give a kustomize URL, a rendered YAML file, or a kustomize folder)",
    ],
  ],
  [
    "sources refused, each on its key",
    stack({
      jobs: {
        granite: job({
          model: { source: "hf://granite", size: "1Gi" },
          dataset: { source: "s3://", size: "1Gi" },
        }),
        other: job({ model: { source: "ftp://x/y", size: "1Gi" } }),
      },
    }),
    [
      "finetune:jobs.granite.model.source: hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://ORG/NAME@REVISION",
      "finetune:jobs.granite.dataset.source: s3:// needs a bucket, e.g. s3://my-bucket/datasets/run-1",
      'finetune:jobs.other.model.source: must start with hf://, s3:// or pvc:// (got "ftp://")',
    ],
  ],
  [
    "a fetched source without a claim to stage into",
    stack({ jobs: { granite: job({ model: { source: "hf://org/name" } }) } }),
    [
      "finetune:jobs.granite.model: set existingClaim (an existing PVC) or size (a new PVC, e.g. size: 100Gi) to stage hf:// into",
    ],
  ],
  [
    "a pvc:// source with claim keys, and S3 keys without s3://",
    stack({
      jobs: {
        granite: job({
          model: { source: "pvc://models/granite", size: "1Gi" },
          dataset: { source: "hf://org/data", size: "1Gi", endpoint: "https://minio:9000" },
        }),
      },
    }),
    [
      "finetune:jobs.granite.model.size: cannot be combined with a pvc:// source, which names the claim to mount",
      "finetune:jobs.granite.dataset.endpoint: applies only to an s3:// source",
    ],
  ],
  [
    "an endpoint that is not an http(s) URL",
    stack({ jobs: { granite: job({ dataset: { source: "s3://bucket/x", size: "1Gi", endpoint: "ftp://minio" } }) } }),
    [
      "finetune:jobs.granite.dataset.endpoint: must be an http(s) URL of an S3-compatible endpoint, e.g. https://minio.example.com:9000",
    ],
  ],
  [
    "the output volume has no source",
    stack({ jobs: { granite: job({ output: { size: "1Gi", source: "hf://org/name" } }) } }),
    [
      "finetune:jobs.granite.output.source: unknown key; valid keys: existingClaim, size, storageClass, accessMode, retain, protect",
    ],
  ],
  [
    "a read-only dataset that staging or data preparation would write",
    stack({
      jobs: {
        granite: job({
          model: { source: "s3://bucket/m", size: "1Gi", accessMode: "ReadOnlyMany" },
          dataset: { size: "1Gi", accessMode: "ReadOnlyMany" },
          trainer: { type: "instructlab" },
        }),
      },
    }),
    [
      "finetune:jobs.granite.model.accessMode: is ReadOnlyMany, but staging of s3:// writes into it: use ReadWriteMany (or ReadWriteOnce for one node)",
      "finetune:jobs.granite.dataset.accessMode: is ReadOnlyMany, but data preparation writes the processed data into it: use ReadWriteMany (or ReadWriteOnce for one node)",
    ],
  ],
  [
    "wait and timeout mistakes",
    stack({ jobs: { a: job({ wait: "forever", timeout: "soon" }), b: job({ wait: "none", timeout: "1h" }) } }),
    [
      "finetune:jobs.a.wait: must be one of none, admitted, running, succeeded",
      "finetune:jobs.a.timeout: must be a duration such as 90m, 2h or 1h30m",
      "finetune:jobs.b.timeout: has no effect with wait: none; remove it or set wait",
    ],
  ],
  [
    "metadata under the program's prefixes, and a queue without gang scheduling",
    stack({
      jobs: {
        granite: job({
          labels: { "app.kubernetes.io/name": "x" },
          annotations: { "pulumi.com/skipAwait": "true" },
          scheduling: { queue: "research" },
        }),
      },
    }),
    [
      "finetune:jobs.granite.labels.app.kubernetes.io/name: uses the prefix app.kubernetes.io/, which the program sets itself (labels, waits, run fingerprints)",
      "finetune:jobs.granite.annotations.pulumi.com/skipAwait: uses the prefix pulumi.com/, which the program sets itself (labels, waits, run fingerprints)",
      "finetune:jobs.granite.scheduling.queue: applies only with scheduling.gang: true",
    ],
  ],
  [
    "job name too long for its staging Job",
    stack({ jobs: { [`a${"b".repeat(49)}`]: job({ dataset: { source: "s3://bucket/x", size: "1Gi" } }) } }),
    [
      `finetune:jobs.a${"b".repeat(49)}: job name is 50 characters; at most 49 fit, since "<name>-master-N" (the operator's pod Services), "<name>-stage-dataset" must stay within 63 characters`,
    ],
  ],
  [
    "half the S3 credentials",
    stack({ s3AccessKeyId: "AKIA" }),
    [
      "finetune:s3SecretAccessKey: is required with the other S3 credential: set both s3AccessKeyId and s3SecretAccessKey (as secrets), or neither",
    ],
  ],
];

describe("rejected config", () => {
  for (const [title, raw, expected] of REJECTED) {
    it(title, () => {
      const secrets = ["s3AccessKeyId", "s3SecretAccessKey"].filter((k) => k in raw);
      assert.deepEqual(problemsOf(raw, secrets), expected);
    });
  }

  it("reports every mistake of a stack at once", () => {
    const problems = problemsOf({
      namespace: "Bad",
      jobs: { a: job({ nodes: 0 }), b: job({ image: "" }) },
      clusterr: {},
    });
    assert.deepEqual(problems, [
      "finetune:namespace: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
      "finetune:jobs.a.nodes: must be at least 1",
      "finetune:jobs.b.image: must be a container image reference such as registry.example.com/team/trainer:1.2 or ...@sha256:<digest>",
      'finetune:clusterr: unknown key; did you mean "cluster"? valid keys: namespace, createNamespace, cluster, trainingOperator, hfToken, s3AccessKeyId, s3SecretAccessKey, imagePullSecrets, kubeconfig, networkPolicy, queue, queues, staging, jobs',
    ]);
  });

  it("is a RunError, so the CLI prints no stack trace", () => {
    const error = new ConfigError(["finetune:x: y"]);
    assert.equal((error as unknown as { __pulumiRunError: boolean }).__pulumiRunError, true);
    assert.equal(error.message, "Invalid stack config (1 problem); nothing was deployed:\n  finetune:x: y");
  });
});

it("accepts an empty job map: a stack that only installs the operator", () => {
  assert.deepEqual(parseConfig(stack({ jobs: {} }), new Set()).jobs, {});
});

it("reads a stack with no jobs key as one with no jobs (a new project's stack, as pulumi new leaves it)", () => {
  const { jobs: _, ...withoutJobs } = stack({});
  assert.equal("jobs" in withoutJobs, false);
  assert.deepEqual(parseConfig(withoutJobs, new Set()).jobs, {});
});

describe("sources and lifecycle keys", () => {
  it("resolves sources: fetched into a claim, or a pvc:// path mounted as it is", () => {
    const config = parseConfig(
      stack({
        jobs: {
          granite: job({
            model: { source: "hf://ibm-granite/granite-3.1-8b-base@main", size: "40Gi" },
            dataset: {
              source: "s3://data/granite",
              endpoint: "https://minio.example.com:9000",
              region: "us-east-1",
              existingClaim: "datasets",
            },
          }),
          smoke: job({ model: { source: "pvc://shared-models/granite" } }),
        },
      }),
      new Set(),
    );
    assert.deepEqual(config.jobs.granite.model, {
      kind: "new",
      size: "40Gi",
      accessMode: "ReadWriteOnce",
      fetch: { kind: "hf", repo: "ibm-granite/granite-3.1-8b-base", repoType: "model", revision: "main" },
      retain: false,
      protect: false,
    });
    assert.deepEqual(config.jobs.granite.dataset, {
      kind: "existing",
      claimName: "datasets",
      fetch: {
        kind: "s3",
        bucket: "data",
        prefix: "granite",
        endpoint: "https://minio.example.com:9000",
        region: "us-east-1",
      },
    });
    assert.deepEqual(config.jobs.smoke.model, { kind: "existing", claimName: "shared-models", subPath: "granite" });
  });

  it("reads restage on a fetched source into the volume, and refuses it where nothing is fetched", () => {
    const config = parseConfig(
      stack({ jobs: { granite: job({ model: { source: "hf://org/m", size: "1Gi", restage: "2026-11-29" } }) } }),
      new Set(),
    );
    assert.deepEqual(config.jobs.granite.model, {
      kind: "new",
      size: "1Gi",
      accessMode: "ReadWriteOnce",
      fetch: { kind: "hf", repo: "org/m", repoType: "model" },
      restage: "2026-11-29",
      retain: false,
      protect: false,
    });
    assert.deepEqual(
      problemsOf(
        stack({
          jobs: {
            granite: job({
              model: { source: "pvc://models/m", restage: "1" },
              dataset: { existingClaim: "data", restage: "" },
            }),
          },
        }),
      ),
      [
        "finetune:jobs.granite.model.restage: applies only to an hf:// or s3:// source, which a staging Job fetches",
        "finetune:jobs.granite.dataset.restage: must be at least 1 character(s) long",
        "finetune:jobs.granite.dataset.restage: applies only to an hf:// or s3:// source, which a staging Job fetches",
      ],
    );
  });

  it("trainingOperator.workerPodSecurity: restricted when the stack installs the operator, baseline otherwise", () => {
    const level = (op: Record<string, unknown>) =>
      parseConfig(stack({ trainingOperator: op }), new Set()).trainingOperator.workerPodSecurity;
    assert.equal(level({}), "restricted");
    assert.equal(level({ install: false }), "baseline");
    assert.equal(level({ install: false, workerPodSecurity: "restricted" }), "restricted");
    assert.deepEqual(problemsOf(stack({ trainingOperator: { workerPodSecurity: "baseline" } })), [
      "finetune:trainingOperator.workerPodSecurity: applies only with install: false (the operator this stack installs runs a restricted init container)",
    ]);
    assert.deepEqual(problemsOf(stack({ trainingOperator: { install: false, workerPodSecurity: "privileged" } })), [
      "finetune:trainingOperator.workerPodSecurity: must be restricted or baseline",
    ]);
  });

  it("defaults the wait timeout by mode, and keeps an explicit one", () => {
    const config = parseConfig(
      stack({
        jobs: {
          a: job({ wait: "succeeded" }),
          b: job({ wait: "none" }),
          c: job({ wait: "running", timeout: "1h30m" }),
        },
      }),
      new Set(),
    );
    assert.equal(config.jobs.a.timeout, "24h");
    assert.equal(config.jobs.b.timeout, undefined);
    assert.equal(config.jobs.c.timeout, "1h30m");
  });

  it("reads output retention and protection", () => {
    const config = parseConfig(
      stack({ jobs: { a: job({ output: { size: "1Gi", retain: false, protect: true } }) } }),
      new Set(),
    );
    assert.deepEqual(config.jobs.a.output, {
      kind: "new",
      size: "1Gi",
      accessMode: "ReadWriteOnce",
      retain: false,
      protect: true,
    });
  });

  it("accepts S3 credentials stored as secrets", () => {
    const config = parseConfig(
      stack({ s3AccessKeyId: "AKIA", s3SecretAccessKey: "shh" }),
      new Set(["s3AccessKeyId", "s3SecretAccessKey"]),
    );
    assert.equal(config.hasS3Credentials, true);
    assert.equal(JSON.stringify(config).includes("shh"), false);
  });
});

describe("secrets in config", () => {
  it("requires hfToken to be stored as a secret", () => {
    assert.deepEqual(problemsOf(stack({ hfToken: "hf_abc" })), [
      "finetune:hfToken: must be stored as a secret: pulumi config set --secret hfToken <value>",
    ]);
  });

  it("accepts hfToken stored as a secret, without exposing its value", () => {
    const config = parseConfig(stack({ hfToken: "hf_abc" }), new Set(["hfToken"]));
    assert.equal(config.hasHfToken, true);
    assert.equal(JSON.stringify(config).includes("hf_abc"), false);
  });

  it("refuses secrets in keys the program reads as plain config", () => {
    assert.deepEqual(problemsOf(stack(), ["jobs"]), [
      "finetune:jobs: is stored as a secret, but only finetune:hfToken, finetune:s3AccessKeyId, finetune:s3SecretAccessKey, finetune:imagePullSecrets, finetune:kubeconfig may hold secrets; the program would have to read it as plain config and the secret would leak",
    ]);
  });

  it("never reads a secret's value: validation sees a marker", () => {
    assert.deepEqual(
      decodeConfigValues(
        { "finetune:hfToken": "hf_canary", "finetune:imagePullSecrets": '{"auths":{}}', "finetune:namespace": "ml" },
        new Set(["hfToken", "imagePullSecrets"]),
      ),
      { values: { hfToken: "[secret]", imagePullSecrets: "[secret]", namespace: "ml" }, problems: [] },
    );
  });

  it("checks secret values with rules that never echo them", () => {
    assert.equal(SECRET_RULES.hfToken("hf abc secret"), "must not contain whitespace");
    assert.equal(SECRET_RULES.hfToken(""), "must not be empty");
    assert.equal(SECRET_RULES.hfToken("hf_ok"), undefined);
    assert.equal(SECRET_RULES.imagePullSecrets('{"auths":{"r.example.com":{"auth":"eDp5"}}}'), undefined);
    assert.equal(
      SECRET_RULES.imagePullSecrets("user:password"),
      'must be the contents of a Docker config.json with registry credentials ({"auths": {...}}): pulumi config set --secret imagePullSecrets "$(cat ~/.docker/config.json)"',
    );
    assert.equal(SECRET_RULES.s3SecretAccessKey(""), "must not be empty");
  });

  it("relies on the SDK's isConfigSecret, which reads the engine's secret keys", () => {
    const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;
    runtimeConfig.setAllConfig({ "finetune:hfToken": "x", "finetune:namespace": "ml" }, ["finetune:hfToken"]);
    assert.equal(isConfigSecret("finetune:hfToken"), true);
    assert.equal(isConfigSecret("finetune:namespace"), false);
  });
});

describe("decodeConfigValues", () => {
  it("decodes JSON objects, keeps strings, drops other namespaces", () => {
    assert.deepEqual(
      decodeConfigValues({
        "finetune:namespace": "ml",
        "finetune:jobs": '{"a":{"nodes":2}}',
        "kubernetes:context": "kind",
      }),
      { values: { namespace: "ml", jobs: { a: { nodes: 2 } } }, problems: [] },
    );
  });

  it("reports structured values that are not JSON", () => {
    assert.deepEqual(decodeConfigValues({ "finetune:jobs": "{not json" }), {
      values: {},
      problems: ["finetune:jobs: is not valid structured config (JSON or YAML map/list)"],
    });
  });
  it("reads a dotted key (set without --path, or by pulumi new) as the same path", () => {
    assert.deepEqual(
      decodeConfigValues({
        "finetune:cluster.context": "gpu-east",
        "finetune:cluster": '{"kubeconfig":"/k"}',
        "finetune:jobs.a.nodes": "2",
        "finetune:jobs": '{"a":{"image":"i"}}',
      }),
      {
        values: { cluster: { kubeconfig: "/k", context: "gpu-east" }, jobs: { a: { image: "i", nodes: "2" } } },
        problems: [],
      },
    );
  });

  it("refuses a dotted key that sets what a map already sets, or goes through a value that is not a map", () => {
    assert.deepEqual(
      decodeConfigValues({
        "finetune:cluster": '{"context":"a"}',
        "finetune:cluster.context": "b",
        "finetune:namespace": "ml",
        "finetune:namespace.x": "y",
        "finetune:jobs..a": "1",
        "finetune:queues.__proto__.x": "1",
      }),
      {
        values: { cluster: { context: "a" }, namespace: "ml" },
        problems: [
          "finetune:cluster.context: is set twice, in finetune:cluster and as finetune:cluster.context; keep one",
          "finetune:jobs..a: is not a key path (an empty segment)",
          "finetune:namespace.x: finetune:namespace is not a map, so it has no key x",
          'finetune:queues.__proto__.x: "__proto__" is not allowed as a key',
        ],
      },
    );
  });
});

describe("keys under a renamed project's namespace", () => {
  const stack = {
    "finetune:namespace": "ml",
    "finetune:jobs": "{}",
    "my-tuning:hfToken": "[secret]",
    "my-tuning:jobs": "{}",
    "kubernetes:context": "kind",
  };

  it("are refused by name when the project is not named finetune: the program reads only finetune: keys", () => {
    assert.throws(
      () => parseStackConfig(stack, new Set(), "my-tuning"),
      (e: unknown) =>
        e instanceof ConfigError &&
        assert.deepEqual(e.problems, [
          "my-tuning:hfToken: is not read: this program reads finetune: keys (pulumi config set finetune:hfToken ...); `pulumi config set` without a namespace uses the project's name, my-tuning",
          "my-tuning:jobs: is not read: this program reads finetune: keys (pulumi config set finetune:jobs ...); `pulumi config set` without a namespace uses the project's name, my-tuning",
        ]) === undefined,
    );
  });

  it("are other programs' business when the project is named finetune or not known", () => {
    assert.equal(parseStackConfig(stack, new Set(), "finetune").namespace, "ml");
    assert.equal(parseStackConfig(stack, new Set()).namespace, "ml");
  });
});

describe("maxJobNameLength", () => {
  it("leaves room for the operator's replica service names", () => {
    assert.equal(maxJobNameLength(1), 63 - "-master-0".length);
    assert.equal(maxJobNameLength(2), 63 - "-worker-0".length);
    assert.equal(maxJobNameLength(12), 63 - "-worker-10".length);
  });
});
