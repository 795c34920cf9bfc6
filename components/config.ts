// The one place stack config is read and validated. Stack config (namespace `finetune:`) goes
// in; a typed, defaulted `Config` comes out, or a `ConfigError` that lists every mistake at once,
// each with its key path. No component reads `pulumi.Config` itself.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
// The SDK's own test for "is this config key a secret" (what `Config.get` uses to warn). It is
// marked internal, so it has no type declaration; test/config.test.ts pins its behaviour.
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { type FetchedSource, parseSource, type Source } from "./sources";
import {
  closestKey,
  DNS1035_LABEL,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  ENV_VAR_NAME,
  IMAGE_REFERENCE,
  isExtendedResourceName,
  isQualifiedName,
  LABEL_VALUE,
  parseQuantity,
} from "./validation";

/** The config namespace of every key this program reads (`finetune:jobs`, ...). */
export const CONFIG_NAMESPACE = "finetune";

/** The default Kubeflow Training Operator release: the last of the v1 line (PyTorchJob `kubeflow.org/v1`). */
export const DEFAULT_OPERATOR_VERSION = "v1.9.4";

/** Config keys that may (and must) be stored as Pulumi secrets. */
export const SECRET_KEYS = ["hfToken", "s3AccessKeyId", "s3SecretAccessKey", "imagePullSecrets"] as const;

/** The image that runs `aws s3 sync` in staging Jobs, unless `staging.s3Image` is set. */
export const DEFAULT_S3_IMAGE = "docker.io/amazon/aws-cli:2.22.35";

/** Namespaces the program must not create: they exist already or belong to the cluster. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Environment variables the training operator sets itself; a job may not override them. */
const OPERATOR_ENV = ["MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK"];

/** Environment variables this program sets itself. */
const PROGRAM_ENV = ["HF_TOKEN", "CHECKPOINT_DIR"];

/** Longest replica suffix the operator appends to a job name for its pods' Services. */
const MAX_NAME_LENGTH = 63;

// ---------------------------------------------------------------------------------------------
// Building blocks

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * An object schema that refuses unknown keys, naming the closest known key where one is near.
 * The message is encoded so that `formatIssues` can report each unknown key on its own path.
 */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== "unrecognized_keys") return undefined;
      const perKey = iss.keys.map((key) => {
        const near = closestKey(key, known);
        const hint = near ? `did you mean "${near}"? ` : "";
        return [key, `unknown key; ${hint}valid keys: ${known.join(", ")}`];
      });
      return JSON.stringify(perKey);
    },
  });
}

/** A string without NUL characters (no process can receive one in argv or env). */
const text = () => z.string().refine((s) => !s.includes("\u0000"), { error: "must not contain NUL characters" });

/** A Kubernetes quantity, `what` naming the kind of value expected in messages. */
const quantity = (what: string) =>
  z.string().refine(
    (s) => {
      const q = parseQuantity(s);
      return q !== undefined && q > 0;
    },
    { error: `must be a positive Kubernetes quantity, ${what}` },
  );

const dns1123Subdomain = (what: string) =>
  z
    .string()
    .max(253, { error: `must be at most 253 characters (${what})` })
    .regex(DNS1123_SUBDOMAIN, {
      error: `must be ${what}: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`,
    });

const labelKey = z.string().refine(isQualifiedName, {
  error: "must be a label key such as 'example.com/gpu-type' or 'accelerator'",
});

const labelValue = z
  .string()
  .max(63, { error: "must be at most 63 characters (a label value)" })
  .regex(LABEL_VALUE, { error: "must be a label value: letters, digits, '-', '_' and '.'" });

// ---------------------------------------------------------------------------------------------
// Volumes

/** PersistentVolumeClaim access modes. */
export const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

/** Access modes that a set of pods on several nodes cannot share. */
const SINGLE_NODE_MODES: readonly string[] = ["ReadWriteOnce", "ReadWriteOncePod"];

const volumeShape = {
  existingClaim: dns1123Subdomain("a PersistentVolumeClaim name").optional(),
  size: quantity("a storage size such as 100Gi").optional(),
  storageClass: dns1123Subdomain("a StorageClass name").optional(),
  accessMode: z.enum(ACCESS_MODES, { error: `must be one of ${ACCESS_MODES.join(", ")}` }).optional(),
};

/** Checks the claim keys of a volume: an existing claim, or a new one with a size. */
function checkClaim(v: Record<string, unknown>, ctx: z.RefinementCtx, what: string): void {
  const isNew = v.size !== undefined || v.storageClass !== undefined || v.accessMode !== undefined;
  if (v.existingClaim !== undefined) {
    for (const key of ["size", "storageClass", "accessMode"]) {
      if (v[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message:
            "cannot be combined with existingClaim: set existingClaim to use a PVC as it is, or size (with storageClass, accessMode) to create one",
        });
      }
    }
  } else if (!isNew) {
    ctx.addIssue({
      code: "custom",
      message: `set existingClaim (an existing PVC) or size (a new PVC, e.g. size: 100Gi)${what}`,
    });
  } else if (v.size === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["size"],
      message: "is required for a new PVC (e.g. 100Gi), or set existingClaim instead",
    });
  }
}

