// Every YAML example of the README and docs/ is run as a user would run it: a stack file (or a piece
// of one, put in a stack) is rendered by the offline render, and the render is read by a YAML 1.1
// reader, a YAML 1.2 reader and kubectl (a client-side, offline patch that changes nothing), which
// must all read the same values. The other examples are checked for what they are.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { restrictedInitContainerTemplate } from "../components/builders/v1/operatorInitContainer";
import { KUBEFLOW } from "../harness/paths";
import { readStackFile, renderStack } from "../tools/render";
import { docPages, type Fence, fences, ROOT } from "./support/docs";

type Json = Record<string, any>;

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "finetune-docs-"));

/** The YAML examples of the README and the manual. */
const EXAMPLES = docPages().flatMap((page) => fences(page).filter((f) => f.lang === "yaml"));

/** The ESC environments the examples define, by name: their `pulumiConfig`. */
const ENVIRONMENTS = new Map(
  EXAMPLES.flatMap((f) => {
    const name = /^# ESC environment (\S+)\n/.exec(f.text)?.[1];
    return name ? [[name, (parse(f.text) as Json).values.pulumiConfig as Json] as const] : [];
  }),
);

/** A job for a piece of a stack that writes none. */
const EXAMPLE_JOB = {
  image: "registry.example.com/ml/trainer:1.0",
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
};

/** An example as the stack file a user would have: pieces of config in a stack, environments merged in. */
function asStackFile(example: Json): Json {
  if (!("config" in example) && !("environment" in example)) {
    return { config: { "finetune:namespace": "docs-example", "finetune:jobs": { example: EXAMPLE_JOB }, ...example } };
  }
  const fromEnvironments: Json = {};
  for (const name of example.environment ?? []) {
    const env = ENVIRONMENTS.get(name);
    assert.ok(env, `no example defines the ESC environment ${name}`);
    for (const [key, value] of Object.entries(env)) {
      // A secret of ESC reaches the program as a secret, as `secure:` does from a stack file.
      fromEnvironments[key] =
        value !== null && typeof value === "object" && "fn::secret" in value ? { secure: "v1:x" } : value;
    }
  }
  return { config: withLocalBundles({ ...fromEnvironments, ...example.config }) };
}

/**
 * The config with a local operator source that names a bundle by its file name (`./training-operator-v1.9.4.yaml`,
 * the rendered upstream overlay a user copies in) read from ../shared/kubeflow's copy of it.
 */
function withLocalBundles(config: Json): Json {
  const op = config["finetune:trainingOperator"];
  if (op === null || typeof op !== "object") return config;
  const local = (source: unknown) => {
    if (typeof source !== "string" || !source.startsWith("./")) return source;
    const copy = path.join(KUBEFLOW, path.basename(source));
    assert.ok(fs.existsSync(copy), `${source}: ../shared/kubeflow has no such bundle`);
    return copy;
  };
  const sources = { source: local(op.source), runtimesSource: local(op.runtimesSource) };
  return { ...config, "finetune:trainingOperator": { ...op, ...JSON.parse(JSON.stringify(sources)) } };
}

