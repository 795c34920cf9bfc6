// The training operator: which generation the cluster runs (its release: the v1 training operator
// or Kubeflow Trainer v2), whether the stack installs it, and where its manifests come from.
import * as fs from "node:fs";
import { z } from "zod";
import type { Generation } from "../builders/backend";
import { backendOf } from "../builders/backends";
import { type ImageMirrors, imageNamesOf } from "../builders/operatorImages";
import { BundleError, type KubernetesObject } from "../bundle";
import { isPlainObject, strictObject, text } from "../schema/base";
import { keyPath } from "../schema/errors";
import { IMAGE_NAME } from "../validation";
import { parseBundleCached } from "./bundleCache";

/** The default Kubeflow Training Operator release: the last of the v1 line (PyTorchJob `kubeflow.org/v1`). */
export const DEFAULT_OPERATOR_VERSION = "v1.9.4";

/** Where the training operator's manifests come from. */
export type OperatorSource =
  /** A kustomize overlay fetched by the provider (the upstream default, or a URL). */
  | { readonly kind: "remote"; readonly location: string }
  /** A local multi-document YAML file (an air-gapped copy of the rendered bundle), read once. */
  | { readonly kind: "file"; readonly location: string; readonly objects: readonly KubernetesObject[] }
  /** A local kustomize folder. */
  | { readonly kind: "directory"; readonly location: string };

/** The operator generation a release belongs to: the major version of kubeflow/trainer. */
export function generationOf(version: string): Generation {
  return version.startsWith("v2.") ? 2 : 1;
}

/** The generation a raw config targets (before validation: the default release's when unset or invalid). */
export function rawGeneration(raw: Readonly<Record<string, unknown>>): Generation {
  const op = raw.trainingOperator;
  return generationOf(isPlainObject(op) && typeof op.version === "string" ? op.version : "");
}

/**
 * The upstream kustomize overlay of kubeflow/trainer at `version`: the standalone operator for
 * v1; the manager (with its JobSet dependency) for v2.
 */
export function upstreamOperatorSource(version: string): string {
  const overlay = backendOf(generationOf(version)).installOverlay;
  return `https://github.com/kubeflow/trainer.git/manifests/overlays/${overlay}?ref=${version}`;
}

/** The upstream overlay of Trainer v2's built-in ClusterTrainingRuntimes at `version`. */
export function upstreamRuntimesSource(version: string): string {
  return `https://github.com/kubeflow/trainer.git/manifests/overlays/runtimes?ref=${version}`;
}

function isRemote(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^(github\.com|gitlab\.com|git@|git::)/.test(source);
}

/** Where a source string points: a URL, a local file or a local folder; undefined when none. */
export function classifySource(source: string): OperatorSource["kind"] | undefined {
  if (isRemote(source)) return "remote";
  try {
    const stat = fs.statSync(source);
    if (stat.isDirectory()) return "directory";
    if (stat.isFile()) return "file";
  } catch {
    // Not found: reported by the caller.
  }
  return undefined;
}

/**
 * The install's source, its bundle read and checked when it is a local file. Returns the problem
 * (without the key) when the file cannot be read or holds something that is not a Kubernetes object.
 */
