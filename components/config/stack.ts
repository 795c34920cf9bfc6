// The whole stack's config: namespace, cluster, operator, credentials, staging and jobs,
// validated together, and the typed `Config` the components are built from.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { Generation } from "../builders/backend";
import { backendOf } from "../builders/backends";
import { runConfigRecord } from "../builders/keptRuns";
import { isPlainObject, strictObject, text } from "../schema/base";
import { coerceToSchema, inputSchemaOf } from "../schema/coerce";
import { ConfigError, formatIssues, keyPath } from "../schema/errors";
import { DEFAULT_TIMEOUTS, type Job, jobsSchemaWith } from "../schema/job";
import { queueIssues, queueName } from "../schema/queue";
import { type QueuesConfig, queueCountProblems, queuesSchema, queueWarnings } from "../schema/queues";
import { runtimeWarnings } from "../schema/runtimes";
import { SECRET_KEYS } from "../schema/secrets";
import { type StagingConfig, stagingSchema } from "../schema/staging";
import { resolveInputVolume, resolveOutputVolume } from "../schema/volumes";
import { DNS1123_LABEL } from "../validation";
import { type OperatorConfig, operatorSchema, rawGeneration, resolveOperator } from "./operator";
import {
  gangWarnings,
  groupJobWarnings,
  imageWarnings,
  kubeconfigWarnings,
  trainingWarnings,
  workerWarnings,
} from "./warnings";

/**
 * The most jobs one stack may hold: what the program holds per job, under the SDK's mock runtime
 * and the engine's own per-resource cost, must stay well inside Node.js's default heap on a CI
 * runner. The numbers are measured by `npm run bench` and kept in docs/stack-files.md (Limits) and docs/performance.md.
 */
export const MAX_JOBS = 500;

/** Whether an issue's path starts with a key's path. */
const startsWithKey = (path: readonly PropertyKey[], key: readonly string[]) =>
  key.every((segment, i) => String(path[i]) === segment);

