// Source URIs: what is accepted, how it is read, and what is refused with which message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatSource, parseSource } from "../components/sources";

describe("parseSource accepts", () => {
  const table: [string, "model" | "dataset", unknown][] = [
    [
      "hf://ibm-granite/granite-3.1-8b-base",
      "model",
      { kind: "hf", repo: "ibm-granite/granite-3.1-8b-base", repoType: "model" },
    ],
    [
      "hf://ibm-granite/granite-3.1-8b-base@v1.0",
      "model",
      { kind: "hf", repo: "ibm-granite/granite-3.1-8b-base", repoType: "model", revision: "v1.0" },
    ],
    [
      "hf://org/data@refs/pr/1",
      "dataset",
      { kind: "hf", repo: "org/data", repoType: "dataset", revision: "refs/pr/1" },
    ],
    ["hf://datasets/org/name", "model", { kind: "hf", repo: "org/name", repoType: "dataset" }],
    ["hf://models/org/name", "dataset", { kind: "hf", repo: "org/name", repoType: "model" }],
    ["s3://training-data/granite/v3", "dataset", { kind: "s3", bucket: "training-data", prefix: "granite/v3" }],
    ["s3://my.bucket", "dataset", { kind: "s3", bucket: "my.bucket", prefix: "" }],
    ["pvc://shared-models/granite/8b", "model", { kind: "pvc", claim: "shared-models", path: "granite/8b" }],
    ["pvc://shared-models", "model", { kind: "pvc", claim: "shared-models", path: "" }],
  ];
  for (const [text, role, expected] of table) {
    it(`${text} (${role})`, () => assert.deepEqual(parseSource(text, role), expected));
  }
});

describe("parseSource refuses", () => {
  const table: [string, string][] = [
    [
      "hf://",
      "hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://datasets/ORG/NAME@REVISION",
    ],
    [
      "hf://granite",
      "hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://datasets/ORG/NAME@REVISION",
    ],
    [
      "hf://a/b/c",
      "hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://datasets/ORG/NAME@REVISION",
    ],
    [
      "hf://org/name@",
      "hf:// revision after '@' must be a branch, tag or commit, e.g. hf://ibm-granite/granite-3.1-8b-base or hf://datasets/ORG/NAME@REVISION",
    ],
    [
      "hf://org/$(id)",
      "hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://datasets/ORG/NAME@REVISION",
    ],
    ["s3://", "s3:// needs a bucket, e.g. s3://my-bucket/datasets/run-1"],
    ["s3:///prefix", "s3:// needs a bucket, e.g. s3://my-bucket/datasets/run-1"],
    [
      "s3://Bad_Bucket/x",
      "s3:// bucket must be 3-63 lowercase letters, digits, '.' and '-', e.g. s3://my-bucket/datasets/run-1",
    ],
    [
      "s3://bucket/../etc",
      "s3:// prefix must be a relative key prefix without '..' (letters, digits, '/', '.', '_', '-', '=', '+', '@', space)",
    ],
    ["pvc://", "pvc:// needs a claim name, e.g. pvc://shared-models/granite-3.1-8b"],
    ["pvc://claim/../../etc", "pvc:// path must be relative to the claim, without '..'"],
    ["ftp://host/file", 'must start with hf://, s3:// or pvc:// (got "ftp://")'],
    ["/data/models", "must start with hf://, s3:// or pvc://"],
    ["", "must start with hf://, s3:// or pvc://"],
  ];
  for (const [text, message] of table) {
    it(JSON.stringify(text), () => assert.equal(parseSource(text, "dataset"), message));
  }
});

it("suggests the model form of hf:// for a model volume", () => {
  assert.equal(
    parseSource("hf://granite", "model"),
    "hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), e.g. hf://ibm-granite/granite-3.1-8b-base or hf://ORG/NAME@REVISION",
  );
});

describe("formatSource", () => {
  it("writes each source back in its canonical form", () => {
    assert.equal(formatSource({ kind: "hf", repo: "o/n", repoType: "model", revision: "r" }), "hf://o/n@r");
    assert.equal(formatSource({ kind: "hf", repo: "o/n", repoType: "dataset" }), "hf://datasets/o/n");
    assert.equal(formatSource({ kind: "s3", bucket: "b", prefix: "p/q" }), "s3://b/p/q");
    assert.equal(formatSource({ kind: "pvc", claim: "c", path: "x" }), "pvc://c/x");
  });
});
