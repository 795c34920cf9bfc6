// Reading a rendered bundle of Kubernetes objects (an operator install's multi-document YAML): every
// document an object with apiVersion, kind and metadata.name, or an error naming the document.
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as read from a manifest file. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

function isKubernetesObject(v: unknown): v is KubernetesObject {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  const metadata = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === "string" && typeof o.kind === "string" && typeof metadata?.name === "string";
}

/** A bundle that cannot be installed: which document, and why. */
export class BundleError extends Error {
  constructor(
    readonly origin: string,
    readonly reason: string,
  ) {
    super(`${origin}: ${reason}`);
    this.name = "BundleError";
  }
}

/**
 * Parses a multi-document YAML bundle into its objects, skipping empty documents.
 * Throws a `BundleError` with the document number when a document is not YAML or not a
 * Kubernetes object.
 */
export function parseBundle(text: string, origin: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      // The parser's message ends with a snippet of the file; its first line says where and why.
      const why = doc.errors[0].message.split(":\n")[0];
      throw new BundleError(origin, `document ${i + 1} is not valid YAML: ${why}`);
    }
    const value = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isKubernetesObject(value)) {
      throw new BundleError(origin, `document ${i + 1} is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    objects.push(value);
  });
  return objects;
}
