// The offline render, run as users run it: package.json's `npm run render` command.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { runProgram } from "../tools/mockRun";
import {
  describeOptions,
  readStackFile,
  redact,
  renderResources,
  renderStack,
  SECRET_PLACEHOLDER,
} from "../tools/render";
import { renderArgs } from "./support/renderCommand";
import { withoutRecord } from "./support/stacks";
import { OPERATOR_BUNDLE } from "./support/structuralSchema";

const ROOT = path.resolve(__dirname, "..");

function render(...args: string[]) {
  const result = spawnSync(process.execPath, renderArgs(...args), {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Splits a render into [comment line, object] pairs. */
function documents(text: string): { comment: string; object: Record<string, any> | null }[] {
  return text
    .split(/^---\n/m)
    .filter((doc) => doc.length > 0)
    .map((doc) => ({ comment: doc.split("\n")[0], object: parse(doc) ?? null }));
}

describe("npm run render -- --stack dev", () => {
  const { code, stdout, stderr } = render("--stack", "dev");

  it("exits 0 with nothing on stderr", () => {
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
  });

  it("prints each object once, behind a comment naming its Pulumi resource", () => {
    const docs = documents(stdout);
    assert.deepEqual(
      docs.map((d) => d.comment.split(" | ")[0].replace(/^# /, "")),
      [
        "kubernetes:core/v1:Namespace llm-finetune",
        "kubernetes:core/v1:ServiceAccount llm-finetune-service-account",
        "kubernetes:kustomize/v2:Directory training-operator",
        "kubernetes:core/v1:PersistentVolumeClaim granite-model",
        "kubernetes:core/v1:PersistentVolumeClaim granite-output",
        "kubernetes:batch/v1:Job granite-stage-model",
        "kubernetes:batch/v1:Job granite-prepare",
        "kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob",
        "kubernetes:core/v1:PersistentVolumeClaim llama-sweep-dataset",
        "kubernetes:core/v1:PersistentVolumeClaim llama-sweep-output",
        "kubernetes:batch/v1:Job llama-sweep-stage-dataset",
        "kubernetes:kubeflow.org/v1:PyTorchJob llama-sweep-pytorchjob",
      ],
    );
    assert.equal(docs[2].object, null, "the provider-rendered install is a comment only");
    assert.match(
      stdout,
      /rendered by the Kubernetes provider at deploy time from "https:\/\/github.com\/kubeflow\/trainer.git\/manifests\/overlays\/standalone\?ref=v1.9.4"/,
    );
    for (const d of docs.filter((d) => d.object !== null)) {
      assert.equal(typeof d.object?.apiVersion, "string");
      assert.equal(typeof d.object?.kind, "string");
      assert.equal(typeof d.object?.metadata?.name, "string");
    }
  });

  it("shows the dependencies of each PyTorchJob in its comment", () => {
    assert.match(
      stdout,
      /# kubernetes:kubeflow.org\/v1:PyTorchJob granite-pytorchjob \| dependsOn=\[granite-model, granite-output, granite-stage-model, granite-prepare, training-operator, llm-finetune-service-account\] \| deleteBeforeReplace \| replaceOnChanges=\[spec\] \| afterCreate=\[finetune-wait-granite\] \| afterUpdate=\[finetune-wait-granite\] \| beforeCreate=\[finetune-create-guard\]\n/,
    );
  });

  it("is the same on a second run (no random or time values)", () => {
    assert.equal(render("--stack", "dev").stdout, stdout);
  });
});

describe("render of a bad stack", () => {
  it("exits 1, names every key on stderr and writes nothing", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-")), "out.yaml");
    const { code, stdout, stderr } = render("--config", "test/fixtures/Pulumi.mistakes.yaml", "--out", out);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(fs.existsSync(out), false);
    assert.equal(stderr.includes("    at "), false, "no stack trace");
    const lines = stderr.trim().split("\n");
    assert.equal(lines[0], "Invalid stack config (14 problems); nothing was deployed:");
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.trim().split(": ")[0])
        .sort(),
      [
        "finetune:hfToken",
        "finetune:jobs.Granite",
        "finetune:jobs.llama.dataset",
        "finetune:jobs.llama.gpuResource",
        "finetune:jobs.llama.gpusPerNode",
        "finetune:jobs.llama.image",
        "finetune:jobs.llama.model",
        "finetune:jobs.llama.output.accessMode",
        "finetune:jobs.llama.runPolicy.cleanPodPolicy",
        "finetune:jobs.llama.shmSize",
        "finetune:jobs.llama.trainer.epochs",
        "finetune:namespace",
        "finetune:trainingOperator.install",
        "finetune:trainingOperator.verison",
      ],
    );
    assert.equal(stderr.includes("hf_plaintext_token"), false, "the plaintext token is not echoed");
  });

  it("refuses unknown arguments and a missing stack file", () => {
    assert.equal(render("--stak", "dev").code, 2);
    const missing = render("--stack", "nope");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no stack config at .*Pulumi\.nope\.yaml/);
  });
});

describe("render with secrets", { skip: !fs.existsSync(OPERATOR_BUNDLE) && "no operator bundle" }, () => {
  it("prints the secret as a placeholder, keeping the Secret's shape, and writes --out", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-")), "gaudi.yaml");
    const { code, stdout, stderr } = render("--config", "test/fixtures/Pulumi.gaudi.yaml", "--out", out);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "");
    const text = fs.readFileSync(out, "utf8");
    assert.equal(text.includes("bm90LWEtcmVhbC1jaXBoZXJ0ZXh0"), false);
    const secret = documents(text).find((d) => d.object?.kind === "Secret" && d.object.metadata.name === "hf-token");
    assert.deepEqual(secret?.object?.stringData, { token: SECRET_PLACEHOLDER });
    // The local bundle is rendered object by object: 14 operator objects, 2 jobs, their PVCs.
    assert.equal(documents(text).filter((d) => d.object?.metadata?.namespace === "kubeflow").length, 4);
    assert.match(
      text,
      /# kubernetes:core\/v1:Secret kubeflow\/training-operator-webhook-cert \| dependsOn=\[kubeflow, jaxjobs\.kubeflow\.org, mpijobs\.kubeflow\.org, paddlejobs\.kubeflow\.org, pytorchjobs\.kubeflow\.org, tfjobs\.kubeflow\.org, xgboostjobs\.kubeflow\.org\] \| ignoreChanges=\[data, stringData\] \| beforeCreate=\[finetune-create-guard-install\] \| beforeDelete=\[finetune-delete-guard-install\]\n/,
    );
  });

  it("prints the whole render into a pipe (`| kubectl apply -f -`), the same bytes as --out", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-")), "gaudi.yaml");
    assert.equal(render("--config", "test/fixtures/Pulumi.gaudi.yaml", "--out", out).code, 0);
    const written = fs.readFileSync(out, "utf8");
    const { code, stdout, stderr } = render("--config", "test/fixtures/Pulumi.gaudi.yaml");
    assert.equal(code, 0, stderr);
    // Several megabytes (the operator's CRDs): far more than a pipe holds at once.
    assert.ok(written.length > 1024 * 1024, `${written.length} bytes`);
    assert.equal(stdout.length, written.length);
    assert.equal(stdout, written);
  });
});

