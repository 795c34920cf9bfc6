// One fine-tune job: its image, nodes and GPUs, volumes, trainer, scheduling, run policy, waits
// and metadata, with the rules that tie those keys together; and the map of jobs by name.
import { z } from "zod";
import { FETCHED_SCHEMES, kindOf, parseSource } from "../sources";
import { DNS1035_LABEL, ENV_VAR_NAME, isExtendedResourceName, parseQuantity } from "../validation";
import {
  dns1123Subdomain,
  duration,
  imageReference,
  isPlainObject,
  labelKey,
  labelValue,
  quantity,
  strictObject,
  text,
} from "./base";
import { queueName, workloadPriorityClassName } from "./queue";
import { runPolicySchema, schedulingSchema } from "./scheduling";
import { trainerSchema } from "./trainer";
import { inputVolumeSchema, outputVolumeSchema, SINGLE_NODE_MODES, type Volume } from "./volumes";

/** Environment variables the training operator sets itself; a job may not override them. */
const OPERATOR_ENV = ["MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK"];

/** Environment variables this program sets itself. */
const PROGRAM_ENV = ["HF_TOKEN", "CHECKPOINT_DIR"];

const envSchema = z.record(
  z.string().regex(ENV_VAR_NAME, { error: "must be an environment variable name (letters, digits, '_', '-', '.')" }),
  text(),
);

/** Kinds of Trainer v2 runtimes a TrainJob can name. */
export const RUNTIME_KINDS = ["ClusterTrainingRuntime", "TrainingRuntime"] as const;

/** The Trainer v2 runtime of a TrainJob. */
export interface RuntimeRef {
  readonly name: string;
  readonly kind: (typeof RUNTIME_KINDS)[number];
}

/** How long `pulumi up` waits for a job, by wait mode, when `timeout` is unset. */
export const WAIT_MODES = ["none", "admitted", "running", "succeeded"] as const;

/** What `pulumi up` waits for. */
export type WaitMode = (typeof WAIT_MODES)[number];

/** Default wait timeouts: long enough to pull a large image and get GPUs, or to train. */
export const DEFAULT_TIMEOUTS: Readonly<Record<WaitMode, string | undefined>> = {
  none: undefined,
  admitted: "1h",
  running: "1h",
  succeeded: "24h",
};

/** The API server's limit on an object's annotations, keys and values together. */
const ANNOTATION_LIMIT_BYTES = 256 * 1024;

/** Kept for the annotations the program and the provider add (waits, owner, run fingerprints). */
const ANNOTATION_RESERVE_BYTES = 8 * 1024;

/** What a job's own annotations may take. */
export const MAX_USER_ANNOTATION_BYTES = ANNOTATION_LIMIT_BYTES - ANNOTATION_RESERVE_BYTES;

/** Label and annotation prefixes the program sets itself; user metadata may not use them. */
const RESERVED_METADATA_PREFIXES = ["app.kubernetes.io/", "pulumi.com/", "finetune/"];

function checkJobMetadata(job: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const annotations = job.annotations;
  if (isPlainObject(annotations)) {
    const size = Object.entries(annotations).reduce(
      (sum, [k, v]) => sum + Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0),
      0,
    );
    if (size > MAX_USER_ANNOTATION_BYTES) {
      ctx.addIssue({
        code: "custom",
        path: ["annotations"],
        message: `take ${size} bytes (keys and values), more than the ${MAX_USER_ANNOTATION_BYTES} left to them: the API server refuses an object whose annotations pass 256 KiB, and the program adds its own (${ANNOTATION_RESERVE_BYTES} bytes are kept for them); move large values to a ConfigMap or the image`,
      });
    }
  }
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

/** What writes into a job's model or dataset volume before training (staging, data preparation), if anything. */
function writerOf(job: Record<string, unknown>, role: "model" | "dataset"): string | undefined {
  const v = job[role];
  if (!isPlainObject(v)) return undefined;
  const trainer = job.trainer;
  const prepares = isPlainObject(trainer) && trainer.type === "instructlab" && trainer.processData !== false;
  const source = typeof v.source === "string" ? parseSource(v.source, role) : undefined;
  if (typeof source === "object" && kindOf(source).fetch !== undefined)
    return `staging of ${source.kind}:// writes into it`;
  return role === "dataset" && prepares ? "data preparation writes the processed data into it" : undefined;
}

