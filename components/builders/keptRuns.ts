// Whether a training job the cluster holds keeps the spec it was created with. A PyTorchJob's or
// TrainJob's spec is its run: any change to it replaces the job, and the new job trains from the
// start. A new release of the program may write the same config differently (a new default, a
// fix), and that must not restart a run. So each training job records, in its annotations, a digest
// of what the user's config said of it (`finetune/run-config`) and of the spec the program wrote
// (`finetune/run-spec`). A job the cluster holds, created by this stack, whose recorded config is
// the config now, keeps its spec (its resource ignores changes to it): the new way of writing it
// applies at the run's next run. Any change to the job's config (its `rerun`, its sources, any of
// its keys) is a new run, as before. A job written by a release that recorded nothing (0.1.0) is
// kept too, and a warning says what that means.
import { createHash } from "node:crypto";
import type { Generation } from "./backend";
import type { ClusterObject } from "./ownership";
import { ownerOf } from "./ownership";

/** The annotations of a training job that record what it was made from. */
export const RUN_RECORD = { config: "finetune/run-config", spec: "finetune/run-spec" } as const;

/** What the user's config says of one run: the inputs of its training job's spec. */
export interface RunConfigInputs {
  /** The job's config as written (`jobs.<job>`, its text read as the schema types it). */
  readonly job: unknown;
  /** The stack's `queue`, which a job without its own takes. */
  readonly queue?: unknown;
  /**
   * The operator generation (1, 2), not its release: moving `trainingOperator.version` to another
   * release of the same generation is no new run.
   */
  readonly generation: Generation;
  /** Whether the stack has a Hugging Face token (the pods read it) and registry credentials. */
  readonly hfToken: boolean;
  readonly imagePullSecrets: boolean;
}

/** The same JSON for equal values, whatever the order of their keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function digest(value: unknown): string {
  return createHash("sha256").update(canonical(value)).digest("hex").slice(0, 32);
}

/** The digest of what the user's config says of a run (no secret is part of it). */
export function runConfigRecord(inputs: RunConfigInputs): string {
  return digest({
    job: inputs.job,
    queue: inputs.queue ?? null,
    generation: inputs.generation,
    hfToken: inputs.hfToken,
    imagePullSecrets: inputs.imagePullSecrets,
  });
}

/** The digest of a training job's spec as the program writes it. */
export function runSpecRecord(spec: unknown): string {
  return digest(spec);
}

/** A held training job that keeps its spec: recorded (with the digest of its spec, when known), or made before records. */
export type KeptRun = { readonly kind: "recorded"; readonly spec?: string } | { readonly kind: "unrecorded" };

/**
 * Whether the training job the cluster holds under a run's name (if any) keeps its spec: held,
 * created by this stack (`owner`), not being deleted, and either recorded with the run's config
 * record `config`, or recorded nothing.
 */
export function keptRun(held: ClusterObject | undefined, config: string, owner: string): KeptRun | undefined {
  if (held === undefined || ownerOf(held) !== owner || held.metadata?.deletionTimestamp !== undefined) return undefined;
  const annotations = held.metadata?.annotations ?? {};
  const recorded = annotations[RUN_RECORD.config];
  if (recorded === undefined) return { kind: "unrecorded" };
  if (recorded !== config) return undefined;
  const spec = annotations[RUN_RECORD.spec];
  return { kind: "recorded", ...(spec !== undefined ? { spec } : {}) };
}

/**
 * The record annotations a run's training job is written with: its config's, and its spec's (the
 * kept job's own, which the spec it keeps has; none for a job made before records).
 */
export function recordAnnotations(config: string, spec: string, kept: KeptRun | undefined): Record<string, string> {
  if (kept === undefined) return { [RUN_RECORD.config]: config, [RUN_RECORD.spec]: spec };
  if (kept.kind === "unrecorded" || kept.spec === undefined) return { [RUN_RECORD.config]: config };
  return { [RUN_RECORD.config]: config, [RUN_RECORD.spec]: kept.spec };
}

/**
 * What the user is told of a kept run (`key` its config key, `job` its `Kind namespace/name`), when
 * anything: that it was made before records, or that this release writes its spec differently
 * (`spec`, the digest of the spec the program writes now).
 */
export function keptRunWarning(key: string, job: string, kept: KeptRun | undefined, spec: string): string | undefined {
  if (kept === undefined) return undefined;
  if (kept.kind === "unrecorded") {
    return (
      `${key}: ${job} was created by a release of the program that recorded nothing of the config it was made from (0.1.0 or earlier): ` +
      "it is kept as it runs, and this update leaves its spec as it is. What a newer release writes differently applies at its next run; " +
      `if you changed ${key} in this update, set ${key}.rerun to a new value to run it with the change.`
    );
  }
  if (kept.spec === undefined || kept.spec === spec) return undefined;
  return (
    `${key}: ${job} is kept as it runs: this release writes its spec differently (see the CHANGELOG), ` +
    `and that applies at its next run (a change of ${key}, or a new ${key}.rerun).`
  );
}