describe("render of a stack with hf:// and s3:// sources", () => {
  const { code, stdout, stderr } = render("--config", "test/fixtures/Pulumi.sources.yaml");
  const comments = documents(stdout).map((d) => d.comment);

  it("shows one staging Job per fetched volume, one data preparation Job, and the PyTorchJob after them", () => {
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      comments.filter((c) => c.includes("batch/v1:Job") || c.includes("PyTorchJob granite")),
      [
        '# kubernetes:batch/v1:Job granite-stage-model | dependsOn=[granite-model, llm-staging-hf-token, llm-staging-service-account] | deleteBeforeReplace | replaceOnChanges=[spec] | customTimeouts={"create":"3h","update":"3h"} | beforeCreate=[finetune-create-guard]',
        '# kubernetes:batch/v1:Job granite-stage-dataset | dependsOn=[granite-dataset, llm-staging-s3-credentials, llm-staging-service-account] | deleteBeforeReplace | replaceOnChanges=[spec] | customTimeouts={"create":"3h","update":"3h"} | beforeCreate=[finetune-create-guard]',
        '# kubernetes:batch/v1:Job granite-prepare | dependsOn=[granite-model, granite-dataset, granite-stage-model, granite-stage-dataset, llm-staging-service-account] | deleteBeforeReplace | replaceOnChanges=[spec] | customTimeouts={"create":"3h","update":"3h"} | beforeCreate=[finetune-create-guard]',
        "# kubernetes:kubeflow.org/v1:PyTorchJob granite-pytorchjob | dependsOn=[granite-model, granite-dataset, granite-output, granite-stage-model, granite-stage-dataset, granite-prepare, llm-staging-hf-token, llm-staging-service-account] | deleteBeforeReplace | replaceOnChanges=[spec] | afterCreate=[finetune-wait-granite] | afterUpdate=[finetune-wait-granite] | beforeCreate=[finetune-create-guard]",
      ],
    );
  });

  it("shows the waits as annotations: the program's own, the provider told not to wait", () => {
    const jobs = documents(stdout).filter((d) => d.object?.kind === "PyTorchJob");
    assert.deepEqual(
      jobs.map((d) => withoutRecord(d.object?.metadata.annotations)),
      [
        {
          "example.com/ticket": "ML-1234",
          "finetune/stack": "organization/finetune/sources",
          "finetune/wait": "succeeded",
          "pulumi.com/skipAwait": "true",
        },
        { "finetune/stack": "organization/finetune/sources", "pulumi.com/skipAwait": "true" },
      ],
    );
  });

  it("retains every output PVC on delete (unless opted out), protected where asked", () => {
    assert.deepEqual(
      comments.filter((c) => c.includes("PersistentVolumeClaim") && c.includes("-output")),
      [
        "# kubernetes:core/v1:PersistentVolumeClaim granite-output | protect | retainOnDelete | beforeCreate=[finetune-create-guard]",
        "# kubernetes:core/v1:PersistentVolumeClaim smoke-output | beforeCreate=[finetune-create-guard]",
      ],
    );
    // Retained, so never deleted: no delete guard.
    assert.equal(
      comments[0],
      "# kubernetes:core/v1:Namespace llm-staging | retainOnDelete | beforeCreate=[finetune-create-guard]",
    );
  });

  it("prints the credentials as placeholders", () => {
    const secrets = documents(stdout).filter((d) => d.object?.kind === "Secret");
    assert.deepEqual(
      secrets.map((d) => d.object?.stringData),
      [{ token: SECRET_PLACEHOLDER }, { accessKeyId: SECRET_PLACEHOLDER, secretAccessKey: SECRET_PLACEHOLDER }],
    );
  });
});

