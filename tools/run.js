"use strict";
// Runs one of the project's TypeScript tools as Pulumi.yaml runs the program: with the Pulumi SDK's
// own ts-node, transpile only, under tsconfig.pulumi.json (types are checked by `npm test`), and with
// Node.js's on-disk compile cache (Node.js 22.1 and later). It starts faster than tsx (README,
// Performance). Both caches are kept in the project's node_modules/.cache/finetune, not in the
// shared temporary folder, where another user of the machine could plant compiled code (unless
// TS_NODE_CACHE_DIRECTORY or NODE_COMPILE_CACHE name another; off with TS_NODE_CACHE=false and
// NODE_DISABLE_COMPILE_CACHE=1). `npm run render` is `node tools/run.js tools/render.ts`;
// tools/prepare.js uses `register()` to fill both caches at install.
//
//   node tools/run.js TOOL.ts [ARGS...]
const Module = require("node:module");
const path = require("node:path");

const cache = path.join(__dirname, "..", "node_modules", ".cache", "finetune");

/** Turns on both compile caches and registers the SDK's ts-node for `.ts` files. */
function register() {
  Module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || path.join(cache, "node-compile-cache"));
  require("@pulumi/pulumi/vendor/ts-node@7.0.1").register({
    project: path.join(__dirname, "..", "tsconfig.pulumi.json"),
    compiler: "typescript",
    transpileOnly: true,
    cacheDirectory: process.env.TS_NODE_CACHE_DIRECTORY || path.join(cache, "ts-node"),
  });
}

if (require.main === module) {
  register();
  // The tool runs as the main module (its `require.main === module` holds) and sees its own arguments.
  process.argv.splice(1, 1);
  process.argv[1] = path.resolve(process.argv[1]);
  Module.runMain();
}

module.exports = { register };
