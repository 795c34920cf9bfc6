// Helpers to run the program under mocks from a stack written as a plain object.
import {
  type ProgramRun,
  type RecordedResource,
  type RunOptions,
  runProgram,
  type StackConfig,
} from "../../tools/mockRun";

/** Turns `{ namespace: "ml", jobs: {...} }` into the engine's `finetune:` config map. */
export function toStackConfig(stack: Record<string, unknown>): StackConfig {
  const config: StackConfig = {};
  for (const [key, value] of Object.entries(stack)) {
    config[`finetune:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** Runs the program on `stack`; `secrets` are keys stored as secrets. */
export function runStack(
  stack: Record<string, unknown>,
  secrets: string[] = [],
  options: RunOptions = {},
): Promise<ProgramRun> {
  return runProgram(
    toStackConfig(stack),
    secrets.map((k) => `finetune:${k}`),
    options,
  );
}

/**
 * What `pulumi preview` would plan between two runs of the program, per resource
 * (`type name`): `create`, `delete`, `replace` (an input changed under one of the resource's
 * `replaceOnChanges` paths), `update` (any other input changed) or `same`. Follows the engine's
 * rules for `replaceOnChanges` and `ignoreChanges`, on the program's inputs.
 */
export function plan(before: ProgramRun, after: ProgramRun): Record<string, string> {
  const key = (r: RecordedResource) => `${r.type} ${r.name}`;
  const old = new Map(before.resources.map((r) => [key(r), r]));
  const result: Record<string, string> = {};
  for (const r of after.resources) {
    const prev = old.get(key(r));
    old.delete(key(r));
    if (!prev) {
      result[key(r)] = "create";
      continue;
    }
    const under = (p: string, paths: readonly string[] | undefined) =>
      (paths ?? []).some((rp) => p === rp || p.startsWith(`${rp}.`));
    // The engine keeps the old value of an ignored path.
    const changed = changedPaths(prev.inputs, r.inputs).filter((p) => !under(p, r.options.ignoreChanges));
    if (changed.length === 0) result[key(r)] = "same";
    else if (changed.some((p) => under(p, r.options.replaceOnChanges))) result[key(r)] = "replace";
    else result[key(r)] = "update";
  }
  for (const k of old.keys()) result[k] = "delete";
  return result;
}

/** Dotted paths where two JSON values differ. */
export function changedPaths(a: unknown, b: unknown, path = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (
    typeof a !== "object" ||
    typeof b !== "object" ||
    a === null ||
    b === null ||
    Array.isArray(a) ||
    Array.isArray(b)
  ) {
    return [path];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
  );
}

/** The one resource of `type` named `name`; fails when there is not exactly one. */
export function one(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} ${name}, found ${found.length}; have: ${summary(run).join(", ")}`);
  }
  return found[0];
}

/** `type name` of every resource, in registration order. */
export function summary(run: ProgramRun): string[] {
  return run.resources.map((r) => `${r.type} ${r.name}`);
}

/** A minimal valid job, with overrides. */
export function commandJob(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: "quay.io/acme/trainer:1.0",
    output: { size: "100Gi" },
    trainer: { type: "command", command: ["torchrun", "train.py"] },
    ...extra,
  };
}

/** Type tokens used in assertions. */
export const T = {
  provider: "pulumi:providers:kubernetes",
  jobNamespace: "finetune:index:JobNamespace",
  operator: "finetune:index:TrainingOperator",
  fineTuneJob: "finetune:index:FineTuneJob",
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  pytorchJob: "kubernetes:kubeflow.org/v1:PyTorchJob",
  directory: "kubernetes:kustomize/v2:Directory",
  configGroup: "kubernetes:yaml:ConfigGroup",
} as const;

/** The annotation every object of a test stack carries: the stack that created it (builders/ownership.ts). */
export const OWNED = { "finetune/stack": "organization/finetune/test" } as const;

/**
 * Annotations without a training job's run record, whose digests test/keptRuns.test.ts checks
 * (builders/keptRuns.ts); every other annotation as it is.
 */
export function withoutRecord(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (annotations === undefined) return undefined;
  const { "finetune/run-config": _config, "finetune/run-spec": _spec, ...rest } = annotations;
  return rest;
}
