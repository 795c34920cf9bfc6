// The cache of parsed operator bundles: the same objects as a parse, read back when the text is the
// same, parsed afresh when it is not, and never in the way (a broken or unwritable cache parses).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BundleError, parseBundle } from "../components/bundle";
import { BUNDLE_CACHE, bundleCacheFile, KEPT_BUNDLES, parseBundleCached } from "../components/config/bundleCache";
import { OPERATOR_BUNDLE } from "./support/structuralSchema";

const BUNDLE =
  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n---\n# empty\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: op\n  namespace: kubeflow\n";

function cacheDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-bundles-")), "node_modules/.cache/finetune");
}

describe("parsed bundle cache", () => {
  it("is the project's node_modules/.cache/finetune", () => {
    assert.equal(BUNDLE_CACHE, path.resolve(__dirname, "../node_modules/.cache/finetune"));
  });

  it("returns what a parse returns, and keeps it under the text's digest", () => {
    const dir = cacheDir();
    assert.deepEqual(parseBundleCached(BUNDLE, "b.yaml", dir), parseBundle(BUNDLE, "b.yaml"));
    const file = bundleCacheFile(BUNDLE, dir);
    assert.match(path.basename(file), /^bundle-[0-9a-f]{64}\.json$/);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), parseBundle(BUNDLE, "b.yaml"));
    assert.deepEqual(fs.readdirSync(dir), [path.basename(file)]);
  });

  it("reads the entry back instead of parsing the same text again", () => {
    const dir = cacheDir();
    parseBundleCached(BUNDLE, "b.yaml", dir);
    const planted = [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "from-the-cache" } }];
    fs.writeFileSync(bundleCacheFile(BUNDLE, dir), JSON.stringify(planted));
    assert.deepEqual(parseBundleCached(BUNDLE, "b.yaml", dir), planted);
  });

  it("gives .inf, -.inf and .nan back as the parse does, on the first run and every later one", () => {
    const dir = cacheDir();
    const text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\nspec:\n  a: .inf\n  b: -.inf\n  c: .nan\n  d: 1.5\n";
    const parsed = parseBundle(text, "n.yaml");
    assert.deepEqual((parsed[0] as unknown as { spec: unknown }).spec, {
      a: Infinity,
      b: -Infinity,
      c: Number.NaN,
      d: 1.5,
    });
    assert.deepEqual(parseBundleCached(text, "n.yaml", dir), parsed);
    assert.deepEqual(parseBundleCached(text, "n.yaml", dir), parsed);
    assert.equal(fs.existsSync(bundleCacheFile(text, dir)), false);
  });

  it("parses an edited bundle afresh", () => {
    const dir = cacheDir();
    parseBundleCached(BUNDLE, "b.yaml", dir);
    const edited = BUNDLE.replace("name: op", "name: op2");
    assert.notEqual(bundleCacheFile(edited, dir), bundleCacheFile(BUNDLE, dir));
    assert.equal(parseBundleCached(edited, "b.yaml", dir)[1].metadata.name, "op2");
    assert.equal(fs.readdirSync(dir).length, 2);
  });

  it("parses again over an entry that is not a list of objects, and rewrites it", () => {
    const dir = cacheDir();
    parseBundleCached(BUNDLE, "b.yaml", dir);
    for (const broken of ['{"truncated": ', "{}"]) {
      fs.writeFileSync(bundleCacheFile(BUNDLE, dir), broken);
      assert.deepEqual(parseBundleCached(BUNDLE, "b.yaml", dir), parseBundle(BUNDLE, "b.yaml"));
      assert.deepEqual(
        JSON.parse(fs.readFileSync(bundleCacheFile(BUNDLE, dir), "utf8")),
        parseBundle(BUNDLE, "b.yaml"),
      );
    }
  });

  it("throws the parse's error for a bad bundle and keeps nothing", () => {
    const dir = cacheDir();
    assert.throws(
      () => parseBundleCached("kind: [unclosed\n", "bad.yaml", dir),
      (e) => e instanceof BundleError && e.message.startsWith("bad.yaml: document 1 is not valid YAML"),
    );
    assert.throws(
      () => parseBundleCached("a: 1\n", "bad.yaml", dir),
      (e) =>
        e instanceof BundleError &&
        e.reason === "document 1 is not a Kubernetes object (apiVersion, kind, metadata.name)",
    );
    assert.equal(fs.existsSync(dir), false);
  });

  it("parses when the cache cannot be written (a file where its folder should be)", () => {
    const dir = cacheDir();
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.writeFileSync(dir, "not a folder");
    assert.deepEqual(parseBundleCached(BUNDLE, "b.yaml", dir), parseBundle(BUNDLE, "b.yaml"));
    assert.equal(fs.readFileSync(dir, "utf8"), "not a folder");
  });

  it("parses and keeps nothing without a cache folder (no node_modules)", () => {
    assert.deepEqual(parseBundleCached(BUNDLE, "b.yaml", undefined), parseBundle(BUNDLE, "b.yaml"));
  });

  it(`keeps the newest ${KEPT_BUNDLES} entries`, () => {
    const dir = cacheDir();
    const texts = Array.from({ length: KEPT_BUNDLES + 2 }, (_, i) => BUNDLE.replace("name: op", `name: op${i}`));
    texts.forEach((text, i) => {
      parseBundleCached(text, "b.yaml", dir);
      // Distinct modification times, oldest first, whatever the file system's resolution.
      const at = new Date(Date.now() - (texts.length - i) * 60_000);
      fs.utimesSync(bundleCacheFile(text, dir), at, at);
    });
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      texts
        .slice(2)
        .map((t) => path.basename(bundleCacheFile(t, dir)))
        .sort(),
    );
  });

  it("gives the operator's own bundle back unchanged", { skip: !fs.existsSync(OPERATOR_BUNDLE) && "no bundle" }, () => {
    const dir = cacheDir();
    const text = fs.readFileSync(OPERATOR_BUNDLE, "utf8");
    const parsed = parseBundle(text, "op.yaml");
    assert.deepEqual(parseBundleCached(text, "op.yaml", dir), parsed);
    assert.deepEqual(parseBundleCached(text, "op.yaml", dir), parsed);
    assert.equal(parsed.length, 14);
  });
});
