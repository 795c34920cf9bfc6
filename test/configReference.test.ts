// The config reference (docs/config.md) is generated from the config schema and tools/configKeys.ts:
// it must be what the generator writes now, every key must be described, and every description must
// name a key, giving in words only what the schema cannot say.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { KEY_DOCS } from "../tools/configKeys";
import { CONFIG_REFERENCE_FILE, keyNodes, referenceRows, referenceText, typeOf } from "../tools/configReference";
import { stackFileSchema } from "../tools/stackSchema";

type Json = Record<string, any>;

describe("the config reference", () => {
  const keys = keyNodes().map((k) => k.key);

  it("is what npm run reference writes from the schema (docs/config.md is not edited by hand)", () => {
    assert.equal(fs.readFileSync(CONFIG_REFERENCE_FILE, "utf8"), referenceText());
  });

  it("describes every key of the schema, and nothing else", () => {
    assert.deepEqual(
      keys.filter((key) => KEY_DOCS[key] === undefined),
      [],
    );
    assert.deepEqual(
      Object.keys(KEY_DOCS).filter((key) => !keys.includes(key)),
      [],
    );
  });

  it("refuses a key that has no description, naming it", () => {
    const { namespace: _, ...docs } = KEY_DOCS;
    assert.throws(() => referenceRows(undefined, docs), { message: "tools/configKeys.ts describes no key namespace" });
  });

  it("states a default in words only where the schema has none, a type only where the schema says string, map or list of objects", () => {
    for (const { key, node } of keyNodes()) {
      const doc = KEY_DOCS[key];
      if (doc.default !== undefined) assert.equal("default" in node, false, `${key}: the schema has a default`);
      if (doc.type !== undefined) assert.match(typeOf(node), /^(string|(map of )+strings|list of objects)$/, key);
    }
  });

  it("writes each row from the schema: placeholders, ranges, enums, defaults, secrets, required", () => {
    const rows = new Map(referenceRows().map((r) => [r.key, r]));
    const row = (key: string) => {
      const r = rows.get(key);
      assert.ok(r, key);
      return [r.type, r.default, r.secret];
    };
    assert.deepEqual(row("namespace"), ["string", "required", false]);
    assert.deepEqual(row("hfToken"), ["string", "none", true]);
    assert.deepEqual(row("jobs.<job>.nodes"), ["integer 1–1000", "`1`", false]);
    assert.deepEqual(row("jobs.<job>.trainer.type"), ["`instructlab` | `command`", "required", false]);
    assert.deepEqual(row("jobs.<job>.trainer.learningRate"), ["number > 0", "`0.00002`", false]);
    assert.deepEqual(row("jobs.<job>.trainer.command"), ["list of strings", "required for `command`", false]);
    assert.deepEqual(row("jobs.<job>.runPolicy.ttlSecondsAfterFinished"), ["integer ≥ 0 or `null`", "`604800`", false]);
    assert.deepEqual(row("jobs.<job>.env"), ["map string → string", "`{}`", false]);
    assert.deepEqual(row("staging.resources.cpu"), ["quantity", '`"1"`', false]);
    assert.deepEqual(row("queues.clusterQueues.<cq>.preemption.withinClusterQueue"), [
      "`Never` | `LowerPriority` | `LowerOrNewerEqualPriority`",
      "Kueue's (`Never`)",
      false,
    ]);
    assert.equal(rows.size, keys.length);
  });

  it("escapes the pipes of a cell, so that the table keeps its columns", () => {
    const line = referenceText()
      .split("\n")
      .find((l) => l.startsWith("| `jobs.<job>.trainer.type`"));
    assert.equal(line?.split(/(?<!\\)\|/).length, 7);
  });

  it("gives the stack file's JSON Schema the same descriptions, secrets included", () => {
    const config = (stackFileSchema() as Json).properties.config.properties;
    assert.equal(config["finetune:namespace"].description, KEY_DOCS.namespace.text);
    assert.equal(config["finetune:hfToken"].description, KEY_DOCS.hfToken.text);
    assert.deepEqual(config["finetune:hfToken"].required, ["secure"]);
  });
});
