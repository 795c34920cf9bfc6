// The README's examples are what users copy first: they must be valid and mean what they say.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseStackConfig } from "../components/config";
import { readStackFile } from "../tools/render";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("README: the minimal stack", () => {
  it("is a valid stack file, with its secrets stored as secrets, and warns of nothing", () => {
    const block = /A minimal stack[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(README)?.[1];
    assert.ok(block, "the README shows a minimal stack");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-readme-")), "Pulumi.minimal.yaml");
    fs.writeFileSync(file, block);
    const { config, secretKeys } = readStackFile(file);
    assert.deepEqual(secretKeys, ["finetune:s3AccessKeyId", "finetune:s3SecretAccessKey"]);
    const parsed = parseStackConfig(config, new Set(secretKeys.map((k) => k.slice("finetune:".length))));
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.jobs.granite.resources, { cpu: "16", memory: "256Gi" });
  });
});
