// The one place stack config is read and validated. Stack config (namespace `finetune:`) goes
// in; a typed, defaulted `Config` comes out, or a `ConfigError` that lists every mistake at once,
// each with its key path. No component reads `pulumi.Config` itself. The keys' schema is one
// module per concern in ../schema (base, volumes, trainer, scheduling, job, queue, queues, secrets,
// runtimes, errors); here, the stack assembled from it and from the backend the stack targets
// (stack), the operator install (operator), warnings, and load (the runtime around them).

export { maxJobNameLength } from "../builders/v1/rules";
export { CONFIG_NAMESPACE, durationSeconds } from "../schema/base";
export { ConfigError, formatIssues, keyPath, withoutFrames } from "../schema/errors";
export {
  DEFAULT_TIMEOUTS,
  JOB_SUFFIXES,
  type Job,
  MAX_USER_ANNOTATION_BYTES,
  type RuntimeRef,
  type SecurityContextOverride,
  WAIT_MODES,
  type WaitMode,
} from "../schema/job";
export { KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL } from "../schema/queue";
export { MAX_QUEUE_OBJECTS, type QueuesConfig } from "../schema/queues";
export type { RunPolicy, Scheduling } from "../schema/scheduling";
export { SECRET_KEYS, SECRET_MARKER, SECRET_RULES } from "../schema/secrets";
export {
  DEFAULT_S3_IMAGE,
  DEFAULT_STAGING_RESOURCES,
  type StagingConfig,
  type StagingResources,
} from "../schema/staging";
export type { CommandTrainer, InstructLabTrainer, Trainer } from "../schema/trainer";
export { ACCESS_MODES, type ExistingVolume, type NewVolume, type Volume } from "../schema/volumes";
export { decodeConfigValues, loadConfig, parseStackConfig, verifyConfigSecrets } from "./load";
export {
  DEFAULT_OPERATOR_VERSION,
  type OperatorConfig,
  type OperatorSource,
  upstreamOperatorSource,
  upstreamRuntimesSource,
} from "./operator";
export { type Config, MAX_JOBS, parseConfig, type S3Credentials } from "./stack";
export { imageWarnings } from "./warnings";
