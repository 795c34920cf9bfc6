// The one place stack config is read and validated. Stack config (namespace `finetune:`) goes
// in; a typed, defaulted `Config` comes out, or a `ConfigError` that lists every mistake at once,
// each with its key path. No component reads `pulumi.Config` itself. One module per concern:
// base (shared shapes), volumes, trainer, scheduling, job, queue, operator, secrets, stack,
// errors, and load (the runtime around them).
export { CONFIG_NAMESPACE, durationSeconds } from "./base";
export { ConfigError, formatIssues, keyPath, withoutFrames } from "./errors";
export {
  DEFAULT_TIMEOUTS,
  JOB_SUFFIXES,
  type Job,
  MAX_USER_ANNOTATION_BYTES,
  maxJobNameLength,
  type RuntimeRef,
  type SecurityContextOverride,
  WAIT_MODES,
  type WaitMode,
} from "./job";
export { decodeConfigValues, loadConfig, parseStackConfig, verifyConfigSecrets } from "./load";
export {
  DEFAULT_OPERATOR_VERSION,
  type OperatorConfig,
  type OperatorSource,
  upstreamOperatorSource,
  upstreamRuntimesSource,
} from "./operator";
export { KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL } from "./queue";
export { MAX_QUEUE_OBJECTS, type QueuesConfig } from "./queues";
export type { RunPolicy, Scheduling } from "./scheduling";
export { SECRET_KEYS, SECRET_MARKER, SECRET_RULES } from "./secrets";
export {
  type Config,
  DEFAULT_S3_IMAGE,
  MAX_JOBS,
  parseConfig,
  type S3Credentials,
  type StagingConfig,
} from "./stack";
export type { CommandTrainer, InstructLabTrainer, Trainer } from "./trainer";
export { ACCESS_MODES, type ExistingVolume, type NewVolume, type Volume } from "./volumes";
export { imageWarnings } from "./warnings";