describe("render: the fake engine echoes only each object's identity", () => {
  // The render's engine returns apiVersion, kind and metadata as each object's state; a provider
  // returns the whole object. Outside a preview the SDK fills what the engine leaves out with the
  // inputs, so the render, its warnings and the program's outputs must come out the same.
  const stacks = [
    "Pulumi.dev.yaml",
    ...fs.readdirSync(path.join(ROOT, "test/fixtures")).map((f) => `test/fixtures/${f}`),
  ]
    .filter((f) => /Pulumi\.[^/]*\.yaml$/.test(f) && !f.endsWith("mistakes.yaml"))
    .filter((f) => !f.endsWith("gaudi.yaml") || fs.existsSync(OPERATOR_BUNDLE));
  for (const file of stacks) {
    it(`renders ${file} exactly as with the whole object echoed`, async () => {
      const { config, secretKeys } = readStackFile(path.join(ROOT, file));
      const run = (echo: "inputs" | "identity") =>
        runProgram(config, secretKeys, { stack: "echo", verifySecrets: false, echo });
      const whole = await run("inputs");
      const rendered = await renderStack(config, secretKeys, "echo");
      assert.ok(whole.resources.length > 1);
      assert.equal(rendered.text, renderResources(whole.resources));
      assert.deepEqual(rendered.warnings, whole.warnings);
      // What the program reads back (names, namespaces) reaches its outputs unchanged.
      assert.deepEqual((await run("identity")).outputs, whole.outputs);
    });
  }
});