/** A model or dataset volume: a claim, optionally filled from a source. */
const inputVolumeSchema = (role: "model" | "dataset") =>
  strictObject({
    ...volumeShape,
    source: text().optional(),
    endpoint: z
      .url({
        protocol: /^https?$/,
        error: "must be an http(s) URL of an S3-compatible endpoint, e.g. https://minio.example.com:9000",
      })
      .optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, { error: "must be a region name such as us-east-1" })
      .optional(),
  }).superRefine(
    (v, ctx) => {
      const source = typeof v.source === "string" ? parseSource(v.source, role) : undefined;
      if (typeof source === "string") ctx.addIssue({ code: "custom", path: ["source"], message: source });
      const kind = typeof source === "object" ? source.kind : undefined;
      if (kind !== "s3") {
        for (const key of ["endpoint", "region"] as const) {
          if (v[key] !== undefined) {
            ctx.addIssue({ code: "custom", path: [key], message: "applies only to an s3:// source" });
          }
        }
      }
      if (kind === "pvc") {
        for (const key of ["existingClaim", "size", "storageClass", "accessMode"] as const) {
          if (v[key] !== undefined) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: "cannot be combined with a pvc:// source, which names the claim to mount",
            });
          }
        }
        return;
      }
      if (v.source !== undefined && typeof source === "string") return;
      checkClaim(v, ctx, kind ? ` to stage ${kind}:// into` : "");
    },
    { when: (payload) => isPlainObject(payload.value) },
  );

/** The output volume: a claim that receives checkpoints, kept when the stack is destroyed. */
const outputVolumeSchema = strictObject({
  ...volumeShape,
  retain: z.boolean({ error: "must be true or false" }).default(true),
  protect: z.boolean({ error: "must be true or false" }).default(false),
}).superRefine((v, ctx) => checkClaim(v, ctx, ""), { when: (payload) => isPlainObject(payload.value) });

type InputVolumeInput = z.output<ReturnType<typeof inputVolumeSchema>>;
type OutputVolumeInput = z.output<typeof outputVolumeSchema>;

/** A volume: an existing PersistentVolumeClaim, used as it is. */
export interface ExistingVolume {
  readonly kind: "existing";
  /** Name of the PVC in the job namespace. */
  readonly claimName: string;
  /** Path inside the claim to mount (a `pvc://CLAIM/PATH` source); its root when unset. */
  readonly subPath?: string;
  /** What a staging Job fetches into the claim before training; nothing when unset. */
  readonly fetch?: FetchedSource;
}

/** A volume: a new PersistentVolumeClaim that the program creates. */
export interface NewVolume {
  readonly kind: "new";
  /** Requested storage, a Kubernetes quantity. */
  readonly size: string;
  /** StorageClass; the cluster default when unset. */
  readonly storageClass?: string;
  /**
   * Access mode.
   * @default ReadWriteOnce for a 1-node job, ReadWriteMany when the job spans several nodes
   */
  readonly accessMode: (typeof ACCESS_MODES)[number];
  /** What a staging Job fetches into the claim before training; nothing when unset. */
  readonly fetch?: FetchedSource;
  /**
   * Keep the PVC (and its data) when the stack is destroyed or the volume removed.
   * @default true for the output volume, false for model and dataset
   */
  readonly retain: boolean;
  /**
   * Refuse to delete the PVC at all (Pulumi `protect`).
   * @default false
   */
  readonly protect: boolean;
}

/** A job volume: model, dataset or output. */
export type Volume = ExistingVolume | NewVolume;

function defaultAccessMode(nodes: number): NewVolume["accessMode"] {
  return nodes > 1 ? "ReadWriteMany" : "ReadWriteOnce";
}

function resolveInputVolume(v: InputVolumeInput, role: "model" | "dataset", nodes: number): Volume {
  const source = v.source !== undefined ? (parseSource(v.source, role) as Source) : undefined;
  if (source?.kind === "pvc") {
    return { kind: "existing", claimName: source.claim, ...(source.path ? { subPath: source.path } : {}) };
  }
  const fetch: { fetch?: FetchedSource } =
    source?.kind === "s3"
      ? {
          fetch: {
            ...source,
            ...(v.endpoint !== undefined ? { endpoint: v.endpoint } : {}),
            ...(v.region !== undefined ? { region: v.region } : {}),
          },
        }
      : source
        ? { fetch: source }
        : {};
  if (v.existingClaim !== undefined) return { kind: "existing", claimName: v.existingClaim, ...fetch };
  return {
    kind: "new",
    size: v.size as string,
    ...(v.storageClass !== undefined ? { storageClass: v.storageClass } : {}),
    accessMode: v.accessMode ?? defaultAccessMode(nodes),
    ...fetch,
    retain: false,
    protect: false,
  };
}

function resolveOutputVolume(v: OutputVolumeInput, nodes: number): Volume {
  if (v.existingClaim !== undefined) return { kind: "existing", claimName: v.existingClaim };
  return {
    kind: "new",
    size: v.size as string,
    ...(v.storageClass !== undefined ? { storageClass: v.storageClass } : {}),
    accessMode: v.accessMode ?? defaultAccessMode(nodes),
    retain: v.retain,
    protect: v.protect,
  };
}

// ---------------------------------------------------------------------------------------------
// Trainers

const loraSchema = strictObject({
  rank: z.int().min(1).max(1024),
  alpha: z.int().min(1).max(4096).default(32),
  dropout: z.number().min(0).max(1).default(0.1),
  targetModules: z
    .array(text().regex(/^[A-Za-z0-9_.]+$/, { error: "must be a module name such as q_proj" }))
    .min(1)
    .optional(),
});

