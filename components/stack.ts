// The whole program, from validated config to resources: one explicit Kubernetes provider, the
// jobs' namespace and credentials, the training operator (unless disabled) and one FineTuneJob
// per job. `index.ts` and the offline render both call `declareStack(loadConfig())`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { backendOf } from "./builders/backends";
import { stackOwner } from "./builders/ownership";
import type { JobCondition } from "./builders/run";
import { podSecurityLevel } from "./builders/security";
import { runningCommand } from "./cluster/command";
import { type HeldRuns, NONE_HELD, readHeldJobs } from "./cluster/heldJobs";
import { type KubeconfigSnapshot, snapshotKubeconfig } from "./cluster/kubeconfig";
import { type ClusterReader, clusterReader } from "./cluster/reader";
import { type Config, keyPath } from "./config";
import { FineTuneJob } from "./fineTuneJob";
import { declareGuards } from "./guards";
import { JobNamespace } from "./jobNamespace";
import { KueueQueues } from "./kueueQueues";
import { withoutStackCapture } from "./stackTraces";
import { TrainingOperator } from "./trainingOperator";
import { skipAwaitTransform } from "./transforms";

/** The operator install's component name. */
const INSTALL = "training-operator";

/** What the stack exports for one job. */
export interface JobOutputs {
  /** The PyTorchJob's name. */
  readonly name: pulumi.Output<string>;
  /** Its namespace. */
  readonly namespace: pulumi.Output<string>;
  /** The PVC holding its checkpoints. */
  readonly outputClaim: pulumi.Output<string>;
  /** Where the checkpoints are inside that PVC. */
  readonly checkpointPath: pulumi.Output<string>;
  /** The PyTorchJob's status conditions when `pulumi up` returned; a failed run fails the deploy instead. */
  readonly conditions: pulumi.Output<JobCondition[]>;
  /** `kubectl logs` command that follows the Master. */
  readonly logs: pulumi.Output<string>;
  /** The run's start, end, duration, restarts and GPU-hours when `pulumi up` returned (when the program waits). */
  readonly run: FineTuneJob["run"];
  /** For a job with a Kueue queue: the queue, and where the job stood in it when `pulumi up` returned. */
  readonly queue?: FineTuneJob["queue"];
}

/** The stack's outputs. */
export interface StackOutputs {
  readonly namespace: pulumi.Output<string>;
  readonly jobs: Record<string, JobOutputs>;
}

/** What the stack is declared with besides its config. */
export interface StackOptions {
  /** The cluster the program reads (a test's). @default the one the stack's kubeconfig names */
  readonly cluster?: ClusterReader | (() => Promise<ClusterReader>);
  /** The jobs of the runs the cluster held when the program started (`readHeldJobs`). @default none */
  readonly held?: HeldRuns;
}

/**
 * The stack's one reader of the cluster, with the provider's kubeconfig and context as they are
 * now, built on the first read; `cluster`, a test's, instead when given.
 */
export function stackReader(config: Config, cluster?: ClusterReader): () => Promise<ClusterReader> {
  if (cluster !== undefined) return async () => cluster;
  const { kubeconfig } = config;
  return clusterReader(
    kubeconfig === undefined
      ? snapshotKubeconfig(config.cluster)
      : new Promise<KubeconfigSnapshot>((resolve) => {
          // Read inside the program only; the contents stay a secret everywhere else.
          kubeconfig.apply((text) => {
            resolve(snapshotKubeconfig({ ...config.cluster, kubeconfig: text }));
            return text;
          });
        }),
  );
}

/**
 * The jobs of the stack's runs the cluster holds in its namespace (training, staging and
 * preparation), read before anything is declared (none in a destroy, which keeps nothing, or for a
 * stack without jobs). A cluster that cannot be read fails the program: declared without them,
 * every run and data Job whose spec the program now writes differently would be replaced, training
 * again or fetching its data again.
 */
export async function readStackJobs(config: Config, reader: () => Promise<ClusterReader>): Promise<HeldRuns> {
  if (Object.keys(config.jobs).length === 0 || runningCommand() === "destroy") return NONE_HELD;
  const backend = backendOf(config.trainingOperator.generation);
  try {
    return await readHeldJobs(await reader(), config.namespace, backend);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new pulumi.RunError(
      `could not read the training, staging and preparation jobs in namespace ${config.namespace}, which say which runs keep their spec (${why}); nothing was changed`,
    );
  }
}

/**
 * Declares every resource of the stack from its validated config, without V8's stack capture (see
 * stackTraces.ts: it lowers the time and peak memory of a large stack; docs/performance.md).
 */
export function declareStack(config: Config, options: StackOptions = {}): StackOutputs {
  return withoutStackCapture(() => declareResources(config, options));
}

