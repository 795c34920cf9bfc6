// Kubernetes naming rules and quantity parsing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  closestKey,
  DNS1035_LABEL,
  DNS1123_LABEL,
  IMAGE_REFERENCE,
  isExtendedResourceName,
  isQualifiedName,
  parseQuantity,
} from "../components/validation";

describe("name rules", () => {
  const table: [RegExp, string, boolean][] = [
    [DNS1035_LABEL, "granite-7b", true],
    [DNS1035_LABEL, "7b-granite", false],
    [DNS1035_LABEL, "granite-", false],
    [DNS1035_LABEL, "Granite", false],
    [DNS1123_LABEL, "7b-team", true],
    [DNS1123_LABEL, "team.a", false],
  ];
  for (const [re, value, ok] of table) {
    it(`${re.source} ${ok ? "accepts" : "refuses"} ${value}`, () => assert.equal(re.test(value), ok));
  }

  it("qualified names", () => {
    assert.equal(isQualifiedName("nvidia.com/gpu.product"), true);
    assert.equal(isQualifiedName("accelerator"), true);
    assert.equal(isQualifiedName("a/b/c"), false);
    assert.equal(isQualifiedName("Bad_Domain/x"), false);
    assert.equal(isQualifiedName("-x"), false);
  });

  it("extended resource names", () => {
    assert.equal(isExtendedResourceName("nvidia.com/gpu"), true);
    assert.equal(isExtendedResourceName("amd.com/gpu"), true);
    assert.equal(isExtendedResourceName("habana.ai/gaudi"), true);
    assert.equal(isExtendedResourceName("gpu"), false);
    assert.equal(isExtendedResourceName("kubernetes.io/gpu"), false);
    assert.equal(isExtendedResourceName("foo.kubernetes.io/gpu"), false);
  });

  it("image references", () => {
    for (const ok of [
      "ubuntu",
      "quay.io/acme/trainer:1.0",
      "localhost:5000/a/b_c:latest",
      `registry.example.com/team/trainer@sha256:${"a".repeat(64)}`,
      `registry.example.com/team/trainer:1.2@sha256:${"0".repeat(64)}`,
    ]) {
      assert.equal(IMAGE_REFERENCE.test(ok), true, ok);
    }
    for (const bad of ["", "a b", "trainer;ls", "Trainer:1", "x:$(id)", "a\nb", "x:`id`"]) {
      assert.equal(IMAGE_REFERENCE.test(bad), false, JSON.stringify(bad));
    }
  });
});

describe("parseQuantity", () => {
  const table: [string, number | undefined][] = [
    ["16Gi", 16 * 2 ** 30],
    ["500m", 0.5],
    ["8", 8],
    ["1e3", 1000],
    ["1.5G", 1.5e9],
    ["64Mi", 64 * 2 ** 20],
    ["-1Gi", -(2 ** 30)],
    ["lots", undefined],
    ["1GB", undefined],
    ["", undefined],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(parseQuantity(input), expected));
  }
});

describe("closestKey", () => {
  it("suggests near keys and nothing for far ones", () => {
    const known = ["nodes", "gpusPerNode", "image"];
    assert.equal(closestKey("nodse", known), "nodes");
    assert.equal(closestKey("gpuspernode", known), "gpusPerNode");
    assert.equal(closestKey("zzzzzz", known), undefined);
  });
});
