// Where a model or dataset comes from: `hf://ORG/NAME[@REVISION]` (Hugging Face Hub),
// `s3://BUCKET/PREFIX` (S3 or an S3-compatible store such as MinIO) or `pvc://CLAIM/PATH`
// (already on a PersistentVolumeClaim). Parsing is pure and total: every string gives either a
// source or a message saying what would be valid.
import { DNS1123_SUBDOMAIN } from "./validation";

/** A Hugging Face Hub repository, fetched into the volume by a staging Job. */
export interface HfSource {
  readonly kind: "hf";
  /** `ORG/NAME`. */
  readonly repo: string;
  /** Branch, tag or commit; the default branch when unset. */
  readonly revision?: string;
  /** Which kind of Hub repository: from an explicit `models/` or `datasets/` prefix, else the volume. */
  readonly repoType: "model" | "dataset";
}

/** An S3 prefix, fetched into the volume by a staging Job. */
export interface S3Source {
  readonly kind: "s3";
  readonly bucket: string;
  /** Key prefix inside the bucket; empty for the whole bucket. */
  readonly prefix: string;
  /** An S3-compatible endpoint (MinIO, Ceph RGW, ...); AWS when unset. */
  readonly endpoint?: string;
  /** The bucket's region; the client's default when unset. */
  readonly region?: string;
}

/** A path on an existing PersistentVolumeClaim, mounted as it is (nothing to fetch). */
export interface PvcSource {
  readonly kind: "pvc";
  readonly claim: string;
  /** Path inside the claim; empty for its root. */
  readonly path: string;
}

/** A model or dataset source. */
export type Source = HfSource | S3Source | PvcSource;

/** A source that a staging Job must fetch. */
export type FetchedSource = HfSource | S3Source;

const HF_SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const HF_REVISION = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SAFE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._\-/=+@ ]*$/;

function hf(rest: string, role: "model" | "dataset"): Source | string {
  const example = `e.g. hf://ibm-granite/granite-3.1-8b-base or hf://${role === "dataset" ? "datasets/" : ""}ORG/NAME@REVISION`;
  let body = rest;
  let repoType: "model" | "dataset" = role;
  if (body.startsWith("datasets/")) {
    repoType = "dataset";
    body = body.slice("datasets/".length);
  } else if (body.startsWith("models/")) {
    repoType = "model";
    body = body.slice("models/".length);
  }
  const at = body.lastIndexOf("@");
  const repo = at >= 0 ? body.slice(0, at) : body;
  const revision = at >= 0 ? body.slice(at + 1) : undefined;
  const parts = repo.split("/");
  if (parts.length !== 2 || !parts.every((p) => HF_SEGMENT.test(p))) {
    return `hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), ${example}`;
  }
  if (revision !== undefined && (revision.length === 0 || revision.length > 255 || !HF_REVISION.test(revision))) {
    return `hf:// revision after '@' must be a branch, tag or commit, ${example}`;
  }
  return { kind: "hf", repo, repoType, ...(revision !== undefined ? { revision } : {}) };
}

function s3(rest: string): Source | string {
  const slash = rest.indexOf("/");
  const bucket = slash >= 0 ? rest.slice(0, slash) : rest;
  const prefix = slash >= 0 ? rest.slice(slash + 1) : "";
  if (bucket.length === 0) return "s3:// needs a bucket, e.g. s3://my-bucket/datasets/run-1";
  if (!S3_BUCKET.test(bucket)) {
    return "s3:// bucket must be 3-63 lowercase letters, digits, '.' and '-', e.g. s3://my-bucket/datasets/run-1";
  }
  if (prefix.length > 1024 || !SAFE_PATH.test(prefix)) {
    return "s3:// prefix must be a relative key prefix without '..' (letters, digits, '/', '.', '_', '-', '=', '+', '@', space)";
  }
  return { kind: "s3", bucket, prefix };
}

function pvc(rest: string): Source | string {
  const slash = rest.indexOf("/");
  const claim = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1).replace(/\/+$/, "") : "";
  if (claim.length === 0) return "pvc:// needs a claim name, e.g. pvc://shared-models/granite-3.1-8b";
  if (claim.length > 253 || !DNS1123_SUBDOMAIN.test(claim)) {
    return "pvc:// claim must be a PersistentVolumeClaim name (lowercase letters, digits, '-', '.'), e.g. pvc://shared-models/granite-3.1-8b";
  }
  if (path.length > 1024 || !SAFE_PATH.test(path)) {
    return "pvc:// path must be relative to the claim, without '..'";
  }
  return { kind: "pvc", claim, path };
}

/**
 * Parses a source URI for the `role` volume. Returns the source, or a message naming what would be
 * valid (never echoing more than the scheme of the input).
 */
export function parseSource(text: string, role: "model" | "dataset"): Source | string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/s.exec(text);
  const scheme = m?.[1];
  switch (scheme) {
    case "hf":
      return hf(m?.[2] ?? "", role);
    case "s3":
      return s3(m?.[2] ?? "");
    case "pvc":
      return pvc(m?.[2] ?? "");
    default:
      return `must start with hf://, s3:// or pvc://${scheme !== undefined ? ` (got ${JSON.stringify(`${scheme.slice(0, 16)}://`)})` : ""}`;
  }
}

/** The canonical text of a source, as written in annotations and outputs. */
export function formatSource(source: Source): string {
  switch (source.kind) {
    case "hf":
      return `hf://${source.repoType === "dataset" ? "datasets/" : ""}${source.repo}${source.revision !== undefined ? `@${source.revision}` : ""}`;
    case "s3":
      return `s3://${source.bucket}/${source.prefix}`;
    case "pvc":
      return `pvc://${source.claim}/${source.path}`;
  }
}
