// What the training containers run: the InstructLab training library with its hyperparameters,
// or the user's own argv (never a shell with -c).
import { z } from "zod";
import { strictObject, text } from "./base";

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
  // Saves a full checkpoint when the pod is told to stop (preemption, eviction) and resumes from it
  // (instructlab/training's on-demand checkpointing). A run created before it was the default keeps
  // its spec until its next rerun (builders/keptRuns.ts).
  onDemandCheckpointing: z.boolean({ error: "must be true or false" }).default(true),
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

/** `jobs.<name>.trainer`, chosen by its `type`. */
export const trainerSchema = z.discriminatedUnion("type", [instructlabSchema, commandSchema], {
  error: (iss) => (iss.code === "invalid_union" ? "type must be one of: instructlab, command" : undefined),
});

/** The InstructLab training library's distributed entry point and its hyperparameters. */
export type InstructLabTrainer = z.output<typeof instructlabSchema>;
/** The user's own argv. */
export type CommandTrainer = z.output<typeof commandSchema>;
/** What the training containers run. */
export type Trainer = InstructLabTrainer | CommandTrainer;
