"use strict";
// The program's entry, as Pulumi.yaml runs it: loads index.ts through loader.js (the SDK's own
// ts-node, its cache in the project, not in the shared temporary folder) and hands its default
// export, the async function that declares the stack, to the Pulumi runtime.
require("./loader.js").register();
module.exports = require("./index.ts");
