// Kubernetes resource quantities as the API server reads them, so that a GPU count cannot hide
// behind a spelling: `8`, `+8`, `8e0`, `8000m`, `0.008k` are all eight.
// @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/

/** `<sign><digits>[.<digits>]<suffix>`, the suffix binary (Ki..Ei), decimal (n..E) or an exponent. */
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * A quantity as a number: a JSON number as it is, a string by the API server's grammar. Undefined
 * for what the API server would refuse (then the object is never created, and nothing runs).
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const [, sign, digits, binary, decimal, exponent] = m;
  // Scaling by a power of ten in the string, not in floating point, keeps 8000m exactly 8.
  const power = decimal !== undefined ? DECIMAL[decimal] : exponent !== undefined ? Number(exponent) : 0;
  const n = Number(`${digits}e${power}`) * (binary !== undefined ? BINARY[binary] : 1);
  return sign === "-" ? -n : n;
}

/**
 * An extended resource's count (GPUs and other devices): whole devices, so a fraction counts as
 * the next whole number; what cannot be read counts as 0 (the API server refuses the object).
 */
export function deviceCount(value: unknown): number {
  const n = parseQuantity(value);
  return n === undefined || n <= 0 ? 0 : Math.ceil(n);
}