/** Staging and data preparation write into the model and dataset volumes: they must be writable. */
function checkWrites(job: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const role of ["model", "dataset"] as const) {
    const v = job[role];
    if (!isPlainObject(v) || v.accessMode !== "ReadOnlyMany") continue;
    const writer = writerOf(job, role);
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
    if (sc.runAsNonRoot === false && sc.runAsUser === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["runAsNonRoot"],
        message:
          "is false without runAsUser, which says nothing about the user: set runAsUser: 0 as well to run as root (and group and fsGroup 0 unless set), or remove runAsNonRoot to run as user 1000",
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
  // `prefault`: an absent object is parsed as `{}`, so each key gets its own default, once.
  scheduling: schedulingSchema.prefault({}),
  runPolicy: runPolicySchema.prefault({}),
  // Seconds a training pod has between SIGTERM and SIGKILL (to save a checkpoint when preempted);
  // unset: 300 with the InstructLab trainer's onDemandCheckpointing, else Kubernetes' 30.
  terminationGracePeriodSeconds: z.int().min(0).max(86_400).optional(),
  wait: z.enum(WAIT_MODES, { error: `must be one of ${WAIT_MODES.join(", ")}` }).default("running"),
  timeout: duration.optional(),
  rerun: text().max(1024).optional(),
  labels: z.record(labelKey, labelValue).default({}),
  annotations: z.record(labelKey, text().max(65_536)).default({}),
  securityContext: securityContextSchema.optional(),
  // Trainer v2 only (see generation.ts): the runtime that runs the TrainJob.
  runtime: dns1123Subdomain("a ClusterTrainingRuntime or TrainingRuntime name").optional(),
  runtimeKind: z.enum(RUNTIME_KINDS, { error: `must be ${RUNTIME_KINDS.join(" or ")}` }).optional(),
  // Kueue (see queue.ts): the LocalQueue the job is submitted to; finetune:queue when unset.
  queue: queueName.optional(),
  workloadPriorityClass: workloadPriorityClassName.optional(),
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
            message: `is ${String(v.accessMode)}, but the job runs on ${nodes} nodes and pods on several nodes cannot attach it: use ${key === "output" || writerOf(job, key) !== undefined ? "ReadWriteMany" : "ReadWriteMany or ReadOnlyMany"}`,
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

/** One fine-tune run: its training job (a PyTorchJob or a TrainJob) and its volumes. */
export interface Job extends Omit<JobInput, "model" | "dataset" | "output" | "timeout" | "runtime" | "runtimeKind"> {
  /** How long `pulumi up` waits (a duration); undefined with `wait: none`. */
  readonly timeout?: string;
  /** The base model, mounted read-only at `/mnt/model`. */
  readonly model?: Volume;
  /** The training data, mounted read-only at `/mnt/dataset`. */
  readonly dataset?: Volume;
  /** Where checkpoints go, mounted read-write at `/mnt/output`. */
  readonly output: Volume;
  /**
   * The runtime that runs the TrainJob, with Kubeflow Trainer v2.
   * @default undefined with the training operator v1; `torch-distributed` (a ClusterTrainingRuntime) with v2
   */
  readonly runtime?: RuntimeRef;
}

/**
 * How the backend a stack targets bounds a job's name: its operator names pods (or their Services)
 * after the job, and so does the program its staging and preparation Jobs (`suffixes`). The
 * problem with `name`, without its key, or undefined when it fits.
 */
export type JobNameRule = (name: string, nodes: number, suffixes: readonly string[]) => string | undefined;

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
    if (
      isPlainObject(v) &&
      typeof v.source === "string" &&
      FETCHED_SCHEMES.some((s) => (v.source as string).startsWith(`${s}://`))
    )
      suffixes.push(suffix);
  }
  const trainer = job.trainer;
  if (isPlainObject(trainer) && trainer.type === "instructlab" && trainer.processData !== false) {
    suffixes.push(JOB_SUFFIXES.prepare);
  }
  return suffixes;
}

/**
 * `jobs`: the jobs by name, each name a DNS-1035 label short enough for the objects named after it,
 * as `nameRule` (the targeted backend's) bounds it.
 */
export function jobsSchemaWith(nameRule: JobNameRule) {
  return z.record(z.string(), jobSchema).superRefine(
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
        const problem = nameRule(name, nodes, suffixes);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: [name], message: problem });
      }
    },
    { when: (payload) => isPlainObject(payload.value) },
  );
}
