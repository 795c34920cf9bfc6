// Building blocks of the config schemas: the config namespace, strict objects that name the
// closest known key, and the scalar shapes (text, quantities, names, images, durations) that
// several concerns share.
import { z } from "zod";
import {
  closestKey,
  DNS1123_SUBDOMAIN,
  IMAGE_REFERENCE,
  isQualifiedName,
  LABEL_VALUE,
  parseQuantity,
} from "../validation";

/** The config namespace of every key this program reads (`finetune:jobs`, ...). */
export const CONFIG_NAMESPACE = "finetune";

/** True for a mapping (not null, not a list). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * An object schema that refuses unknown keys, naming the closest known key where one is near.
 * The message is encoded so that `formatIssues` can report each unknown key on its own path.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== "unrecognized_keys") return undefined;
      const perKey = iss.keys.map((key) => {
        const near = closestKey(key, known);
        const hint = near ? `did you mean "${near}"? ` : "";
        return [key, `unknown key; ${hint}valid keys: ${known.join(", ")}`];
      });
      return JSON.stringify(perKey);
    },
  });
}

/** A string without NUL characters (no process can receive one in argv or env). */
export const text = () => z.string().refine((s) => !s.includes("\u0000"), { error: "must not contain NUL characters" });

/** A Kubernetes quantity, `what` naming the kind of value expected in messages. */
export const quantity = (what: string) =>
  z.string().refine(
    (s) => {
      const q = parseQuantity(s);
      return q !== undefined && q > 0;
    },
    { error: `must be a positive Kubernetes quantity, ${what}` },
  );

/** A DNS-1123 subdomain, `what` naming the kind of object in messages. */
export const dns1123Subdomain = (what: string) =>
  z
    .string()
    .max(253, { error: `must be at most 253 characters (${what})` })
    .regex(DNS1123_SUBDOMAIN, {
      error: `must be ${what}: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`,
    });

/** A label or annotation key. */
export const labelKey = z.string().refine(isQualifiedName, {
  error: "must be a label key such as 'example.com/gpu-type' or 'accelerator'",
});

/** A label value. */
export const labelValue = z
  .string()
  .max(63, { error: "must be at most 63 characters (a label value)" })
  .regex(LABEL_VALUE, { error: "must be a label value: letters, digits, '-', '_' and '.'" });

/**
 * A digest a container runtime accepts: the OCI image spec's registered algorithms, each with its
 * exact length in lowercase hex. Anything else passes the reference grammar and then fails every
 * pull (`InvalidImageName`).
 */
const IMAGE_DIGEST = /@(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** A container image reference. */
export const imageReference = z
  .string()
  .max(1024)
  .regex(IMAGE_REFERENCE, {
    error: "must be a container image reference such as registry.example.com/team/trainer:1.2 or ...@sha256:<digest>",
  })
  .refine((image) => !IMAGE_REFERENCE.test(image) || !image.includes("@") || IMAGE_DIGEST.test(image), {
    error: (issue) =>
      `has the digest ${String(issue.input).slice(String(issue.input).indexOf("@") + 1)}, which no container runtime pulls: write @sha256: and the 64 lowercase hex digits of the image's digest (or sha384, sha512)`,
  });

/** A duration as Pulumi custom timeouts take it: `90m`, `2h`, `1h30m`, `45s`. */
export const duration = z
  .string()
  .regex(/^(?=.)(\d+h)?(\d+m)?(\d+s)?$/, { error: "must be a duration such as 90m, 2h or 1h30m" })
  // A malformed duration is reported by the pattern above, once.
  .refine((d) => Number.isNaN(durationSeconds(d)) || durationSeconds(d) > 0, { error: "must be longer than 0s" });

/** Seconds in a duration accepted by the schema. */
export function durationSeconds(d: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  if (!m) return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
