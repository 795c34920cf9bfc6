"use strict";
// Runs one of the project's TypeScript tools as Pulumi.yaml runs the program: with the Pulumi SDK's
// own ts-node, transpile only, under tsconfig.pulumi.json (types are checked by `npm test`), and with
// Node.js's on-disk compile cache (Node.js 22.1 and later; in the system's temporary folder, or
// NODE_COMPILE_CACHE; off with NODE_DISABLE_COMPILE_CACHE=1). It starts faster than tsx (README,
// Performance). `npm run render` is `node tools/run.js tools/render.ts`.
//
//   node tools/run.js TOOL.ts [ARGS...]
const Module = require("node:module");
const path = require("node:path");

Module.enableCompileCache?.();
require("@pulumi/pulumi/vendor/ts-node@7.0.1").register({
  project: path.join(__dirname, "..", "tsconfig.pulumi.json"),
  compiler: "typescript",
  transpileOnly: true,
});
// The tool runs as the main module (its `require.main === module` holds) and sees its own arguments.
process.argv.splice(1, 1);
process.argv[1] = path.resolve(process.argv[1]);
Module.runMain();
