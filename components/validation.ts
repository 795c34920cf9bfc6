// Kubernetes naming and value rules, as regular expressions and small pure checks.
// The config schema uses them so that a bad value is refused before any resource is declared,
// with the same rules the API server and the training operator's webhook would apply later.

/** DNS-1035 label: what the training operator's webhook requires of a PyTorchJob name. */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1123 label: namespaces. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1123 subdomain: most object names (PVCs, PriorityClasses, StorageClasses). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name part of a qualified name (label keys, extended resource names). */
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A label value: empty, or up to 63 alphanumerics with `-`, `_`, `.` inside. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A container environment variable name, as the API server validates it. */
export const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** An image name: `[registry[:port]/]path`, after the grammar of the distribution reference package. */
const IMAGE_NAME_SOURCE =
  // optional registry host[:port]
  "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?" +
  // path components
  "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";

/** An image name without a tag or digest (`registry.example.com/team/trainer`, `alpine`). */
export const IMAGE_NAME = new RegExp(`^${IMAGE_NAME_SOURCE}$`);

/**
 * A container image reference (`[registry[:port]/]path[:tag][@digest]`), after the grammar of
 * the distribution reference package. Anything else (spaces, shell metacharacters, uppercase in the
 * path) is refused.
 */
export const IMAGE_REFERENCE = new RegExp(
  `^${IMAGE_NAME_SOURCE}` +
    // optional tag
    "(?::[\\w][\\w.-]{0,127})?" +
    // optional digest
    "(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?" +
    "$",
);

/** True when `name` is a qualified name: `[prefix/]name`, the prefix a DNS-1123 subdomain. */
export function isQualifiedName(name: string): boolean {
  const parts = name.split("/");
  if (parts.length > 2) return false;
  const local = parts[parts.length - 1];
  if (local.length > 63 || !QUALIFIED_NAME_PART.test(local)) return false;
  if (parts.length === 2) {
    const prefix = parts[0];
    return prefix.length > 0 && prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix);
  }
  return true;
}

/**
 * True when `name` can be an extended resource (a GPU or other device): a qualified name with a
 * domain prefix outside `kubernetes.io`, as the API server requires of extended resources.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#extended-resources
 */
export function isExtendedResourceName(name: string): boolean {
  if (!isQualifiedName(name) || !name.includes("/")) return false;
  const domain = name.split("/")[0];
  return domain !== "kubernetes.io" && !domain.endsWith(".kubernetes.io");
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const QUANTITY_SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Parses a Kubernetes resource quantity (`500m`, `16Gi`, `1e3`) to a number of base units, or
 * returns undefined when it is not one.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export function parseQuantity(value: string): number | undefined {
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const [, sign, digits, suffix = ""] = m;
  const base = Number(digits) * (sign === "-" ? -1 : 1);
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_SUFFIX[suffix];
  const result = base * factor;
  return Number.isFinite(result) ? result : undefined;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The known key closest to `key`, when one is near enough to be a likely typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return bestDistance <= limit ? best : undefined;
}