const instructlabSchema = strictObject({
  type: z.literal("instructlab"),
  epochs: z.int().min(1).max(10_000).default(1),
  learningRate: z.number().gt(0).max(1).default(2e-5),
  effectiveBatchSize: z.int().min(1).max(1_000_000).default(128),
  maxSeqLen: z.int().min(1).max(1_048_576).default(4096),
  maxBatchLen: z.int().min(1).max(10_000_000).default(60_000),
  warmupSteps: z.int().min(0).max(1_000_000).default(25),
  saveSamples: z.int().min(0).default(0),
  checkpointAtEpoch: z.boolean().default(true),
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(42),
  distributedBackend: z.enum(["fsdp", "deepspeed"], { error: "must be fsdp or deepspeed" }).default("fsdp"),
  isGranite: z.boolean().default(false),
  processData: z.boolean({ error: "must be true or false" }).default(true),
  dataFile: text()
    .min(1)
    .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/, {
      error: "must be a relative path inside the dataset volume, without '..'",
    })
    .default("data.jsonl"),
  lora: loraSchema.optional(),
  extraArgs: z.array(text()).default([]),
});

/** A program that would interpret its next arguments as shell code. */
const SHELL_PROGRAM = /(^|\/)(sh|bash|ash|dash|zsh|ksh)$/;

const commandSchema = strictObject({
  type: z.literal("command"),
  command: z
    .array(text())
    .min(1, { error: "must list the program and its arguments, e.g. [torchrun, train.py]" })
    .refine((argv) => !(SHELL_PROGRAM.test(argv[0] ?? "") && argv.slice(1).some((a) => /^-\w*c/.test(a))), {
      error:
        "runs a shell with -c: give the program and its arguments directly (e.g. [torchrun, train.py, --lr, '1e-5']) so that no config value is interpreted by a shell; bake setup steps into the image",
    }),
});

const trainerSchema = z.discriminatedUnion("type", [instructlabSchema, commandSchema], {
  error: (iss) => (iss.code === "invalid_union" ? "type must be one of: instructlab, command" : undefined),
});

/** The InstructLab training library's distributed entry point and its hyperparameters. */
export type InstructLabTrainer = z.output<typeof instructlabSchema>;
/** The user's own argv. */
export type CommandTrainer = z.output<typeof commandSchema>;
/** What the training containers run. */
export type Trainer = InstructLabTrainer | CommandTrainer;

// ---------------------------------------------------------------------------------------------
// Scheduling and run policy

const tolerationSchema = strictObject({
  key: labelKey.optional(),
  operator: z.enum(["Exists", "Equal"], { error: "must be Exists or Equal" }).optional(),
  value: labelValue.optional(),
  effect: z
    .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
      error: "must be NoSchedule, PreferNoSchedule or NoExecute",
    })
    .optional(),
  tolerationSeconds: z.int().min(0).optional(),
}).superRefine(
  (t, ctx) => {
    if (t.operator === "Exists" && t.value !== undefined && t.value !== "") {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be empty when operator is Exists" });
    }
    if (t.key === undefined && t.operator !== "Exists") {
      ctx.addIssue({ code: "custom", path: ["operator"], message: "must be Exists when key is empty" });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

const affinityTerm = z.record(z.string(), z.unknown());

const schedulingSchema = strictObject({
  nodeSelector: z.record(labelKey, labelValue).optional(),
  tolerations: z.array(tolerationSchema).optional(),
  affinity: strictObject({
    nodeAffinity: affinityTerm.optional(),
    podAffinity: affinityTerm.optional(),
    podAntiAffinity: affinityTerm.optional(),
  }).optional(),
  priorityClassName: dns1123Subdomain("a PriorityClass name").optional(),
  schedulerName: dns1123Subdomain("a scheduler name").optional(),
  gang: z.boolean({ error: "must be true or false" }).default(false),
  queue: dns1123Subdomain("a queue name").optional(),
});

/** Where the job's pods may run. */
export type Scheduling = z.output<typeof schedulingSchema>;

const runPolicySchema = strictObject({
  cleanPodPolicy: z.enum(["None", "Running", "All"], { error: "must be None, Running or All" }).default("Running"),
  backoffLimit: z.int().min(0).max(100).default(3),
  activeDeadlineSeconds: z.int().min(1).optional(),
  ttlSecondsAfterFinished: z.int().min(0).optional(),
});

/** The PyTorchJob's `runPolicy`. */
export type RunPolicy = z.output<typeof runPolicySchema>;

// ---------------------------------------------------------------------------------------------
// Jobs

const envSchema = z.record(
  z.string().regex(ENV_VAR_NAME, { error: "must be an environment variable name (letters, digits, '_', '-', '.')" }),
  text(),
);

const imageReference = z.string().max(1024).regex(IMAGE_REFERENCE, {
  error: "must be a container image reference such as registry.example.com/team/trainer:1.2 or ...@sha256:<digest>",
});

/** How long `pulumi up` waits for a job, by wait mode, when `timeout` is unset. */
export const WAIT_MODES = ["none", "running", "succeeded"] as const;

/** What `pulumi up` waits for. */
export type WaitMode = (typeof WAIT_MODES)[number];

/** Default wait timeouts: long enough to pull a large image and get GPUs, or to train. */
export const DEFAULT_TIMEOUTS: Readonly<Record<WaitMode, string | undefined>> = {
  none: undefined,
  running: "1h",
  succeeded: "24h",
};

/** A finished PyTorchJob is deleted by the operator after this long (7 days) unless overridden. */
export const DEFAULT_TTL_SECONDS = 604_800;

/** A duration as Pulumi custom timeouts take it: `90m`, `2h`, `1h30m`, `45s`. */
const duration = z
  .string()
  .regex(/^(?=.)(\d+h)?(\d+m)?(\d+s)?$/, { error: "must be a duration such as 90m, 2h or 1h30m" })
  // A malformed duration is reported by the pattern above, once.
  .refine((d) => Number.isNaN(durationSeconds(d)) || durationSeconds(d) > 0, { error: "must be longer than 0s" });

/** Seconds in a duration accepted by the schema. */
export function durationSeconds(d: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  if (!m) return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** What a secret value must look like: a check that returns a problem, never echoing the value. */
export const SECRET_RULES: Readonly<Record<(typeof SECRET_KEYS)[number], (value: string) => string | undefined>> = {
  hfToken: (v) => (v.length === 0 ? "must not be empty" : /\s/.test(v) ? "must not contain whitespace" : undefined),
  s3AccessKeyId: (v) => (v.length === 0 ? "must not be empty" : undefined),
  s3SecretAccessKey: (v) => (v.length === 0 ? "must not be empty" : undefined),
  imagePullSecrets: (v) =>
    isDockerConfigJson(v)
      ? undefined
      : 'must be the contents of a Docker config.json with registry credentials ({"auths": {...}}): pulumi config set --secret imagePullSecrets "$(cat ~/.docker/config.json)"',
};

/** What a secret's value is replaced with before validation: the program never parses secrets. */
export const SECRET_MARKER = "[secret]";

/** True for the contents of a Docker config.json: a JSON object with an `auths` map. */
function isDockerConfigJson(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isPlainObject(parsed) && isPlainObject(parsed.auths);
  } catch {
    return false;
  }
}

/** Label and annotation prefixes the program sets itself; user metadata may not use them. */
const RESERVED_METADATA_PREFIXES = ["app.kubernetes.io/", "pulumi.com/", "finetune/"];

function checkJobMetadata(job: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const key of ["labels", "annotations"] as const) {
    const map = job[key];
    if (!isPlainObject(map)) continue;
    for (const name of Object.keys(map)) {
      const prefix = RESERVED_METADATA_PREFIXES.find((p) => name.startsWith(p));
      if (prefix) {
        ctx.addIssue({
          code: "custom",
          path: [key, name],
          message: `uses the prefix ${prefix}, which the program sets itself (labels, waits, run fingerprints)`,
        });
      }
    }
  }
  const scheduling = job.scheduling;
  if (isPlainObject(scheduling) && scheduling.queue !== undefined && scheduling.gang !== true) {
    ctx.addIssue({ code: "custom", path: ["scheduling", "queue"], message: "applies only with scheduling.gang: true" });
  }
  if (job.wait === "none" && job.timeout !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["timeout"],
      message: "has no effect with wait: none; remove it or set wait",
    });
  }
}

