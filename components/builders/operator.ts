// Pure helpers for the Kubeflow Training Operator install: the rules that keep `pulumi up` from
// fighting the operator over the fields it manages itself (the data of its webhook certificate
// Secret and the `caBundle` of its webhook configuration). Reading a bundle is bundle.ts's.

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
