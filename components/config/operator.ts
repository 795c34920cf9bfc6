// The Kubeflow Training Operator install: its release and where its manifests come from.
import * as fs from "node:fs";
import { z } from "zod";
import { BundleError, type KubernetesObject, parseBundle } from "../builders/operator";
import { isPlainObject, strictObject, text } from "./base";

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

/** The upstream kustomize overlay of kubeflow/trainer at `version`. */
export function upstreamOperatorSource(version: string): string {
  return `https://github.com/kubeflow/trainer.git/manifests/overlays/standalone?ref=${version}`;
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
    return { kind: "file", location, objects: parseBundle(fs.readFileSync(location, "utf8"), location) };
  } catch (e) {
    if (e instanceof BundleError) return e.reason;
    return `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

/** `trainingOperator`: whether to install the operator, which release, and from where. */
/** Pod Security levels the operator's Worker init container can meet. */
export const WORKER_POD_SECURITY = ["restricted", "baseline"] as const;

export const operatorSchema = strictObject({
  install: z.boolean({ error: "must be true or false" }).default(true),
  version: z
    .string()
    .regex(/^v1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, {
      error: `must be a v1 release tag of kubeflow/trainer such as ${DEFAULT_OPERATOR_VERSION} (PyTorchJob kubeflow.org/v1 is served by the v1 line only)`,
    })
    .default(DEFAULT_OPERATOR_VERSION),
  source: text()
    .min(1)
    .refine((s) => classifySource(s) !== undefined, {
      error:
        "is neither a URL nor an existing local file or folder (give a kustomize URL, a rendered YAML file, or a kustomize folder)",
    })
    .optional(),
  workerPodSecurity: z.enum(WORKER_POD_SECURITY, { error: `must be ${WORKER_POD_SECURITY.join(" or ")}` }).optional(),
}).superRefine(
  (op, ctx) => {
    if (op.install !== false && op.workerPodSecurity === "baseline") {
      ctx.addIssue({
        code: "custom",
        path: ["workerPodSecurity"],
        message: "applies only with install: false (the operator this stack installs runs a restricted init container)",
      });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);