function declareResources(config: Config, options: StackOptions): StackOutputs {
  // Every resource names its cluster through this provider, never the ambient kubeconfig alone.
  // The kubeconfig: the secret contents, or cluster.kubeconfig, or else explicitly none: then the
  // provider reads it as kubectl does (every file of $KUBECONFIG, ~/.kube/config, in-cluster). Left
  // unset, the SDK would hand it $KUBECONFIG's raw text, which it reads as one file.
  const provider = new k8s.Provider("cluster", {
    ...(config.cluster.context !== undefined ? { context: config.cluster.context } : {}),
    kubeconfig: config.kubeconfig ?? config.cluster.kubeconfig ?? "",
    enableServerSideApply: true,
  });

  for (const warning of config.warnings) pulumi.log.warn(warning);
  // Every read of the cluster (the guards, the wait of runs) goes through one reader.
  const { cluster } = options;
  const reader = typeof cluster === "function" ? cluster : stackReader(config, cluster);
  const owner = stackOwner(pulumi.getOrganization(), pulumi.getProject(), pulumi.getStack());
  const guards = declareGuards({
    owner,
    reader,
    namespace: config.namespace,
    createNamespace: config.createNamespace,
    installUrn: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::finetune:index:TrainingOperator::${INSTALL}`,
  });
  const skipAwait = config.cluster.skipAwait;
  // Component options: the cluster's provider, the guards (the install's own for the install), and
  // with skipAwait the transform that reaches every object.
  const opts = (install = false): pulumi.ComponentResourceOptions => ({
    provider,
    transforms: [install ? guards.install : guards.stack, ...(skipAwait ? [skipAwaitTransform] : [])],
  });

  const jobs = Object.values(config.jobs);
  const namespace = new JobNamespace(
    config.namespace,
    {
      name: config.namespace,
      create: config.createNamespace,
      pods: jobs.length > 0,
      podSecurity: podSecurityLevel(jobs, config.trainingOperator.workerPodSecurity),
      hfToken: config.hfToken,
      s3Credentials: config.s3Credentials,
      imagePullSecrets: config.imagePullSecrets,
      networkPolicy: config.networkPolicy,
      retain: jobs.some((j) => j.output.kind === "new" && j.output.retain),
    },
    opts(),
  );

  // A source is resolved exactly when the stack installs the operator.
  const { version, source, runtimesSource, generation, trainJobStatus, images } = config.trainingOperator;
  const operator = source
    ? new TrainingOperator(
        INSTALL,
        { version, source, runtimesSource, options: { trainJobStatus, images } },
        opts(true),
      )
    : undefined;
  const queues = config.queues
    ? new KueueQueues("queues", { queues: config.queues, namespace: namespace.name }, opts())
    : undefined;
  // Chosen once: each generation spells the same run in its own API.
  const backend = backendOf(generation);

  // The stack's secret values, kept for one use: no line or error about a run shows them.
  const secretValues: string[] = [];
  for (const secret of [
    config.hfToken,
    config.imagePullSecrets,
    config.kubeconfig,
    config.s3Credentials?.accessKeyId,
    config.s3Credentials?.secretAccessKey,
  ]) {
    secret?.apply((value) => {
      secretValues.push(value);
    });
  }

  const outputs: Record<string, JobOutputs> = {};
  for (const [name, job] of Object.entries(config.jobs)) {
    const ftj = new FineTuneJob(
      name,
      {
        namespace: namespace.name,
        job,
        backend,
        staging: config.staging,
        hfTokenSecret: namespace.hfTokenSecret,
        s3Secret: namespace.s3Secret,
        podPrerequisites: namespace.podPrerequisites,
        imagePullSecrets: config.imagePullSecrets !== undefined,
        networkPolicy: config.networkPolicy,
        judgeRun: !skipAwait,
        operator,
        // A LocalQueue the stack declares comes before the jobs submitted to it.
        ...(job.queue !== undefined && queues?.localQueues[job.queue] !== undefined
          ? { queue: queues.localQueues[job.queue] }
          : {}),
        configKey: keyPath(["jobs", name]),
        context: config.cluster.context,
        cluster: reader,
        held: options.held ?? NONE_HELD,
        runConfig: config.runConfigs[name] as string,
        owner,
        secrets: () => secretValues,
      },
      opts(),
    );
    outputs[name] = {
      name: ftj.jobName,
      namespace: ftj.namespace,
      outputClaim: ftj.outputClaim,
      checkpointPath: ftj.checkpointPath,
      conditions: ftj.outcome,
      logs: ftj.logs,
      run: ftj.run,
      ...(job.queue !== undefined ? { queue: ftj.queue } : {}),
    };
  }
  return { namespace: namespace.name, jobs: outputs };
}
