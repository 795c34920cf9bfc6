// The pack's policies: each wires one rule of rules.ts to the engine's resource or stack
// validation, with its config schema and default enforcement. index.ts serves them; the tests call
// them as the engine does, without serving.
import type {
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  DEFAULT_GPU_RESOURCES,
  gpusPerJobViolation,
  gpusPerStackViolation,
  missingQueueViolation,
  rootReasons,
  unboundedViolation,
  unpinnedImages,
} from "./rules";
import { type Workload, workloadOf } from "./workloads";

/** Defaults of the policies' config, also written into their schemas. */
export const DEFAULTS = {
  maxGpusPerJob: 64,
  maxGpusPerStack: 256,
  gpuResources: DEFAULT_GPU_RESOURCES,
  queueNamespaces: [] as readonly string[],
} as const;

/** The config of the two GPU ceilings. */
interface GpuConfig {
  readonly maxGpus?: number;
  readonly gpuResources?: readonly string[];
}

const gpuSchema = (maxGpus: number): PolicyConfigSchema => ({
  properties: {
    maxGpus: { type: "integer", minimum: 0, default: maxGpus },
    gpuResources: { type: "array", items: { type: "string" }, default: [...DEFAULT_GPU_RESOURCES] },
  },
});

/** The workload a resource validation is about, or undefined when the pack does not read its type. */
const workload = (args: { type: string; props: Record<string, unknown> }): Workload | undefined =>
  workloadOf(args.type, args.props);

const reportAll = (messages: readonly (string | undefined)[], report: ReportViolation) => {
  for (const m of messages) if (m !== undefined) report(m);
};

export const imagesPinnedByDigest: ResourceValidationPolicy = {
  name: "images-pinned-by-digest",
  description:
    "Every image of a training run or Job is pinned by a @sha256 digest, so a restarted pod runs the code the run started with.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const w = workload(args);
    if (w) reportAll(unpinnedImages(w), report);
  },
};

export const gpusPerJob: ResourceValidationPolicy = {
  name: "gpus-per-job",
  description: "A training run or Job asks for at most maxGpus GPUs at once (pods × accelerators per pod).",
  enforcementLevel: "mandatory",
  configSchema: gpuSchema(DEFAULTS.maxGpusPerJob),
  validateResource: (args, report) => {
    const w = workload(args);
    if (!w) return;
    const { maxGpus = DEFAULTS.maxGpusPerJob, gpuResources = DEFAULTS.gpuResources } = args.getConfig<GpuConfig>();
    reportAll([gpusPerJobViolation(w, maxGpus, gpuResources)], report);
  },
};

export const gpusPerStack: StackValidationPolicy = {
  name: "gpus-per-stack",
  description: "All training runs and Jobs of a stack together ask for at most maxGpus GPUs.",
  enforcementLevel: "mandatory",
  configSchema: gpuSchema(DEFAULTS.maxGpusPerStack),
  validateStack: (args, report) => {
    const { maxGpus = DEFAULTS.maxGpusPerStack, gpuResources = DEFAULTS.gpuResources } = args.getConfig<GpuConfig>();
    const workloads = args.resources.map((r) => workloadOf(r.type, r.props)).filter((w) => w !== undefined);
    reportAll([gpusPerStackViolation(workloads, maxGpus, gpuResources)], report);
  },
};

export const runsBounded: ResourceValidationPolicy = {
  name: "runs-bounded",
  description:
    "Every training run (and every Job that holds GPUs) has a deadline or a TTL after it finishes: activeDeadlineSeconds or ttlSecondsAfterFinished.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { gpuResources: gpuSchema(0).properties.gpuResources } },
  validateResource: (args, report) => {
    const w = workload(args);
    if (!w) return;
    const { gpuResources = DEFAULTS.gpuResources } = args.getConfig<GpuConfig>();
    reportAll([unboundedViolation(w, gpuResources)], report);
  },
};

export const noRootPods: ResourceValidationPolicy = {
  name: "no-root-pods",
  description:
    "The pods of training runs and Jobs set runAsNonRoot: true and never ask for user 0 or privileged containers.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const w = workload(args);
    if (w) reportAll(rootReasons(w), report);
  },
};

export const queueLabel: ResourceValidationPolicy = {
  name: "queue-label",
  description:
    "In the namespaces listed in `namespaces` (`*`: all), every training run names a Kueue LocalQueue (label kueue.x-k8s.io/queue-name).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { namespaces: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: (args, report) => {
    const w = workload(args);
    if (!w) return;
    const { namespaces = DEFAULTS.queueNamespaces } = args.getConfig<{ namespaces?: readonly string[] }>();
    reportAll([missingQueueViolation(w, namespaces)], report);
  },
};

/** Every policy of the pack, in the order the CLI lists them. */
export const POLICIES = [imagesPinnedByDigest, gpusPerJob, gpusPerStack, runsBounded, noRootPods, queueLabel];
