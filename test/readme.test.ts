// The README's and the manual's examples are what users copy first: they must be valid and mean what
// they say.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { parseStackConfig } from "../components/config";
import { readStackFile } from "../tools/render";

const ROOT = path.join(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const doc = (name: string) => fs.readFileSync(path.join(ROOT, "docs", name), "utf8");

describe("README: the quickstart's first job", () => {
  it("is a valid stack file with no secret in it, that turns on the editor schema and warns of nothing", () => {
    const block = /Create `Pulumi\.mine\.yaml`[\s\S]*?```yaml\n([\s\S]*?)```/.exec(README)?.[1];
    assert.ok(block, "the README shows the first job's stack file");
    assert.equal(block.split("\n")[0], "# yaml-language-server: $schema=./schema/stack.schema.json");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-readme-")), "Pulumi.mine.yaml");
    fs.writeFileSync(file, block);
    const { config, secretKeys } = readStackFile(file);
    assert.deepEqual(secretKeys, []);
    const parsed = parseStackConfig(config, new Set());
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(
      [parsed.namespace, parsed.cluster.context, parsed.jobs.granite.resources, parsed.jobs.granite.wait],
      ["llm-finetune", "my-gpu-cluster", { cpu: "16", memory: "256Gi" }, "succeeded"],
    );
  });
});

describe("docs: the policy pack and ESC examples", () => {
  it("shows the strict policy config the end-to-end suite uses, as it is", () => {
    const block = /suite's strict config \(`test\/fixtures\/policy-strict\.json`\):\n\n```json\n([\s\S]*?)```/.exec(
      doc("policies.md"),
    )?.[1];
    assert.ok(block, "docs/policies.md shows the strict config");
    assert.equal(block, fs.readFileSync(path.join(__dirname, "fixtures", "policy-strict.json"), "utf8"));
  });

  it("the ESC environment's pulumiConfig is a valid stack config, the token a secret", () => {
    const block = /```yaml\n# ESC environment finetune\/prod\n([\s\S]*?)```/.exec(doc("stack-files.md"))?.[1];
    assert.ok(block, "docs/stack-files.md shows an ESC environment");
    const { values } = parse(block) as { values: { pulumiConfig: Record<string, unknown> } };
    const job = {
      image: "registry.example.com/t:1",
      output: { size: "1Gi" },
      trainer: { type: "command", command: ["t"] },
    };
    const config: Record<string, string> = { "finetune:jobs": JSON.stringify({ granite: job }) };
    const secretKeys = new Set<string>();
    for (const [key, value] of Object.entries(values.pulumiConfig)) {
      if (typeof value === "object" && value !== null && "fn::secret" in value) {
        secretKeys.add(key.slice("finetune:".length));
        config[key] = String((value as Record<string, unknown>)["fn::secret"]);
      } else config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const parsed = parseStackConfig(config, secretKeys);
    assert.deepEqual([...secretKeys], ["hfToken"]);
    assert.deepEqual(
      [parsed.namespace, parsed.cluster.context, parsed.jobs.granite.queue, parsed.hasHfToken],
      ["llm-prod", "gpu-prod", "team-prod", true],
    );
  });
});
