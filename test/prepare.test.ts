// package.json's "prepare", which `npm ci` and `npm install` run: it fills the compile caches the
// offline render reads, so that a fresh CI runner's first render compiles nothing, and it never
// fails the install.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OPERATOR_BUNDLE } from "./support/structuralSchema";

const ROOT = path.resolve(__dirname, "..");

/** Files in a cache folder and its subfolders. */
function count(dir: string): number {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

function npm(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync("npm", ["run", "-s", ...args], { cwd: ROOT, env, encoding: "utf8" });
}

describe("npm run prepare", () => {
  it("is what npm ci runs after the install", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    assert.equal(scripts.prepare, "node tools/prepare.js");
  });

  it("leaves no module for the air-gapped render to compile, in either cache", {
    skip: !fs.existsSync(OPERATOR_BUNDLE) && `no operator bundle at ${OPERATOR_BUNDLE}`,
  }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-prepare-"));
    try {
      const tsNode = path.join(dir, "ts-node");
      const compile = path.join(dir, "compile");
      const env = { ...process.env, TS_NODE_CACHE_DIRECTORY: tsNode, NODE_COMPILE_CACHE: compile };
      const prepared = npm(["prepare"], env);
      assert.equal(prepared.stderr, "");
      assert.equal(prepared.status, 0);
      const filled = { tsNode: count(tsNode), compile: count(compile) };
      // Filled by the prepare, not left for the render to fill.
      assert.notEqual(filled.tsNode, 0);
      assert.notEqual(filled.compile, 0);
      const out = path.join(dir, "render.yaml");
      const render = npm(["render", "--", "--config", "test/fixtures/Pulumi.gaudi.yaml", "--out", out], env);
      assert.equal(render.status, 0, render.stderr);
      assert.deepEqual({ tsNode: count(tsNode), compile: count(compile) }, filled);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never fails the install: a cache folder it cannot write is named, and not used", () => {
    const prepared = npm(["prepare"], { ...process.env, TS_NODE_CACHE_DIRECTORY: "/dev/null/ts-node" });
    assert.equal(prepared.status, 0);
    assert.equal(
      prepared.stderr,
      "finetune: the compile caches in /dev/null/ts-node cannot be written: renders and runs compile afresh\n",
    );
  });
});
