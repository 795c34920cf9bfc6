// The pack's policies: each wires one rule of rules.ts to the engine's resource or stack
// validation, with its config schema and default enforcement. index.ts serves them; the tests call
// them as the engine does, without serving.
import type {
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { kindKey, workloadOf } from "./kinds";
import {
  DEFAULT_OPERATOR_KINDS,
  DEFAULT_OPERATOR_NAMESPACES,
  inOperatorInstall,
  operatorInstallViolations,
} from "./operatorInstall";
import {
  DEFAULT_GPU_RESOURCES,
  DEFAULT_TAGGED_IMAGES,
  gpusPerJobViolation,
  gpusPerStackViolation,
  missingQueueViolation,
  rootReasons,
  unboundedViolation,
  unpinnedImages,
} from "./rules";
import { objectOr, type Workload } from "./workloads";

/** Defaults of the policies' config, also written into their schemas. */
export const DEFAULTS = {
  maxGpusPerJob: 64,
  maxGpusPerStack: 256,
  gpuResources: DEFAULT_GPU_RESOURCES,
  queueNamespaces: [] as readonly string[],
  operatorKinds: DEFAULT_OPERATOR_KINDS,
  operatorNamespaces: DEFAULT_OPERATOR_NAMESPACES,
  exceptImages: DEFAULT_TAGGED_IMAGES,
} as const;

/** The config of the two GPU ceilings. */
interface GpuConfig {
  readonly maxGpus?: number;
  readonly gpuResources?: readonly string[];
}

/** A config property holding a list of strings, with its default. */
const stringList = (defaults: readonly string[]) => ({
  type: "array" as const,
  items: { type: "string" as const },
  default: [...defaults],
});

const gpuResourcesSchema = stringList(DEFAULT_GPU_RESOURCES);

const gpuSchema = (maxGpus: number): PolicyConfigSchema => ({
  properties: { maxGpus: { type: "integer", minimum: 0, default: maxGpus }, gpuResources: gpuResourcesSchema },
});

/** The workload a resource validation is about: undefined when it causes no pods. */
const workload = (args: { type: string; props: Record<string, unknown> }): Workload | undefined =>
  workloadOf(args.type, args.props);

/**
 * The workload of a resource the stack runs itself: undefined also for the objects of its
 * training operator install, which operator-install-contents rules instead (the upstream
 * controllers name tags and leave runAsNonRoot to their images).
 */
const ownWorkload = (args: { type: string; urn: string; props: Record<string, unknown> }): Workload | undefined =>
  inOperatorInstall(args.urn) ? undefined : workload(args);

const reportAll = (messages: readonly (string | undefined)[], report: ReportViolation) => {
  for (const m of messages) if (m !== undefined) report(m);
};

export const imagesPinnedByDigest: ResourceValidationPolicy = {
  name: "images-pinned-by-digest",
  description:
    "Every image of a workload the stack runs is pinned by a @sha256 digest, so a restarted pod runs the code the run started with (but for the images in exceptImages).",
  enforcementLevel: "advisory",
  configSchema: { properties: { exceptImages: stringList(DEFAULTS.exceptImages) } },
  validateResource: (args, report) => {
    const w = ownWorkload(args);
    const { exceptImages = DEFAULTS.exceptImages } = args.getConfig<{ exceptImages?: readonly string[] }>();
    if (w) reportAll(unpinnedImages(w, exceptImages), report);
  },
};

export const gpusPerJob: ResourceValidationPolicy = {
  name: "gpus-per-job",
  description:
    "Any object that causes pods (a training run, Job, JobSet, CronJob, Pod, Deployment...) asks for at most maxGpus GPUs at once (pods × accelerators per pod).",
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
  description: "All the pods a stack causes together ask for at most maxGpus GPUs.",
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
    "Every training run, and every other workload that holds GPUs, has a deadline or a TTL after it finishes: activeDeadlineSeconds or ttlSecondsAfterFinished (a Deployment, StatefulSet, ReplicaSet or DaemonSet never finishes, so it may hold none).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { gpuResources: gpuResourcesSchema } },
  validateResource: (args, report) => {
    const w = ownWorkload(args);
    if (!w) return;
    const { gpuResources = DEFAULTS.gpuResources } = args.getConfig<GpuConfig>();
    reportAll([unboundedViolation(w, gpuResources)], report);
  },
};

export const noRootPods: ResourceValidationPolicy = {
  name: "no-root-pods",
  description:
    "Every pod the stack runs (and every Trainer v2 runtime it declares) sets runAsNonRoot: true and never asks for user 0 or privileged containers.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const w = ownWorkload(args);
    if (w) reportAll(rootReasons(w), report);
  },
};

export const queueLabel: ResourceValidationPolicy = {
  name: "queue-label",
  description:
    "In the namespaces listed in `namespaces` (`*`: all), every training run, and every other workload that holds GPUs, names a Kueue LocalQueue (label kueue.x-k8s.io/queue-name).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { namespaces: stringList([]), gpuResources: gpuResourcesSchema } },
  validateResource: (args, report) => {
    const w = ownWorkload(args);
    if (!w) return;
    const { namespaces = DEFAULTS.queueNamespaces, gpuResources = DEFAULTS.gpuResources } = args.getConfig<
      GpuConfig & { namespaces?: readonly string[] }
    >();
    reportAll([missingQueueViolation(w, namespaces, gpuResources)], report);
  },
};

export const operatorInstallContents: ResourceValidationPolicy = {
  name: "operator-install-contents",
  description:
    "The training operator install (finetune:trainingOperator.source and runtimesSource) holds only the kinds in `kinds`, in the namespaces in `namespaces`, and controllers that hold no GPUs, run unprivileged, not as user 0, with no added capabilities, host namespaces or host paths.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      kinds: stringList(DEFAULT_OPERATOR_KINDS),
      namespaces: stringList(DEFAULT_OPERATOR_NAMESPACES),
      gpuResources: gpuResourcesSchema,
    },
  },
  validateResource: (args, report) => {
    if (!inOperatorInstall(args.urn)) return;
    const key = kindKey(args.type);
    if (key === undefined) return;
    const {
      kinds = DEFAULTS.operatorKinds,
      namespaces = DEFAULTS.operatorNamespaces,
      gpuResources = DEFAULTS.gpuResources,
    } = args.getConfig<GpuConfig & { kinds?: readonly string[]; namespaces?: readonly string[] }>();
    const metadata = objectOr(args.props.metadata);
    const name = typeof metadata.name === "string" ? metadata.name : "?";
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
    const obj = { kind: key.slice(key.indexOf(":") + 1), namespace, id: namespace ? `${namespace}/${name}` : name };
    reportAll(operatorInstallViolations(obj, workload(args), { kinds, namespaces, gpuResources }), report);
  },
};

/** Every policy of the pack, in the order the CLI lists them. */
export const POLICIES = [
  imagesPinnedByDigest,
  gpusPerJob,
  gpusPerStack,
  runsBounded,
  noRootPods,
  queueLabel,
  operatorInstallContents,
];
