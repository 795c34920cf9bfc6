"use strict";
// package.json's "prepare", which `npm ci` and `npm install` run once the packages are in place:
// loads the offline render (the whole program with it) through tools/run.js, without running it,
// so that the compile caches run.js reads (ts-node's and Node.js's, in node_modules/.cache/finetune)
// already hold its modules when `npm run render` first runs on a fresh CI runner (docs/performance.md). Both caches are keyed by content: an edited file is compiled afresh, never read
// stale. Never fails the install: a cache folder that cannot be written is named and not used.
try {
  const unused = require("./run.js").register();
  if (unused.length > 0) {
    console.warn(`finetune: the compile caches in ${unused.join(" and ")} cannot be written: renders and runs compile afresh`);
  }
  require("./render.ts");
  // The Kubernetes SDK loads each resource class on first use: those of the API groups the program
  // and the training operator's bundles declare.
  const k8s = require("@pulumi/kubernetes");
  void k8s.Provider;
  void k8s.yaml.ConfigGroup;
  void k8s.kustomize.v2.Directory;
  const groups = [k8s.core, k8s.apps, k8s.batch, k8s.networking, k8s.rbac, k8s.apiextensions, k8s.admissionregistration];
  for (const group of groups) {
    for (const member of Object.keys(group.v1)) void group.v1[member];
  }
} catch (e) {
  console.warn(
    `finetune: the render's compile caches were not filled (${e instanceof Error ? e.message : String(e)}); the first npm run render fills them`,
  );
}
