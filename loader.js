"use strict";
// How the program's TypeScript is loaded, for Pulumi.yaml's runs (main.js) and the project's tools
// (tools/run.js): the Pulumi SDK's own ts-node, transpile only, under tsconfig.pulumi.json (types
// are checked by `npm test`), with Node.js's on-disk compile cache. Both caches are kept in the
// project's node_modules/.cache/finetune: never in the shared temporary folder, where ts-node 7
// would put them by default and another user of the machine could plant compiled code first
// (README, Security). TS_NODE_CACHE_DIRECTORY and NODE_COMPILE_CACHE name other folders;
// TS_NODE_CACHE=false and NODE_DISABLE_COMPILE_CACHE=1 turn them off. A cache folder that cannot
// be written is not used.
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const cache = path.join(__dirname, "node_modules", ".cache", "finetune");

/** True when `dir` exists (or can be made) and this user can write there. */
function writable(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns on both compile caches and registers the SDK's ts-node for `.ts` files. Returns the cache
 * folders it could not use (they cannot be written).
 */
function register() {
  const unused = [];
  const compileCache = process.env.NODE_COMPILE_CACHE || path.join(cache, "node-compile-cache");
  if (process.env.NODE_DISABLE_COMPILE_CACHE !== "1") {
    if (writable(compileCache)) Module.enableCompileCache?.(compileCache);
    else unused.push(compileCache);
  }
  const tsNodeCache = process.env.TS_NODE_CACHE_DIRECTORY || path.join(cache, "ts-node");
  const tsNodeCached = process.env.TS_NODE_CACHE !== "false" && writable(tsNodeCache);
  if (process.env.TS_NODE_CACHE !== "false" && !tsNodeCached) unused.push(tsNodeCache);
  require("@pulumi/pulumi/vendor/ts-node@7.0.1").register({
    project: path.join(__dirname, "tsconfig.pulumi.json"),
    compiler: "typescript",
    transpileOnly: true,
    cache: tsNodeCached,
    cacheDirectory: tsNodeCache,
  });
  return unused;
}

module.exports = { register };
