// Where a model or dataset comes from: the table of source kinds, `hf://ORG/NAME[@REVISION]`
// (Hugging Face Hub), `s3://BUCKET/PREFIX` (S3 or an S3-compatible store such as MinIO) and
// `pvc://CLAIM/PATH` (already on a PersistentVolumeClaim), each in a module of its own. Every place
// that treats kinds apart reads this table; adding a kind is a module and a row. Parsing is pure and
// total: every string gives either a source or a message saying what would be valid.
import { HF } from "./hf";
import { PVC } from "./pvc";
import { S3 } from "./s3";
import type { FetchedSource, FetchFacts, Source, SourceKind, SourceRole, StackCredentials } from "./types";

export type {
  FetchedSource,
  FetchFacts,
  HfSource,
  PvcSource,
  S3Source,
  Source,
  SourceKind,
  SourceRole,
  StackCredentials,
  StagingImages,
} from "./types";

/** Every source kind, in the order messages list them. */
export const SOURCE_KINDS: readonly SourceKind<Source>[] = [HF, S3, PVC] as unknown as readonly SourceKind<Source>[];

/** The schemes of the kinds a staging Job fetches. */
export const FETCHED_SCHEMES: readonly string[] = SOURCE_KINDS.filter((k) => k.fetch !== undefined).map(
  (k) => k.scheme,
);

/** `a://`, `b://` and `c://` as a message lists them, joined by `last` before the last. */
export function listSchemes(schemes: readonly string[], last: string): string {
  const uris = schemes.map((s) => `${s}://`);
  return uris.length < 2 ? (uris[0] ?? "") : `${uris.slice(0, -1).join(", ")} ${last} ${uris[uris.length - 1]}`;
}

/** The kind of a source. */
export function kindOf<S extends Source>(source: S): SourceKind<S> {
  return SOURCE_KINDS.find((k) => k.scheme === source.kind) as unknown as SourceKind<S>;
}

/** Whether the stack has the credentials a fetch reads (false for a kind that reads none). */
export function hasCredentials(
  fetch: FetchFacts<FetchedSource>,
  credentials: Readonly<Record<StackCredentials, boolean>>,
): boolean {
  return fetch.credentials !== undefined && credentials[fetch.credentials];
}

/** How a staging Job fetches a source it fetches. */
export function fetchOf<S extends FetchedSource>(source: S): FetchFacts<S> {
  return kindOf(source).fetch as unknown as FetchFacts<S>;
}

/**
 * Parses a source URI for the `role` volume. Returns the source, or a message naming what would be
 * valid (never echoing more than the scheme of the input).
 */
export function parseSource(text: string, role: SourceRole): Source | string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/s.exec(text);
  const scheme = m?.[1];
  const kind = SOURCE_KINDS.find((k) => k.scheme === scheme);
  if (kind !== undefined) return kind.parse(m?.[2] ?? "", role);
  const schemes = listSchemes(
    SOURCE_KINDS.map((k) => k.scheme),
    "or",
  );
  return `must start with ${schemes}${scheme !== undefined ? ` (got ${JSON.stringify(`${scheme.slice(0, 16)}://`)})` : ""}`;
}

/** The canonical text of a source, as written in annotations and outputs. */
export function formatSource(source: Source): string {
  return kindOf(source).format(source);
}
