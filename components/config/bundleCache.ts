// A local operator bundle, parsed once per content: later runs read the parse back as JSON.
// Parsing the v1 operator's bundle (mostly CRD schemas) took a noticeable part of every render,
// preview and up; reading its parse back is far cheaper (docs/sharing-a-cluster.md,
// The training operator install, has the numbers). An entry is named by the SHA-256 of the
// bundle's text, the YAML parser's version and the entries' format, so an edited file, a new parser
// or a new format is parsed afresh; a bundle that JSON cannot hold exactly (`.inf`, `.nan`) is never
// kept.
// The cache is the project's node_modules/.cache/finetune (where npm tools keep theirs), used only
// where node_modules exists; anything that fails there falls back to parsing, and only bundles that
// parse are kept.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type KubernetesObject, parseBundle } from "../bundle";

/** The YAML parser's release: a new one may parse differently. */
const YAML_VERSION: string = JSON.parse(fs.readFileSync(require.resolve("yaml/package.json"), "utf8")).version;

/** The project's node_modules, where the cache is kept. */
const NODE_MODULES = path.resolve(__dirname, "../../node_modules");

/** The project's cache folder for parsed bundles; undefined without node_modules. */
export const BUNDLE_CACHE: string | undefined = fs.existsSync(NODE_MODULES)
  ? path.join(NODE_MODULES, ".cache/finetune")
  : undefined;

/** How many parsed bundles the cache keeps (the newest): each takes about what its YAML does. */
export const KEPT_BUNDLES = 8;

/**
 * The entries' format: entries of an earlier one are never read (format 1 kept bundles holding
 * `.inf` or `.nan`, whose numbers JSON wrote as null).
 */
const FORMAT = 2;

/** The cache entry of a bundle's text. */
export function bundleCacheFile(text: string, dir: string): string {
  const digest = createHash("sha256").update(`format ${FORMAT}\nyaml@${YAML_VERSION}\n`).update(text).digest("hex");
  return path.join(dir, `bundle-${digest}.json`);
}

function readEntry(file: string): KubernetesObject[] | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return Array.isArray(value) ? (value as KubernetesObject[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The objects as JSON, or undefined when JSON cannot hold them: a YAML `.inf` or `.nan` would be
 * read back as null, so such a bundle is parsed every time instead.
 */
function asJson(objects: readonly KubernetesObject[]): string | undefined {
  let exact = true;
  const text = JSON.stringify(objects, (_key, value: unknown) => {
    if (typeof value === "number" && !Number.isFinite(value)) exact = false;
    return value;
  });
  return exact ? text : undefined;
}

/** Writes an entry whole (a temporary file renamed), then drops all but the newest entries. */
function writeEntry(file: string, objects: readonly KubernetesObject[]): void {
  const dir = path.dirname(file);
  const json = asJson(objects);
  if (json === undefined) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, json);
    fs.renameSync(partial, file);
    const entries = fs
      .readdirSync(dir)
      .filter((f) => /^bundle-[0-9a-f]{64}\.json$/.test(f))
      .map((f) => ({ f, at: fs.statSync(path.join(dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { f } of entries.slice(KEPT_BUNDLES)) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    // A cache that cannot be written (read-only, full, raced) costs the next run a parse, nothing else.
  }
}

/**
 * `parseBundle`, from the cache when this text was parsed before. Throws what `parseBundle`
 * throws; a bundle that does not parse is never cached.
 */
export function parseBundleCached(text: string, origin: string, dir = BUNDLE_CACHE): KubernetesObject[] {
  if (dir === undefined) return parseBundle(text, origin);
  const file = bundleCacheFile(text, dir);
  const cached = readEntry(file);
  if (cached !== undefined) return cached;
  const objects = parseBundle(text, origin);
  writeEntry(file, objects);
  return objects;
}