/** Staging and data preparation write into the model and dataset volumes: they must be writable. */
function checkWrites(job: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const trainer = job.trainer;
  const prepares = isPlainObject(trainer) && trainer.type === "instructlab" && trainer.processData !== false;
  for (const role of ["model", "dataset"] as const) {
    const v = job[role];
    if (!isPlainObject(v) || v.accessMode !== "ReadOnlyMany") continue;
    const source = typeof v.source === "string" ? parseSource(v.source, role) : undefined;
    const writer =
      typeof source === "object" && source.kind !== "pvc"
        ? `staging of ${source.kind}:// writes into it`
        : role === "dataset" && prepares
          ? "data preparation writes the processed data into it"
          : undefined;
    if (writer) {
      ctx.addIssue({
        code: "custom",
        path: [role, "accessMode"],
        message: `is ReadOnlyMany, but ${writer}: use ReadWriteMany (or ReadWriteOnce for one node)`,
      });
    }
  }
}

const id = z
  .int({ error: "must be a whole number" })
  .min(0)
  .max(2 ** 31 - 1);

/** A per-job override of the pods' identity, for images that must run as root. */
const securityContextSchema = strictObject({
  runAsUser: id.optional(),
  runAsGroup: id.optional(),
  fsGroup: id.optional(),
  runAsNonRoot: z.boolean({ error: "must be true or false" }).optional(),
}).superRefine(
  (sc, ctx) => {
    if (sc.runAsUser === 0 && sc.runAsNonRoot === true) {
      ctx.addIssue({
        code: "custom",
        path: ["runAsNonRoot"],
        message: "is true, but runAsUser is 0 (root): set runAsNonRoot: false to run as root",
      });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** A job's pod identity override, resolved. */
export type SecurityContextOverride = z.output<typeof securityContextSchema>;

const jobSchema = strictObject({
  image: imageReference,
  nodes: z.int().min(1).max(1000).default(1),
  gpusPerNode: z.int().min(1).max(64).default(1),
  gpuResource: z
    .string()
    .refine(isExtendedResourceName, {
      error: "must be an extended resource name such as nvidia.com/gpu, amd.com/gpu or habana.ai/gaudi",
    })
    .default("nvidia.com/gpu"),
  resources: strictObject({
    cpu: quantity("CPU cores such as 8 or 7500m").optional(),
    memory: quantity("memory such as 64Gi").optional(),
  }).default({}),
  shmSize: quantity("the size of /dev/shm such as 16Gi").optional(),
  env: envSchema.default({}),
  model: inputVolumeSchema("model").optional(),
  dataset: inputVolumeSchema("dataset").optional(),
  output: outputVolumeSchema,
  trainer: trainerSchema,
  scheduling: schedulingSchema.default({ gang: false }),
  runPolicy: runPolicySchema.default({
    cleanPodPolicy: "Running",
    backoffLimit: 3,
    ttlSecondsAfterFinished: DEFAULT_TTL_SECONDS,
  }),
  wait: z.enum(WAIT_MODES, { error: `must be one of ${WAIT_MODES.join(", ")}` }).default("running"),
  timeout: duration.optional(),
  rerun: text().max(1024).optional(),
  labels: z.record(labelKey, labelValue).default({}),
  annotations: z.record(labelKey, text().max(65_536)).default({}),
  securityContext: securityContextSchema.optional(),
}).superRefine(
  (job, ctx) => {
    checkJobMetadata(job, ctx);
    checkWrites(job, ctx);
    const trainer = job.trainer as { type?: unknown } | undefined;
    if (isPlainObject(trainer) && trainer.type === "instructlab") {
      for (const key of ["model", "dataset"] as const) {
        if (job[key] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "is required by trainer type instructlab (existingClaim or size)",
          });
        }
      }
    }
    const nodes = typeof job.nodes === "number" ? job.nodes : 1;
    if (nodes > 1) {
      for (const key of ["model", "dataset", "output"] as const) {
        const v = job[key] as Record<string, unknown> | undefined;
        if (isPlainObject(v) && v.existingClaim === undefined && SINGLE_NODE_MODES.includes(v.accessMode as string)) {
          ctx.addIssue({
            code: "custom",
            path: [key, "accessMode"],
            message: `is ${String(v.accessMode)}, but the job runs on ${nodes} nodes and pods on several nodes cannot attach it: use ${key === "output" ? "ReadWriteMany" : "ReadWriteMany or ReadOnlyMany"}`,
          });
        }
      }
      const out = job.output as Record<string, unknown> | undefined;
      if (isPlainObject(out) && out.accessMode === "ReadOnlyMany") {
        ctx.addIssue({
          code: "custom",
          path: ["output", "accessMode"],
          message: "is ReadOnlyMany, but training writes checkpoints to the output volume: use ReadWriteMany",
        });
      }
    } else {
      const out = job.output as Record<string, unknown> | undefined;
      if (isPlainObject(out) && out.accessMode === "ReadOnlyMany") {
        ctx.addIssue({
          code: "custom",
          path: ["output", "accessMode"],
          message:
            "is ReadOnlyMany, but training writes checkpoints to the output volume: use ReadWriteOnce or ReadWriteMany",
        });
      }
    }
    const resources = job.resources as Record<string, unknown> | undefined;
    if (typeof job.shmSize === "string" && isPlainObject(resources) && typeof resources.memory === "string") {
      const shm = parseQuantity(job.shmSize);
      const memory = parseQuantity(resources.memory);
      if (shm !== undefined && memory !== undefined && shm > memory) {
        ctx.addIssue({
          code: "custom",
          path: ["shmSize"],
          message: `is ${job.shmSize}, more than resources.memory (${resources.memory}): /dev/shm is memory-backed and counts against the memory limit`,
        });
      }
    }
    if (isPlainObject(job.env)) {
      for (const name of Object.keys(job.env)) {
        if (OPERATOR_ENV.includes(name) || name.startsWith("PET_") || PROGRAM_ENV.includes(name)) {
          ctx.addIssue({
            code: "custom",
            path: ["env", name],
            message: PROGRAM_ENV.includes(name)
              ? name === "HF_TOKEN"
                ? "is set by the program from finetune:hfToken; set that secret instead"
                : "is set by the program to the checkpoint directory on the output volume"
              : "is set by the training operator for torchrun and cannot be overridden",
          });
        }
      }
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** A job as validated, before its volumes are resolved. */
type JobInput = z.output<typeof jobSchema>;

/** One fine-tune run: a PyTorchJob and its volumes. */
export interface Job extends Omit<JobInput, "model" | "dataset" | "output" | "timeout"> {
  /** How long `pulumi up` waits (a duration); undefined with `wait: none`. */
  readonly timeout?: string;
  /** The base model, mounted read-only at `/mnt/model`. */
  readonly model?: Volume;
  /** The training data, mounted read-only at `/mnt/dataset`. */
  readonly dataset?: Volume;
  /** Where checkpoints go, mounted read-write at `/mnt/output`. */
  readonly output: Volume;
}

/**
 * The longest name a job may have: the operator names each replica's Service
 * `<job>-master-0` / `<job>-worker-<i>`, and those must be DNS-1035 labels too.
 */
export function maxJobNameLength(nodes: number, suffixes: readonly string[] = []): number {
  const replica = nodes > 1 ? `-worker-${nodes - 2}` : "-master-0";
  return MAX_NAME_LENGTH - Math.max(replica.length, ...suffixes.map((s) => s.length));
}

/** Suffixes of the other objects named after a job (staging and data preparation Jobs). */
export const JOB_SUFFIXES = {
  stageModel: "-stage-model",
  stageDataset: "-stage-dataset",
  prepare: "-prepare",
} as const;

/** The suffixes a raw (not yet validated) job will use, to bound its name. */
function rawJobSuffixes(job: Record<string, unknown>): string[] {
  const suffixes: string[] = [];
  for (const [role, suffix] of [
    ["model", JOB_SUFFIXES.stageModel],
    ["dataset", JOB_SUFFIXES.stageDataset],
  ] as const) {
    const v = job[role];
    if (isPlainObject(v) && typeof v.source === "string" && /^(hf|s3):\/\//.test(v.source)) suffixes.push(suffix);
  }
  const trainer = job.trainer;
  if (isPlainObject(trainer) && trainer.type === "instructlab" && trainer.processData !== false) {
    suffixes.push(JOB_SUFFIXES.prepare);
  }
  return suffixes;
}

const jobsSchema = z.record(z.string(), jobSchema).superRefine(
  (jobs, ctx) => {
    // An empty map is valid: a stack that only installs the training operator for others.
    const names = Object.keys(jobs);
    for (const name of names) {
      if (!DNS1035_LABEL.test(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message:
            "is not a valid job name: use a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, ending with a letter or digit), as the training operator requires",
        });
        continue;
      }
      const job = jobs[name] as unknown;
      if (!isPlainObject(job)) continue;
      const nodes = typeof job.nodes === "number" ? job.nodes : 1;
      const suffixes = rawJobSuffixes(job);
      const max = maxJobNameLength(nodes, suffixes);
      if (name.length > max) {
        const named = [
          `"<name>-${nodes > 1 ? "worker" : "master"}-N" (the operator's pod Services)`,
          ...suffixes.map((s) => `"<name>${s}"`),
        ];
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `job name is ${name.length} characters; at most ${max} fit, since ${named.join(", ")} must stay within 63 characters`,
        });
      }
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

// ---------------------------------------------------------------------------------------------
// The stack

/** Where the training operator's manifests come from. */
export type OperatorSource =
  /** A kustomize overlay fetched by the provider (the upstream default, or a URL). */
  | { readonly kind: "remote"; readonly location: string }
  /** A local multi-document YAML file (an air-gapped copy of the rendered bundle). */
  | { readonly kind: "file"; readonly location: string }
  /** A local kustomize folder. */
  | { readonly kind: "directory"; readonly location: string };

/** The upstream kustomize overlay of kubeflow/trainer at `version`. */
export function upstreamOperatorSource(version: string): string {
  return `https://github.com/kubeflow/trainer.git/manifests/overlays/standalone?ref=${version}`;
}

function isRemote(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^(github\.com|gitlab\.com|git@|git::)/.test(source);
}

function classifySource(source: string): OperatorSource | undefined {
  if (isRemote(source)) return { kind: "remote", location: source };
  try {
    const stat = fs.statSync(source);
    if (stat.isDirectory()) return { kind: "directory", location: source };
    if (stat.isFile()) return { kind: "file", location: source };
  } catch {
    // Not found: reported by the caller.
  }
  return undefined;
}

const operatorSchema = strictObject({
  install: z.boolean({ error: "must be true or false" }).default(true),
  version: z
    .string()
    .regex(/^v1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, {
      error: `must be a v1 release tag of kubeflow/trainer such as ${DEFAULT_OPERATOR_VERSION} (PyTorchJob kubeflow.org/v1 is served by the v1 line only)`,
    })
    .default(DEFAULT_OPERATOR_VERSION),
  source: text()
    .min(1)
    .refine((s) => classifySource(s) !== undefined, {
      error:
        "is neither a URL nor an existing local file or folder (give a kustomize URL, a rendered YAML file, or a kustomize folder)",
    })
    .optional(),
});

const stackSchema = strictObject({
  namespace: z
    .string()
    .max(63, { error: "must be at most 63 characters (a DNS-1123 label)" })
    .regex(DNS1123_LABEL, {
      error: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    })
    .refine((ns) => !RESERVED_NAMESPACES.includes(ns), {
      error: `must be a namespace the program can create and own, not one of ${RESERVED_NAMESPACES.join(", ")}`,
    }),
  cluster: strictObject({
    context: text().min(1).optional(),
    kubeconfig: text().min(1).optional(),
    skipAwait: z.boolean({ error: "must be true or false" }).optional(),
  }).default({}),
  trainingOperator: operatorSchema.default({ install: true, version: DEFAULT_OPERATOR_VERSION }),
  // Secret keys: only their presence is known here. Their values stay secret Outputs and are
  // checked inside `apply` (see SECRET_RULES).
  hfToken: z.string().optional(),
  s3AccessKeyId: z.string().optional(),
  s3SecretAccessKey: z.string().optional(),
  imagePullSecrets: z.string().optional(),
  networkPolicy: z.boolean({ error: "must be true or false" }).default(false),
  staging: strictObject({
    hfImage: imageReference.optional(),
    s3Image: imageReference.default(DEFAULT_S3_IMAGE),
    timeout: duration.default("2h"),
  }).default({ s3Image: DEFAULT_S3_IMAGE, timeout: "2h" }),
  jobs: jobsSchema,
}).superRefine(
  (stack, ctx) => {
    const op = stack.trainingOperator as Record<string, unknown> | undefined;
    const install = !isPlainObject(op) || op.install !== false;
    if ((stack.s3AccessKeyId === undefined) !== (stack.s3SecretAccessKey === undefined)) {
      const missing = stack.s3AccessKeyId === undefined ? "s3AccessKeyId" : "s3SecretAccessKey";
      ctx.addIssue({
        code: "custom",
        path: [missing],
        message:
          "is required with the other S3 credential: set both s3AccessKeyId and s3SecretAccessKey (as secrets), or neither",
      });
    }
    if (install && stack.namespace === "kubeflow") {
      ctx.addIssue({
        code: "custom",
        path: ["namespace"],
        message:
          "is kubeflow, which the training operator install owns: pick another namespace for the jobs, or set trainingOperator.install: false",
      });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

type StackInput = z.output<typeof stackSchema>;

/** S3 credentials, as secret Outputs. */
export interface S3Credentials {
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;
}

/** How staging Jobs fetch sources. */
export interface StagingConfig {
  /** Image with `huggingface_hub` for hf:// sources; the job's own image when unset. */
  readonly hfImage?: string;
  /** Image with the AWS CLI for s3:// sources. */
  readonly s3Image: string;
  /** How long `pulumi up` waits for a staging Job to complete. */
  readonly timeout: string;
}

/** The validated, defaulted stack config: what the components are built from. */
export interface Config {
  /** Namespace of the jobs; the program creates it. */
  readonly namespace: string;
  /** The cluster the stack deploys to. */
  readonly cluster: StackInput["cluster"];
  /** The Kubeflow Training Operator install. */
  readonly trainingOperator: {
    readonly install: boolean;
    readonly version: string;
    readonly source: OperatorSource;
  };
  /** The Hugging Face token, a secret Output; undefined when not configured. */
  readonly hfToken?: pulumi.Output<string>;
  /** S3 credentials for s3:// sources, secret Outputs; undefined when not configured. */
  readonly s3Credentials?: S3Credentials;
  /** How staging Jobs fetch model and dataset sources. */
  readonly staging: StagingConfig;
  /** Registry credentials (a Docker config.json), a secret Output; undefined when not configured. */
  readonly imagePullSecrets?: pulumi.Output<string>;
  /** Whether NetworkPolicies confine the jobs' traffic. */
  readonly networkPolicy: boolean;
  /** Things worth a warning that are not errors (an image tag that can move, say). */
  readonly warnings: readonly string[];
  /** Jobs by name. */
  readonly jobs: Readonly<Record<string, Job>>;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Bad stack config: every problem, each `finetune:<key path>: <what is wrong>`. A `RunError`, so
 * the Pulumi CLI prints the message without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** A key as it is shown in a path: as written when plain, else quoted and cut short. */
function showKey(segment: string): string {
  if (/^[A-Za-z0-9_./-]{1,253}$/.test(segment)) return segment;
  const shown = segment.length > 40 ? `${segment.slice(0, 40)}...` : segment;
  return `[${JSON.stringify(shown)}]`;
}

function keyPath(path: readonly PropertyKey[]): string {
  let out = `${CONFIG_NAMESPACE}:`;
  path.forEach((segment, i) => {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const shown = showKey(String(segment));
      out += (i === 0 || shown.startsWith("[") ? "" : ".") + shown;
    }
  });
  return out;
}

/** How an expected type is named in messages. */
const EXPECTED_NAMES: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  record: "a map of keys to values",
  object: "a map of keys to values",
  array: "a list",
};

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const here = keyPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      let perKey: [string, string][];
      try {
        perKey = JSON.parse(issue.message);
      } catch {
        perKey = issue.keys.map((k) => [k, "unknown key"]);
      }
      return perKey.map(([key, msg]) => `${keyPath([...issue.path, key])}: ${msg}`);
    }
    case "invalid_type": {
      const expected = EXPECTED_NAMES[issue.expected] ?? `a ${issue.expected}`;
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      if (received === "undefined") return [`${here}: is required (${expected})`];
      return [`${here}: must be ${expected}${received ? `, got ${received}` : ""}`];
    }
    case "invalid_key":
      // A record key that fails its schema: the key schema's own message says what is valid.
      return issue.issues.flatMap((inner) => [`${here}: ${inner.message}`]);
    case "invalid_union":
      // A discriminated union reports a bad `type` on the path of `type` itself.
      return [`${here}: ${issue.message.replace(/^type /, "")}`];
    case "too_small":
    case "too_big": {
      if (!/^Too (small|big)/.test(issue.message)) return [`${here}: ${issue.message}`];
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const word =
        issue.code === "too_small" ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
      if (issue.origin === "array") return [`${here}: must have ${word} ${bound} item(s)`];
      if (issue.origin === "string") return [`${here}: must be ${word} ${bound} character(s) long`];
      return [`${here}: must be ${word} ${bound}`];
    }
    default:
      return [`${here}: ${issue.message.replace(/^Invalid input: /, "")}`];
  }
}

/** Turns zod issues into one line per problem, each naming its stack key path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap(describeIssue);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Validates raw stack config (keys without the `finetune:` prefix, values as the engine passes
 * them after JSON decoding) and returns the typed config without its secrets.
 * `secretKeys` are the keys stored as secrets; only `SECRET_KEYS` may be, and those must be.
 * Throws `ConfigError` listing every problem.
 */
export function parseConfig(
  raw: Readonly<Record<string, unknown>>,
  secretKeys: ReadonlySet<string>,
): Omit<Config, "hfToken" | "s3Credentials" | "imagePullSecrets"> & {
  readonly hasHfToken: boolean;
  readonly hasS3Credentials: boolean;
  readonly hasImagePullSecrets: boolean;
} {
  const problems: string[] = [];
  for (const key of secretKeys) {
    if (!(SECRET_KEYS as readonly string[]).includes(key)) {
      problems.push(
        `${keyPath([key])}: is stored as a secret, but only ${SECRET_KEYS.map((k) => keyPath([k])).join(", ")} may hold secrets; the program would have to read it as plain config and the secret would leak`,
      );
    }
  }
  for (const key of SECRET_KEYS) {
    if (raw[key] !== undefined && !secretKeys.has(key)) {
      problems.push(`${keyPath([key])}: must be stored as a secret: pulumi config set --secret ${key} <value>`);
    }
  }
  const result = stackSchema.safeParse(raw);
  if (!result.success) problems.push(...formatIssues(result.error.issues));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const stack = result.data;
  const jobs: Record<string, Job> = {};
  for (const [name, job] of Object.entries(stack.jobs)) {
    jobs[name] = {
      ...job,
      timeout: job.wait === "none" ? undefined : (job.timeout ?? DEFAULT_TIMEOUTS[job.wait]),
      model: job.model && resolveInputVolume(job.model, "model", job.nodes),
      dataset: job.dataset && resolveInputVolume(job.dataset, "dataset", job.nodes),
      output: resolveOutputVolume(job.output, job.nodes),
    };
  }
  const op = stack.trainingOperator;
  const source = classifySource(op.source ?? upstreamOperatorSource(op.version)) as OperatorSource;
  return {
    namespace: stack.namespace,
    cluster: stack.cluster,
    trainingOperator: { install: op.install, version: op.version, source },
    hasHfToken: stack.hfToken !== undefined,
    hasS3Credentials: stack.s3AccessKeyId !== undefined,
    hasImagePullSecrets: stack.imagePullSecrets !== undefined,
    networkPolicy: stack.networkPolicy,
    warnings: Object.entries(stack.jobs).flatMap(([name, job]) => imageWarnings(name, job.image)),
    staging: stack.staging,
    jobs,
  };
}

/**
 * A warning for an image whose tag can move (`latest`, or no tag at all) and that is not pinned by
 * digest: the same config could run different code tomorrow.
 */
export function imageWarnings(job: string, image: string): string[] {
  if (image.includes("@")) return [];
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
  if (tag !== undefined && tag !== "latest") return [];
  return [
    `${keyPath(["jobs", job, "image"])}: ${JSON.stringify(image)} ${tag === undefined ? "has no tag" : "uses the tag latest"}, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code`,
  ];
}

/**
 * Decodes config values as the engine hands them over: objects and arrays arrive as JSON text,
 * everything else as plain strings. Values that look like JSON but are not become problems.
 * The value of a key in `secretKeys` is never read: it is replaced with `SECRET_MARKER`.
 */
export function decodeConfigValues(
  all: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string> = new Set(),
): {
  values: Record<string, unknown>;
  problems: string[];
} {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const fullKey of Object.keys(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (key === "__proto__") {
      problems.push(`${keyPath([key])}: "__proto__" is not allowed as a key`);
      continue;
    }
    if (secretKeys.has(key)) {
      values[key] = SECRET_MARKER;
      continue;
    }
    const value = all[fullKey];
    if (TOP_LEVEL_BOOLEANS.includes(key) && (value === "true" || value === "false")) {
      // The engine passes top-level scalars as text, as `pulumi config set` stores them.
      values[key] = value === "true";
    } else if (/^\s*[[{]/.test(value)) {
      try {
        const parsed: unknown = JSON.parse(value);
        problems.push(...prototypeKeys(parsed, [key]));
        values[key] = parsed;
      } catch {
        problems.push(`${keyPath([key])}: is not valid structured config (JSON or YAML map/list)`);
      }
    } else {
      values[key] = value;
    }
  }
  return { values, problems };
}

/**
 * Problems for every `__proto__` key in a decoded value: JSON.parse keeps it as an own key, but
 * most code would treat it as the object's prototype, so it is refused outright.
 */
function prototypeKeys(value: unknown, path: PropertyKey[]): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prototypeKeys(v, [...path, i]));
  if (typeof value !== "object" || value === null) return [];
  return Object.keys(value).flatMap((k) =>
    k === "__proto__"
      ? [`${keyPath([...path, k])}: "__proto__" is not allowed as a key`]
      : prototypeKeys((value as Record<string, unknown>)[k], [...path, k]),
  );
}

/** Top-level keys holding a boolean, which the engine passes as "true" or "false". */
const TOP_LEVEL_BOOLEANS = ["networkPolicy"];

/**
 * A secret config value as a secret Output, checked inside `apply`. A bad value is reported as an
 * error diagnostic naming the key (never the value): secret config is known during preview, so
 * `pulumi preview`, and the preview that `pulumi up` starts with, fail before anything is changed.
 */
function checkedSecret(config: pulumi.Config, key: (typeof SECRET_KEYS)[number]): pulumi.Output<string> {
  return config.requireSecret(key).apply((value) => {
    const problem = SECRET_RULES[key](value);
    if (problem !== undefined) pulumi.log.error(`${keyPath([key])}: ${problem}`);
    return value;
  });
}

/**
 * Decodes and validates the engine's config map (`finetune:key` to text) in one step, reporting
 * decoding and validation problems together. Pure: `loadConfig` adds the runtime around it.
 */
export function parseStackConfig(
  all: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string>,
): ReturnType<typeof parseConfig> {
  const { values, problems } = decodeConfigValues(all, secretKeys);
  try {
    const parsed = parseConfig(values, secretKeys);
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed;
  } catch (e) {
    if (e instanceof ConfigError && problems.length > 0 && e.problems !== problems) {
      throw new ConfigError([...problems, ...e.problems]);
    }
    throw e;
  }
}

/**
 * Reads the stack's config from the Pulumi runtime, validates it, and returns the typed config.
 * Secrets are read only with `getSecret`, so they stay secret Outputs.
 */
export function loadConfig(): Config {
  const all = pulumi.runtime.allConfig();
  const secretKeys = new Set(
    Object.keys(all)
      .filter(
        (k) =>
          k.startsWith(`${CONFIG_NAMESPACE}:`) &&
          (runtimeConfig as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret(k),
      )
      .map((k) => k.slice(CONFIG_NAMESPACE.length + 1)),
  );
  const parsed = parseStackConfig(all, secretKeys);
  const { hasHfToken, hasS3Credentials, hasImagePullSecrets, ...config } = parsed;
  const secrets = new pulumi.Config(CONFIG_NAMESPACE);
  return {
    ...config,
    ...(hasHfToken ? { hfToken: checkedSecret(secrets, "hfToken") } : {}),
    ...(hasImagePullSecrets ? { imagePullSecrets: checkedSecret(secrets, "imagePullSecrets") } : {}),
    ...(hasS3Credentials
      ? {
          s3Credentials: {
            accessKeyId: checkedSecret(secrets, "s3AccessKeyId"),
            secretAccessKey: checkedSecret(secrets, "s3SecretAccessKey"),
          },
        }
      : {}),
  };
}
