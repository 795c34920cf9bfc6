// Model, dataset and output volumes: a new PersistentVolumeClaim or an existing one, optionally
// filled from a source (hf://, s3://, pvc://), resolved to what the builders need.
import { z } from "zod";
import {
  FETCHED_SCHEMES,
  type FetchedSource,
  kindOf,
  listSchemes,
  parseSource,
  SOURCE_KINDS,
  type Source,
} from "../sources";
import { dns1123Subdomain, isPlainObject, quantity, strictObject, text } from "./base";

/** PersistentVolumeClaim access modes. */
export const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

/** Access modes that a set of pods on several nodes cannot share. */
export const SINGLE_NODE_MODES: readonly string[] = ["ReadWriteOnce", "ReadWriteOncePod"];

const volumeShape = {
  existingClaim: dns1123Subdomain("a PersistentVolumeClaim name").optional(),
  size: quantity("a storage size such as 100Gi").optional(),
  storageClass: dns1123Subdomain("a StorageClass name").optional(),
  accessMode: z.enum(ACCESS_MODES, { error: `must be one of ${ACCESS_MODES.join(", ")}` }).optional(),
};

/** Checks the claim keys of a volume: an existing claim, or a new one with a size. */
function checkClaim(v: Record<string, unknown>, ctx: z.RefinementCtx, what: string): void {
  const isNew = v.size !== undefined || v.storageClass !== undefined || v.accessMode !== undefined;
  if (v.existingClaim !== undefined) {
    for (const key of ["size", "storageClass", "accessMode"]) {
      if (v[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message:
            "cannot be combined with existingClaim: set existingClaim to use a PVC as it is, or size (with storageClass, accessMode) to create one",
        });
      }
    }
  } else if (!isNew) {
    ctx.addIssue({
      code: "custom",
      message: `set existingClaim (an existing PVC) or size (a new PVC, e.g. size: 100Gi)${what}`,
    });
  } else if (v.size === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["size"],
      message: "is required for a new PVC (e.g. 100Gi), or set existingClaim instead",
    });
  }
}

/** Query parameters of a presigned S3 URL, and of its older form: they authenticate a request. */
const SIGNED_QUERY = /^(x-amz-(credential|signature|security-token)|awsaccesskeyid|signature)$/i;

/** True for a URL with user info or a signed query: credentials in what would be plain config. */
function carriesCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.username !== "" ||
      parsed.password !== "" ||
      [...parsed.searchParams.keys()].some((k) => SIGNED_QUERY.test(k))
    );
  } catch {
    return false;
  }
}

/** A model or dataset volume: a claim, optionally filled from a source. */
export const inputVolumeSchema = (role: "model" | "dataset") =>
  strictObject({
    ...volumeShape,
    source: text().optional(),
    endpoint: z
      .url({
        protocol: /^https?$/,
        error: "must be an http(s) URL of an S3-compatible endpoint, e.g. https://minio.example.com:9000",
      })
      .refine((url) => !carriesCredentials(url), {
        // The message never repeats the value: it holds a credential.
        error:
          "must not carry credentials (a user:password@ or a signed query such as X-Amz-Credential): it is written into the staging Job and the state in clear text. Give the endpoint's URL alone, and the keys as secrets in s3AccessKeyId and s3SecretAccessKey",
      })
      .optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, { error: "must be a region name such as us-east-1" })
      .optional(),
    restage: text().min(1).max(1024).optional(),
  }).superRefine(
    (v, ctx) => {
      const source = typeof v.source === "string" ? parseSource(v.source, role) : undefined;
      if (typeof source === "string") ctx.addIssue({ code: "custom", path: ["source"], message: source });
      const kind = typeof source === "object" ? kindOf(source) : undefined;
      const keys = v as Readonly<Record<string, unknown>>;
      for (const other of SOURCE_KINDS.filter((k) => k !== kind)) {
        for (const key of other.volumeKeys.filter((k) => keys[k] !== undefined)) {
          ctx.addIssue({ code: "custom", path: [key], message: `applies only to an ${other.scheme}:// source` });
        }
      }
      if (v.restage !== undefined && kind?.fetch === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["restage"],
          message: `applies only to an ${listSchemes(FETCHED_SCHEMES, "or")} source, which a staging Job fetches`,
        });
      }
      if (kind?.mount !== undefined) {
        for (const key of ["existingClaim", "size", "storageClass", "accessMode"] as const) {
          if (v[key] !== undefined) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `cannot be combined with a ${kind.scheme}:// source, which names the claim to mount`,
            });
          }
        }
        return;
      }
      if (v.source !== undefined && typeof source === "string") return;
      checkClaim(v, ctx, kind ? ` to stage ${kind.scheme}:// into` : "");
    },
    { when: (payload) => isPlainObject(payload.value) },
  );