/** What kubectl reads from a stream of manifests: each object, through a merge patch that changes nothing. */
function kubectlReads(file: string): Json[] {
  const r = spawnSync("kubectl", ["patch", "--local", "-f", file, "-p", "{}", "--type", "merge", "-o", "json"], {
    encoding: "utf8",
    env: { ...process.env, KUBECONFIG: "/dev/null" },
    // An operator bundle's CRDs are megabytes of JSON.
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(`[${r.stdout.replace(/^}\n{/gm, "},\n{")}]`);
}

/** The objects of a YAML stream, read under one YAML version's rules. */
const objectsOf = (text: string, version: "1.1" | "1.2") =>
  parseAllDocuments(text, { version, merge: true })
    .map((d) => d.toJS())
    .filter((o) => o !== null);

/** Renders a stack file as `npm run render` does, and checks that every reader reads the render alike. */
async function renderAndRead(stackFile: Json): Promise<Json[]> {
  const dir = tmp();
  const file = path.join(dir, "Pulumi.docs.yaml");
  fs.writeFileSync(file, stringify(stackFile));
  const { config, secretKeys } = readStackFile(file);
  const { text } = await renderStack(config, secretKeys, "docs");
  const yaml12 = objectsOf(text, "1.2");
  assert.ok(yaml12.length > 0, "the render declares objects");
  assert.deepEqual(objectsOf(text, "1.1"), yaml12);
  const out = path.join(dir, "render.yaml");
  fs.writeFileSync(out, text);
  assert.deepEqual(kubectlReads(out), JSON.parse(JSON.stringify(yaml12)));
  return yaml12;
}

/** What an example is, from its first line or its shape. */
function kindOf(fence: Fence): string {
  const first = fence.text.split("\n")[0];
  if (first.startsWith("# yaml-language-server:")) return "schema line";
  if (first.startsWith("# ESC environment ")) return "ESC environment";
  if (first.endsWith("/kustomization.yaml: trainingOperator.source: ./operator")) return "kustomization";
  const value = parse(fence.text, { merge: true });
  if (Array.isArray(value)) return "init container template";
  if (value !== null && typeof value === "object" && "apiVersion" in value) return "manifest";
  if (value !== null && typeof value === "object") return "stack";
  return "unknown";
}

describe("the YAML examples of the README and docs/", () => {
  it("are found: each page's yaml fences", () => {
    assert.deepEqual(
      EXAMPLES.map((f) => `${f.page} ${kindOf(f)}`),
      [
        "README.md schema line",
        "docs/air-gapped.md stack",
        "docs/air-gapped.md kustomization",
        "docs/kueue.md stack",
        "docs/security.md init container template",
        "docs/stack-files.md schema line",
        "docs/stack-files.md ESC environment",
        "docs/stack-files.md stack",
      ],
    );
  });

  for (const fence of EXAMPLES) {
    const at = `${fence.page}:${fence.line}`;
    const kind = kindOf(fence);
    it(`${at} (${kind})`, async () => {
      switch (kind) {
        case "stack": {
          const objects = await renderAndRead(asStackFile(parse(fence.text, { merge: true })));
          assert.ok(objects.some((o) => o.kind === "Namespace"));
          return;
        }
        case "schema line": {
          // The whole example may be more than the line: then it is a stack file, rendered too.
          const schema = /\$schema=(\S+)/.exec(fence.text)?.[1] as string;
          assert.equal(fs.existsSync(path.join(ROOT, schema)), true, schema);
          const value = parse(fence.text, { merge: true });
          if (value !== null) await renderAndRead(asStackFile(value));
          return;
        }
        case "ESC environment":
          // test/readme.test.ts reads its pulumiConfig as a stack config; the stack that names it renders here.
          assert.equal(
            EXAMPLES.some((f) =>
              f.text.includes(`environment:\n  - ${/^# ESC environment (\S+)/.exec(fence.text)?.[1]}\n`),
            ),
            true,
          );
          return;
        case "kustomization": {
          const dir = tmp();
          const bundle = "training-operator-v1.9.4.yaml";
          fs.copyFileSync(path.join(ROOT, "..", "shared", "kubeflow", bundle), path.join(dir, bundle));
          fs.writeFileSync(path.join(dir, "kustomization.yaml"), fence.text);
          const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
          assert.equal(r.status, 0, r.stderr);
          const images = [...r.stdout.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]);
          assert.deepEqual(images, ["registry.internal.example.com/kubeflow/training-operator:v1-93c5489"]);
          return;
        }
        case "init container template":
          assert.equal(fence.text, restrictedInitContainerTemplate());
          return;
        default:
          assert.fail(`${at}: an example of no known kind: say what it is and check it here`);
      }
    });
  }
});
