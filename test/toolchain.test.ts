// The end-to-end toolchain's build on a fresh machine: every module source build.sh reads as files
// (the provider's schema files, Kueue's install, the training operator's, KWOK's stages) is found in an empty Go module cache, by
// downloading it, as a new contributor's first `.ci/run` needs. The binaries are not built here
// (that is 30 to 45 minutes); `build.sh --sources` runs the same resolution build.sh uses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { e2eStages } from "../harness/controllers";
import { OPERATOR_V1_BUNDLE, SHARED } from "../harness/paths";

const TOOLCHAIN = path.join(__dirname, "e2e", "toolchain");
/** The KWOK stages the shared folder beside the project holds: what the e2e cluster ran with before. */
const SHARED_STAGES = path.join(SHARED, "kwok", "stages-v0.8.0.yaml");
let kwokStageFiles: string[] = [];
let operatorOverlay = "";
const noKubectl = spawnSync("kubectl", ["version", "--client"]).status !== 0 && "kubectl is not on PATH";
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
    const operator = `${modcache}/github.com/kubeflow/training-operator@${required("controllers", "github.com/kubeflow/training-operator")}/manifests/overlays/standalone`;
    const stages = `${modcache}/sigs.k8s.io/kwok@${required("controllers", "sigs.k8s.io/kwok")}/kustomize/stage`;
    const files = [
      `${provider}/schema.json`,
      `${provider}/terraform-mapping.json`,
      `${kueue}/kustomization.yaml`,
      `${operator}/kustomization.yaml`,
      `${stages}/node/fast/node-initialize.yaml`,
      `${stages}/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml`,
      `${stages}/pod/fast/pod-ready.yaml`,
      `${stages}/pod/fast/pod-delete.yaml`,
      `${stages}/pod/fast/pod-complete.yaml`,
      `${stages}/pod/chaos/pod-container-running-failed.yaml`,
    ];
    assert.equal(run.stdout, files.map((f) => `${f}\n`).join(""));
    for (const file of files) assert.equal(fs.statSync(file).isFile(), true, file);
    assert.equal(fs.existsSync(cache), false);
    operatorOverlay = operator;
    kwokStageFiles = files.slice(4);
  });

  it("KWOK's stages, as the harness makes them from its module's, are the shared folder's stages (their reference)", {
    skip: !fs.existsSync(SHARED_STAGES) && "no ../shared/kwok",
  }, () => {
    assert.equal(kwokStageFiles.length, 6, "the stage files were found (the test above)");
    // As build.sh writes them into one file.
    const upstream = kwokStageFiles.map((f) => `---\n${fs.readFileSync(f, "utf8")}`).join("");
    const reference = parseAllDocuments(fs.readFileSync(SHARED_STAGES, "utf8")).map((d) => d.toJS());
    // The reference marks the pods to fail with a label; the harness names them instead (buildStages).
    const complete = reference.find((s) => s.metadata.name === "e2e-pod-complete");
    complete.spec.selector.matchExpressions = complete.spec.selector.matchExpressions.filter(
      (e: { key: string }) => e.key !== '.metadata.labels["e2e.finetune/fail"]',
    );
    assert.deepEqual(e2eStages(upstream), reference);
  });

  it("the training operator's install, as build.sh renders it from its module (the playground's), is the shared folder's bundle byte for byte", {
    skip: noKubectl || (!fs.existsSync(OPERATOR_V1_BUNDLE) && "no ../shared/kubeflow"),
  }, () => {
    assert.notEqual(operatorOverlay, "", "the overlay was found (the first test)");
    const rendered = spawnSync("kubectl", ["kustomize", operatorOverlay], { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.equal(rendered.stdout, fs.readFileSync(OPERATOR_V1_BUNDLE, "utf8"));
  });
});