/** The output volume: a claim that receives checkpoints, kept when the stack is destroyed. */
export const outputVolumeSchema = strictObject({
  ...volumeShape,
  retain: z.boolean({ error: "must be true or false" }).default(true),
  protect: z.boolean({ error: "must be true or false" }).default(false),
}).superRefine((v, ctx) => checkClaim(v, ctx, ""), { when: (payload) => isPlainObject(payload.value) });

type InputVolumeInput = z.output<ReturnType<typeof inputVolumeSchema>>;
type OutputVolumeInput = z.output<typeof outputVolumeSchema>;

/** A volume: an existing PersistentVolumeClaim, used as it is. */
export interface ExistingVolume {
  readonly kind: "existing";
  /** Name of the PVC in the job namespace. */
  readonly claimName: string;
  /** Path inside the claim to mount (a `pvc://CLAIM/PATH` source); its root when unset. */
  readonly subPath?: string;
  /** What a staging Job fetches into the claim before training; nothing when unset. */
  readonly fetch?: FetchedSource;
  /** A token whose change fetches the source again (and so prepares and trains again). */
  readonly restage?: string;
}

/** A volume: a new PersistentVolumeClaim that the program creates. */
export interface NewVolume {
  readonly kind: "new";
  /** Requested storage, a Kubernetes quantity. */
  readonly size: string;
  /** StorageClass; the cluster default when unset. */
  readonly storageClass?: string;
  /**
   * Access mode.
   * @default ReadWriteOnce for a 1-node job, ReadWriteMany when the job spans several nodes
   */
  readonly accessMode: (typeof ACCESS_MODES)[number];
  /** What a staging Job fetches into the claim before training; nothing when unset. */
  readonly fetch?: FetchedSource;
  /** A token whose change fetches the source again (and so prepares and trains again). */
  readonly restage?: string;
  /**
   * Keep the PVC (and its data) when the stack is destroyed or the volume removed.
   * @default true for the output volume, false for model and dataset
   */
  readonly retain: boolean;
  /**
   * Refuse to delete the PVC at all (Pulumi `protect`).
   * @default false
   */
  readonly protect: boolean;
}

/** A job volume: model, dataset or output. */
export type Volume = ExistingVolume | NewVolume;

function defaultAccessMode(nodes: number): NewVolume["accessMode"] {
  return nodes > 1 ? "ReadWriteMany" : "ReadWriteOnce";
}

/** A validated model or dataset volume as the builders use it: new or existing claim, and what to fetch into it. */
export function resolveInputVolume(v: InputVolumeInput, role: "model" | "dataset", nodes: number): Volume {
  const source = v.source !== undefined ? (parseSource(v.source, role) as Source) : undefined;
  const kind = source !== undefined ? kindOf(source) : undefined;
  const mount = source !== undefined ? kind?.mount?.(source) : undefined;
  if (mount !== undefined) return { kind: "existing", ...mount };
  const fetch: { fetch?: FetchedSource; restage?: string } =
    source !== undefined && kind !== undefined ? { fetch: kind.withKeys(source, v) as FetchedSource } : {};
  if (v.restage !== undefined) fetch.restage = v.restage;
  if (v.existingClaim !== undefined) return { kind: "existing", claimName: v.existingClaim, ...fetch };
  return {
    kind: "new",
    size: v.size as string,
    ...(v.storageClass !== undefined ? { storageClass: v.storageClass } : {}),
    accessMode: v.accessMode ?? defaultAccessMode(nodes),
    ...fetch,
    retain: false,
    protect: false,
  };
}

/** A validated output volume as the builders use it. */
export function resolveOutputVolume(v: OutputVolumeInput, nodes: number): Volume {
  if (v.existingClaim !== undefined) return { kind: "existing", claimName: v.existingClaim };
  return {
    kind: "new",
    size: v.size as string,
    ...(v.storageClass !== undefined ? { storageClass: v.storageClass } : {}),
    accessMode: v.accessMode ?? defaultAccessMode(nodes),
    retain: v.retain,
    protect: v.protect,
  };
}