describe("the render reads the same in YAML 1.1 and 1.2", () => {
  // kubectl (sigs.k8s.io/yaml, go-yaml v2) and PyYAML read YAML 1.1, where plain `on`, `yes`, `no`,
  // `y`, `off`, `2026-12-05` and `1:20` are booleans, dates and numbers; YAML 1.2 reads them as strings.
  const AMBIGUOUS = ["on", "yes", "no", "y", "off", "2026-12-05", "1:20", "0755", "1_000"];
  it("quotes every string a YAML 1.1 reader would read as something else", async () => {
    const labelValues = AMBIGUOUS.filter((v) => /^[A-Za-z0-9._-]+$/.test(v));
    const nodeSelector = Object.fromEntries(labelValues.map((v, i) => [`example.com/k${i}`, v]));
    const config = {
      "finetune:namespace": "ml",
      "finetune:trainingOperator": JSON.stringify({ install: false }),
      "finetune:jobs": JSON.stringify({
        a: {
          image: "registry.example.com/ml/trainer:1.0",
          output: { size: "1Gi" },
          trainer: { type: "command", command: ["python", "train.py", ...AMBIGUOUS] },
          scheduling: { nodeSelector },
        },
      }),
    };
    const { text } = await renderStack(config, [], "yaml11");
    const objects = (version: "1.1" | "1.2") =>
      text
        .split(/^---\n/m)
        .filter((d) => d.length > 0)
        .map((d) => parse(d, { version }));
    assert.deepEqual(objects("1.1"), objects("1.2"));
    const job = objects("1.1").find((o) => o.kind === "PyTorchJob");
    const pod = job.spec.pytorchReplicaSpecs.Master.template.spec;
    assert.deepEqual(pod.nodeSelector, nodeSelector);
    assert.deepEqual(pod.containers[0].command.slice(-AMBIGUOUS.length), AMBIGUOUS);
  });
});

describe("render helpers", () => {
  it("reads a stack file: objects as JSON, scalars as strings, secure values as secrets", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-stack-")), "Pulumi.x.yaml");
    fs.writeFileSync(
      file,
      "config:\n  finetune:namespace: ml\n  finetune:jobs:\n    a: {nodes: 2}\n  finetune:hfToken:\n    secure: v1:abc\n",
    );
    assert.deepEqual(readStackFile(file), {
      config: { "finetune:namespace": "ml", "finetune:jobs": '{"a":{"nodes":2}}', "finetune:hfToken": "[secret]" },
      secretKeys: ["finetune:hfToken"],
    });
  });

  it("redacts nested secrets and leaves the rest", () => {
    const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
    assert.deepEqual(redact({ a: 1, s: { ...sig, value: { token: "t", n: ["x"] } } }), {
      a: 1,
      s: { token: "[secret]", n: ["[secret]"] },
    });
  });

  it("lists every lifecycle option that is set", () => {
    const line = describeOptions({
      type: "t",
      name: "n",
      custom: true,
      inputs: {},
      options: {
        dependsOn: ["a", "b"],
        protect: true,
        retainOnDelete: true,
        deleteBeforeReplace: true,
        replaceOnChanges: ["spec"],
        ignoreChanges: ["data"],
        transforms: [],
        hooks: { beforeCreate: ["finetune-create-guard"], beforeDelete: ["d1", "d2"] },
      },
    });
    assert.equal(
      line,
      "# t n | dependsOn=[a, b] | protect | retainOnDelete | deleteBeforeReplace | replaceOnChanges=[spec] | ignoreChanges=[data] | beforeCreate=[finetune-create-guard] | beforeDelete=[d1, d2]",
    );
  });
});

describe("render of a new project's stack (templates/finetune's answers, no jobs)", () => {
  it("declares the namespace and nothing else, owned by the project of the Pulumi.yaml beside the stack file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-render-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: my-tuning\nruntime: nodejs\nmain: main.js\n");
    const file = path.join(dir, "Pulumi.dev.yaml");
    fs.writeFileSync(
      file,
      [
        "config:",
        "  finetune:cluster.context: gpu-east",
        "  finetune:namespace: team-a",
        '  finetune:trainingOperator.install: "false"',
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = render("--config", file);
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      documents(stdout).map((d) => d.comment.split(" | ")[0]),
      ["# kubernetes:core/v1:Namespace team-a"],
    );
    assert.equal(documents(stdout)[0].object?.metadata.annotations["finetune/stack"], "organization/my-tuning/dev");
  });
});
