"use strict";
// Runs one of the project's TypeScript tools as Pulumi.yaml runs the program (main.js): through
// loader.js (the Pulumi SDK's own ts-node, transpile only, and Node.js's on-disk compile cache, both
// kept in the project's node_modules/.cache/finetune). It starts faster than tsx (docs/performance.md). `npm run render` is `node tools/run.js tools/render.ts`; tools/prepare.js uses
// `register()` to fill both caches at install.
//
//   node tools/run.js TOOL.ts [ARGS...]
const Module = require("node:module");
const path = require("node:path");
const { register } = require("../loader.js");

if (require.main === module) {
  register();
  // The tool runs as the main module (its `require.main === module` holds) and sees its own arguments.
  process.argv.splice(1, 1);
  process.argv[1] = path.resolve(process.argv[1]);
  Module.runMain();
}

module.exports = { register };