/** Namespaces the program must not create: they exist already or belong to the cluster. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The stack's schema, with the job name rule of the backend of `generation`. */
function buildStackSchema(generation: Generation) {
  return strictObject({
    namespace: z
      .string()
      .max(63, { error: "must be at most 63 characters (a DNS-1123 label)" })
      .regex(DNS1123_LABEL, {
        error:
          "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
      })
      .refine((ns) => !RESERVED_NAMESPACES.includes(ns), {
        error: `must be a namespace the program can create and own, not one of ${RESERVED_NAMESPACES.join(", ")}`,
      }),
    // Whether the stack creates the namespace (and may delete it), or runs in one that exists.
    createNamespace: z.boolean({ error: "must be true or false" }).default(true),
    cluster: strictObject({
      context: text().min(1).optional(),
      kubeconfig: text().min(1).optional(),
      skipAwait: z.boolean({ error: "must be true or false" }).default(false),
    }).prefault({}),
    trainingOperator: operatorSchema.prefault({}),
    // Secret keys: only their presence is known here. Their values stay secret Outputs and are
    // checked inside `apply` (see SECRET_RULES).
    hfToken: z.string().optional(),
    s3AccessKeyId: z.string().optional(),
    s3SecretAccessKey: z.string().optional(),
    imagePullSecrets: z.string().optional(),
    kubeconfig: z.string().optional(),
    networkPolicy: z.boolean({ error: "must be true or false" }).default(false),
    // Kueue: the LocalQueue of every job that names none.
    queue: queueName.optional(),
    // Kueue's queue objects, when the stack declares them.
    queues: queuesSchema.optional(),
    staging: stagingSchema,
    // None is none: a new project's stack (templates/finetune) declares the namespace and waits for its jobs.
    jobs: jobsSchemaWith(backendOf(generation).jobNameProblem).default({}),
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
      if (isPlainObject(stack.jobs)) {
        for (const [name, job] of Object.entries(stack.jobs)) {
          if (isPlainObject(job))
            for (const issue of queueIssues(name, job, stack.queue)) ctx.addIssue({ code: "custom", ...issue });
        }
      }
      const cluster = stack.cluster as Record<string, unknown> | undefined;
      if (stack.kubeconfig !== undefined && isPlainObject(cluster) && cluster.kubeconfig !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["kubeconfig"],
          message:
            "is set with cluster.kubeconfig: give the kubeconfig's contents here (as a secret), or its path in cluster.kubeconfig, not both",
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
}

/** The stack's schema per generation, each built once. */
const stackSchemas = new Map<Generation, ReturnType<typeof buildStackSchema>>();
function stackSchemaFor(generation: Generation): ReturnType<typeof buildStackSchema> {
  let schema = stackSchemas.get(generation);
  if (schema === undefined) {
    schema = buildStackSchema(generation);
    stackSchemas.set(generation, schema);
  }
  return schema;
}

/** The stack's schema (its keys' shapes are the same for every generation), for the stack file's JSON Schema (tools/stackSchema.ts). */
export function stackConfigSchema(): z.ZodType {
  return stackSchemaFor(1);
}

type StackInput = z.output<ReturnType<typeof buildStackSchema>>;

let inputSchema: ReturnType<typeof inputSchemaOf> | undefined;
/**
 * The stack schema as JSON Schema, computed once, for reading values as Pulumi stores them (the
 * keys' shapes, the same for every generation).
 */
export function stackInputSchema(): ReturnType<typeof inputSchemaOf> {
  inputSchema ??= inputSchemaOf(stackSchemaFor(1));
  return inputSchema;
}

/** S3 credentials, as secret Outputs. */
export interface S3Credentials {
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;
}

/** The validated, defaulted stack config: what the components are built from. */
export interface Config {
  /** Namespace of the jobs. */
  readonly namespace: string;
  /** Whether the stack creates that namespace, or runs in one that exists already. */
  readonly createNamespace: boolean;
  /** The cluster the stack deploys to. */
  readonly cluster: StackInput["cluster"];
  /** The training operator: its generation, and its install when the stack installs it. */
  readonly trainingOperator: OperatorConfig;
  /** The Hugging Face token, a secret Output; undefined when not configured. */
  readonly hfToken?: pulumi.Output<string>;
  /** S3 credentials for s3:// sources, secret Outputs; undefined when not configured. */
  readonly s3Credentials?: S3Credentials;
  /** How staging Jobs fetch model and dataset sources. */
  readonly staging: StagingConfig;
  /** Registry credentials (a Docker config.json), a secret Output; undefined when not configured. */
  readonly imagePullSecrets?: pulumi.Output<string>;
  /** A kubeconfig's contents, a secret Output (`finetune:kubeconfig`); undefined when not configured. */
  readonly kubeconfig?: pulumi.Output<string>;
  /** Whether NetworkPolicies confine the jobs' traffic. */
  readonly networkPolicy: boolean;
  /** Things worth a warning that are not errors (an image tag that can move, say). */
  readonly warnings: readonly string[];
  /** Jobs by name. */
  readonly jobs: Readonly<Record<string, Job>>;
  /** Kueue's queue objects the stack declares; none when unset. */
  readonly queues?: QueuesConfig;
  /** Per job, the record of what its config says of its run (builders/keptRuns.ts). */
  readonly runConfigs: Readonly<Record<string, string>>;
}

/**
 * Validates raw stack config (keys without the `finetune:` prefix, values as the engine passes
 * them after JSON decoding) and returns the typed config without its secrets.
 * `secretKeys` are the keys stored as secrets; only `SECRET_KEYS` may be, and those must be.
 * Throws `ConfigError` listing every problem. `maxJobs` is `MAX_JOBS` for every stack; only the
 * benchmark lifts it, to measure 1,000 jobs.
 */
export function parseConfig(
  raw: Readonly<Record<string, unknown>>,
  secretKeys: ReadonlySet<string>,
  maxJobs = MAX_JOBS,
): Omit<Config, "hfToken" | "s3Credentials" | "imagePullSecrets" | "kubeconfig"> & {
  readonly hasHfToken: boolean;
  readonly hasS3Credentials: boolean;
  readonly hasImagePullSecrets: boolean;
  readonly hasKubeconfig: boolean;
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
  // Counted before anything else: validating (and later declaring) an unbounded map of jobs is
  // what would take the time and memory the limit is there to bound.
  const jobCount = isPlainObject(raw.jobs) ? Object.keys(raw.jobs).length : 0;
  if (jobCount > maxJobs) {
    throw new ConfigError([
      `${keyPath(["jobs"])}: has ${jobCount} jobs; at most ${maxJobs} fit in one stack (see docs/stack-files.md, Limits): split them across stacks`,
    ]);
  }
  // Bounded for the same reason as jobs: each queue object is a resource the engine tracks.
  const queueCounts = queueCountProblems(raw.queues);
  if (queueCounts.length > 0) throw new ConfigError([...problems, ...queueCounts]);
  const coerced = coerceToSchema(raw, stackInputSchema());
  const result = stackSchemaFor(rawGeneration(raw)).safeParse(coerced, { reportInput: true });
  // A key refused above for holding a secret is not validated again: its value was never read.
  const misplaced = [...secretKeys].filter((k) => !(SECRET_KEYS as readonly string[]).includes(k));
  if (!result.success) {
    problems.push(
      ...formatIssues(result.error.issues.filter((i) => !misplaced.some((k) => startsWithKey(i.path, k.split("."))))),
    );
  }
  // Keys the targeted generation does not read, in the raw config (a key written told apart from a default).
  const rawBackend = backendOf(rawGeneration(raw));
  for (const [name, job] of Object.entries(isPlainObject(raw.jobs) ? raw.jobs : {})) {
    if (isPlainObject(job)) problems.push(...rawBackend.unreadJobKeys(name, job));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const stack = result.data;
  const operator = resolveOperator(stack.trainingOperator);
  if (Array.isArray(operator)) throw new ConfigError(operator);
  const backend = backendOf(operator.generation);
  const jobs: Record<string, Job> = {};
  for (const [name, { runtime, runtimeKind, ...job }] of Object.entries(stack.jobs)) {
    jobs[name] = {
      ...job,
      timeout: job.wait === "none" ? undefined : (job.timeout ?? DEFAULT_TIMEOUTS[job.wait]),
      model: job.model && resolveInputVolume(job.model, "model", job.nodes),
      dataset: job.dataset && resolveInputVolume(job.dataset, "dataset", job.nodes),
      output: resolveOutputVolume(job.output, job.nodes),
      ...(job.queue !== undefined || stack.queue !== undefined ? { queue: job.queue ?? stack.queue } : {}),
      ...backend.jobDefaults({ runtime, runtimeKind }),
    };
  }
  const limits = backend.jobProblems(jobs, stack.hfToken !== undefined);
  if (limits.length > 0) throw new ConfigError(limits);
  const hasS3Credentials = stack.s3AccessKeyId !== undefined;
  const warnings = [
    ...groupJobWarnings(
      Object.entries(jobs).map(([name, job]) => [
        name,
        [
          ...imageWarnings(name, job.image),
          ...trainingWarnings(name, job, { hfToken: stack.hfToken !== undefined, s3Credentials: hasS3Credentials }),
          ...gangWarnings(name, job, operator),
          ...runtimeWarnings(name, job.runtime),
        ],
      ]),
    ),
    ...queueWarnings(stack.jobs, stack.queue, stack.queues),
    ...workerWarnings(
      stack.namespace,
      jobs,
      operator.workerPodSecurity,
      stack.trainingOperator.workerPodSecurity !== undefined,
    ),
    ...kubeconfigWarnings(stack.cluster.kubeconfig),
  ];
  // What each run is made of, as the user wrote it: defaults are the program's, and left out.
  const written = isPlainObject(coerced) ? coerced : {};
  const writtenJobs = isPlainObject(written.jobs) ? written.jobs : {};
  const runConfigs = Object.fromEntries(
    Object.keys(jobs).map((name) => [
      name,
      runConfigRecord({
        job: writtenJobs[name],
        queue: written.queue,
        generation: operator.generation,
        hfToken: stack.hfToken !== undefined,
        imagePullSecrets: stack.imagePullSecrets !== undefined,
      }),
    ]),
  );
  return {
    runConfigs,
    namespace: stack.namespace,
    createNamespace: stack.createNamespace,
    cluster: stack.cluster,
    trainingOperator: operator,
    hasHfToken: stack.hfToken !== undefined,
    hasS3Credentials,
    hasImagePullSecrets: stack.imagePullSecrets !== undefined,
    hasKubeconfig: stack.kubeconfig !== undefined,
    networkPolicy: stack.networkPolicy,
    warnings,
    staging: stack.staging,
    jobs,
    ...(stack.queues !== undefined ? { queues: stack.queues } : {}),
  };
}
