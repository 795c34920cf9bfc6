// Helpers to run the program under mocks from a stack written as a plain object.
import { type ProgramRun, type RecordedResource, runProgram, type StackConfig } from "../../tools/mockRun";

/** Turns `{ namespace: "ml", jobs: {...} }` into the engine's `finetune:` config map. */
export function toStackConfig(stack: Record<string, unknown>): StackConfig {
  const config: StackConfig = {};
  for (const [key, value] of Object.entries(stack)) {
    config[`finetune:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** Runs the program on `stack`; `secrets` are keys stored as secrets. */
export function runStack(stack: Record<string, unknown>, secrets: string[] = []): Promise<ProgramRun> {
  return runProgram(
    toStackConfig(stack),
    secrets.map((k) => `finetune:${k}`),
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
