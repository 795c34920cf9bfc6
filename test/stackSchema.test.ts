// The JSON Schema of a stack file (tools/stackSchema.ts, kept in schema/stack.schema.json): generated
// from the config schema and checked for drift, and, read by a JSON Schema validator as an editor
// reads it, it takes the stack files the program takes and refuses what the program refuses.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import { STACK_SCHEMA_FILE, stackFileSchema } from "../tools/stackSchema";

type Json = Record<string, any>;
const ROOT = path.join(__dirname, "..");

const validator = () => {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  return ajv.compile(JSON.parse(fs.readFileSync(STACK_SCHEMA_FILE, "utf8")));
};

/** The paths and messages of what the schema refuses in `stack`. */
function refused(stack: Json): string[] {
  const validate = validator();
  if (validate(stack)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const job = (extra: Json = {}) => ({
  image: "quay.io/acme/trainer:1.0",
  output: { size: "100Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  ...extra,
});

describe("the stack file's JSON Schema", () => {
  it("is what tools/stackSchema.ts generates from the config schema (npm run schema writes it)", () => {
    assert.deepEqual(JSON.parse(fs.readFileSync(STACK_SCHEMA_FILE, "utf8")), stackFileSchema());
  });

  it("takes the project's stack files and the ones the CLI wrote (floats as text, secrets as ciphertext)", () => {
    for (const file of [
      "Pulumi.dev.yaml",
      "test/fixtures/Pulumi.configset.yaml",
      "test/fixtures/Pulumi.configset-v2.yaml",
    ]) {
      const validate = validator();
      assert.equal(
        validate(parse(fs.readFileSync(path.join(ROOT, file), "utf8"))),
        true,
        JSON.stringify(validate.errors),
      );
    }
  });

  it("takes dotted keys and other namespaces' keys, as Pulumi writes them", () => {
    assert.deepEqual(
      refused({
        config: {
          "finetune:namespace": "ml",
          "finetune:cluster.context": "gpu",
          "kubernetes:context": "gpu",
          "finetune:jobs": { a: job({ nodes: "2", trainer: { type: "instructlab", learningRate: "2e-5" } }) },
        },
      }),
      [],
    );
  });

  it("refuses a misspelled key, a value of the wrong type, and a secret in plain text", () => {
    assert.deepEqual(
      refused({
        config: {
          "finetune:namepsace": "ml",
          "finetune:hfToken": "hf_plain",
          "finetune:jobs": { a: job({ nodes: "two", wait: "forever" }) },
        },
      }),
      [
        "/config must have required property 'finetune:namespace'",
        "/config must NOT have additional properties",
        "/config/finetune:hfToken must be object",
        "/config/finetune:jobs/a/nodes must be integer",
        '/config/finetune:jobs/a/nodes must match pattern "^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*$"',
        "/config/finetune:jobs/a/nodes must match a schema in anyOf",
        "/config/finetune:jobs/a/wait must be equal to one of the allowed values",
      ],
    );
  });

  it("is named in the README, with the line that turns it on in an editor", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.equal(readme.includes("# yaml-language-server: $schema=./schema/stack.schema.json"), true);
  });
});
