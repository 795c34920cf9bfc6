// What a source kind is: how its URI is parsed and written, the volume keys it reads, and, for a
// kind a staging Job fetches, how the fetch runs (image, argv, environment and credentials, the port
// it connects to) and what is worth a warning. One module per kind (hf.ts, s3.ts, pvc.ts); the
// table (index.ts) is the only place that lists them.

/** An environment variable of a fetch: a value, or a key of a Secret of the namespace. */
export interface FetchEnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

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

/** The volume a source fills. */
export type SourceRole = "model" | "dataset";

/** The stack's secrets a fetch may read, each a Kubernetes Secret of the namespace. */
export type StackCredentials = "hfToken" | "s3Credentials";

/** The staging images the stack config names. */
export interface StagingImages {
  readonly hfImage?: string;
  readonly s3Image: string;
}

/** How a staging Job fetches a source of one kind. */
export interface FetchFacts<S extends FetchedSource> {
  /** The stack secret the fetch reads when the stack has it; none for a kind fetched without. */
  readonly credentials?: StackCredentials;
  /** The image that runs the fetch. */
  image(images: StagingImages, jobImage: string): string;
  /** The fetch's argv: the source arrives as argv elements, never inside a shell or program text. */
  argv(source: S, target: string): string[];
  /** Its environment: client settings, and the credentials through secretKeyRef when the stack has them. */
  env(source: S, hasCredentials: boolean): FetchEnvVar[];
  /** The TCP port it connects to (what the staging NetworkPolicy opens). */
  port(source: S): number;
  /** Warnings for a fetch that deploys but may not work (`key`: the source's config key). */
  warnings(key: string, source: S, hasCredentials: boolean): string[];
}

/** A source kind. */
export interface SourceKind<S extends Source> {
  /** The URI scheme, which is also the source's `kind`. */
  readonly scheme: S["kind"];
  /** Parses what follows `<scheme>://` for the `role` volume: the source, or what would be valid. */
  parse(rest: string, role: SourceRole): S | string;
  /** The canonical text of a source, as written in annotations and outputs. */
  format(source: S): string;
  /** Volume keys beside `source` that only this kind reads (s3: endpoint, region). */
  readonly volumeKeys: readonly string[];
  /** The source with the volume keys it reads applied. */
  withKeys(source: S, keys: Readonly<Record<string, unknown>>): S;
  /** How a staging Job fetches it; none for a kind mounted as it is. */
  readonly fetch?: FetchFacts<Extract<S, FetchedSource>>;
  /** For a kind mounted as it is: the claim and the path inside it. */
  mount?(source: S): { readonly claimName: string; readonly subPath?: string };
}

/** Segments of a path inside a bucket or claim: relative, without `..`. */
export const SAFE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._\-/=+@ ]*$/;
