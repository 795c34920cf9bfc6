// The end-to-end toolchain's build on a fresh machine: every module source build.sh reads as files
// (the provider's schema files, Kueue's install) is found in an empty Go module cache, by
// downloading it, as a new contributor's first `.ci/run` needs. The binaries are not built here
// (that is 30 to 45 minutes); `build.sh --sources` runs the same resolution build.sh uses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

const TOOLCHAIN = path.join(__dirname, "e2e", "toolchain");
const noGo = spawnSync("go", ["version"]).status !== 0 && "go is not on PATH (the toolchain is built with it)";

/** The version of a module that a toolchain folder's go.mod requires, as `go mod edit` reads it. */
function required(folder: string, module: string): string {
  const run = spawnSync("go", ["mod", "edit", "-json"], { cwd: path.join(TOOLCHAIN, folder), encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const found = (JSON.parse(run.stdout).Require as { Path: string; Version: string }[]).find((r) => r.Path === module);
  assert.ok(found, `${folder}/go.mod requires ${module}`);
  return found.Version;
}

describe("test/e2e/toolchain/build.sh on a fresh machine", { skip: noGo }, () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-toolchain-"));
  const modcache = path.join(scratch, "gomod");
  const cache = path.join(scratch, "e2e");
  after(() => {
    // The module cache is read-only by design; go removes it.
    spawnSync("go", ["clean", "-modcache"], { env: { ...process.env, GOMODCACHE: modcache } });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("finds every module source it reads in an empty module cache, and builds nothing", () => {
    const run = spawnSync("bash", [path.join(TOOLCHAIN, "build.sh"), "--sources"], {
      env: { ...process.env, GOMODCACHE: modcache, FINETUNE_E2E_CACHE: cache },
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    const provider = `${modcache}/github.com/pulumi/pulumi-kubernetes/provider/v4@${required("provider", "github.com/pulumi/pulumi-kubernetes/provider/v4")}/cmd/pulumi-resource-kubernetes`;
    const kueue = `${modcache}/sigs.k8s.io/kueue@${required("kueue", "sigs.k8s.io/kueue")}/config/default`;
    const files = [`${provider}/schema.json`, `${provider}/terraform-mapping.json`, `${kueue}/kustomization.yaml`];
    assert.equal(run.stdout, files.map((f) => `${f}\n`).join(""));
    for (const file of files) assert.equal(fs.statSync(file).isFile(), true, file);
    assert.equal(fs.existsSync(cache), false);
  });
});