export function resolveOperatorSource(location: string): OperatorSource | string {
  const kind = classifySource(location);
  if (kind === "remote" || kind === "directory") return { kind, location };
  try {
    return { kind: "file", location, objects: parseBundleCached(fs.readFileSync(location, "utf8"), location) };
  } catch (e) {
    if (e instanceof BundleError) return e.reason;
    return `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

/** `trainingOperator`: whether to install the operator, which release, and from where. */
/** Pod Security levels the operator's Worker init container can meet. */
export const WORKER_POD_SECURITY = ["restricted", "baseline"] as const;

/** A source of manifests: a URL, a local rendered YAML file, or a local kustomize folder. */
const sourceSchema = text()
  .min(1)
  .refine((s) => classifySource(s) !== undefined, {
    error:
      "is neither a URL nor an existing local file or folder (give a kustomize URL, a rendered YAML file, or a kustomize folder)",
  });

/** `trainingOperator.images`: image name, as the install's manifests write it → the mirror's image name. */
const imagesSchema = z.record(
  z.string().regex(IMAGE_NAME, {
    error:
      "must be an image name without a tag or digest, as the install's manifests write it (e.g. ghcr.io/kubeflow/training-v1/training-operator, alpine)",
  }),
  z.string().regex(IMAGE_NAME, {
    error:
      "must be the mirror's image name without a tag or digest (the install's tag or digest is kept), e.g. registry.example.com/kubeflow/training-operator",
  }),
);

export const operatorSchema = strictObject({
  install: z.boolean({ error: "must be true or false" }).default(true),
  version: z
    .string()
    .regex(/^v(1\.\d+\.\d+|2\.3\.\d+)(-[0-9A-Za-z.-]+)?$/, {
      error:
        "must be a release tag of kubeflow/trainer: v1.x.y for the training operator v1 (PyTorchJob kubeflow.org/v1, e.g. v1.9.4), or v2.3.x for Kubeflow Trainer v2 (TrainJob trainer.kubeflow.org/v1alpha1, e.g. v2.3.0: its API changed in every minor release, and this program writes v2.3's)",
    })
    .default(DEFAULT_OPERATOR_VERSION),
  source: sourceSchema.optional(),
  runtimesSource: sourceSchema.optional(),
  workerPodSecurity: z.enum(WORKER_POD_SECURITY, { error: `must be ${WORKER_POD_SECURITY.join(" or ")}` }).optional(),
  trainJobStatus: z.boolean({ error: "must be true or false" }).optional(),
  images: imagesSchema.default({}),
}).superRefine(
  (op, ctx) => {
    if (op.install === false && Object.keys(op.images ?? {}).length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["images"],
        message:
          "applies only when this stack installs the operator (install: true): it rewrites the images of the install; on a cluster whose operator another stack installs, set it there",
      });
    }
    const generation = typeof op.version === "string" ? generationOf(op.version) : 1;
    for (const { path, message } of backendOf(generation).operatorKeyProblems(op)) {
      ctx.addIssue({ code: "custom", path: [...path], message });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** The operator as the components use it. */
export interface OperatorConfig {
  /** Whether the stack installs it. */
  readonly install: boolean;
  /** Its release. */
  readonly version: string;
  /** The generation the cluster runs (from `version`, also when the stack does not install it). */
  readonly generation: Generation;
  /** Where the manifests come from (v2: the manager with JobSet): set when the stack installs it. */
  readonly source?: OperatorSource;
  /** Where Trainer v2's built-in runtimes come from: set when the stack installs v2. */
  readonly runtimesSource?: OperatorSource;
  /**
   * The Pod Security level the operator's Worker init container meets (v1; v2 adds none).
   * @default restricted when the stack installs the operator (it configures the container), else baseline
   */
  readonly workerPodSecurity: (typeof WORKER_POD_SECURITY)[number];
  /** Trainer v2: the manager this stack installs runs with the TrainJobStatus feature gate on. */
  readonly trainJobStatus: boolean;
  /** Image name → the mirror's image name, for every image of the install this stack makes. */
  readonly images: ImageMirrors;
}

/**
 * The validated operator keys resolved: the generation, and the sources read (a local bundle
 * parsed once) only when the stack installs the operator. Returns the problems instead when a
 * source cannot be installed.
 */
export function resolveOperator(op: z.output<typeof operatorSchema>): OperatorConfig | string[] {
  const generation = generationOf(op.version);
  const backend = backendOf(generation);
  const problems: string[] = [];
  const read = (key: "source" | "runtimesSource", location: string): OperatorSource | undefined => {
    const resolved = resolveOperatorSource(location);
    if (typeof resolved !== "string") return resolved;
    problems.push(`${keyPath(["trainingOperator", key])}: ${resolved}`);
    return undefined;
  };
  const source = op.install ? read("source", op.source ?? upstreamOperatorSource(op.version)) : undefined;
  const runtimesSource =
    op.install && backend.installsRuntimes
      ? read("runtimesSource", op.runtimesSource ?? upstreamRuntimesSource(op.version))
      : undefined;
  problems.push(...unmatchedImageProblems(op.images, backend.operatorPulledImages, [source, runtimesSource]));
  if (problems.length > 0) return problems;
  return {
    install: op.install,
    version: op.version,
    generation,
    ...(source ? { source } : {}),
    ...(runtimesSource ? { runtimesSource } : {}),
    workerPodSecurity: backend.workerPodSecurity(op),
    trainJobStatus: op.trainJobStatus === true,
    images: op.images,
  };
}

/**
 * `trainingOperator.images` names that no image of the install has, when every object of the
 * install is known here (local rendered files; the provider renders any other source at preview):
 * a mirror that matches nothing leaves the image to be pulled from the internet.
 */
function unmatchedImageProblems(
  images: ImageMirrors,
  operatorPulled: Readonly<Record<string, string>>,
  sources: readonly (OperatorSource | undefined)[],
): string[] {
  const read = sources.filter((s): s is OperatorSource => s !== undefined);
  if (read.length === 0 || read.some((s) => s.kind !== "file")) return [];
  const inManifests = imageNamesOf(read.flatMap((s) => (s.kind === "file" ? s.objects : [])));
  const known = [...new Set([...inManifests, ...Object.keys(operatorPulled)])].sort();
  const shown = known.map((name) => (Object.hasOwn(operatorPulled, name) ? `${name} (${operatorPulled[name]})` : name));
  return Object.keys(images)
    .filter((name) => !known.includes(name))
    .map(
      (name) =>
        `${keyPath(["trainingOperator", "images", name])}: is no image of the install (its images: ${shown.join(", ")})`,
    );
}
