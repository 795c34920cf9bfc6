// Pure helpers for the Kubeflow Training Operator install: reading a rendered bundle, and the
// rules that keep `pulumi up` from fighting the operator over the fields it manages itself
// (the data of its webhook certificate Secret and the `caBundle` of its webhook configuration).
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

/**
 * An operator fills this Secret with its webhook serving certificate at start-up (the v1
 * operator's and Trainer v2's `*-webhook-cert`, JobSet's `jobset-webhook-server-cert`).
 */
export function isWebhookCertSecret(kind: string, name: string | undefined): boolean {
  return kind === "Secret" && name !== undefined && /-webhook(-server)?-cert$/.test(name);
}

/**
 * Properties of an operator object that the operator itself writes, so Pulumi must neither set
 * nor diff them: the cert Secret's data and each webhook's CA bundle.
 */
export function operatorManagedFields(kind: string, name: string | undefined): string[] {
  if (isWebhookCertSecret(kind, name)) return ["data", "stringData"];
  if (kind === "ValidatingWebhookConfiguration" || kind === "MutatingWebhookConfiguration") {
    return ["webhooks[*].clientConfig.caBundle"];
  }
  return [];
}

/**
 * The object as Pulumi should declare it: without the values the operator manages (the bundle's
 * placeholder `data: {}` would otherwise claim the field on every apply). `kind` is passed apart
 * because a provider-rendered object's kind comes from its resource type.
 */
export function withoutOperatorManagedValues<T extends { readonly metadata?: unknown }>(kind: string, obj: T): T {
  const name = (obj.metadata as { name?: string } | undefined)?.name;
  if (!isWebhookCertSecret(kind, name)) return obj;
  const { data: _data, stringData: _stringData, ...rest } = obj as T & { data?: unknown; stringData?: unknown };
  return rest as T;
}

/** The kind and name of a resource registered by the provider from `kubernetes:<group>/<version>:<Kind>`. */
export function kindOfType(type: string): string | undefined {
  const m = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(type);
  return m ? m[1] : undefined;
}
