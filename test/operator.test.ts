// Reading operator bundles and the fields the operator manages itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  kindOfType,
  operatorManagedFields,
  parseBundle,
  withoutOperatorManagedValues,
} from "../components/builders/operator";

describe("parseBundle", () => {
  it("reads every object and skips empty documents", () => {
    const objects = parseBundle(
      "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: kubeflow\ndata: {}\n",
      "bundle.yaml",
    );
    assert.deepEqual(objects, [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "kubeflow" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "kubeflow" }, data: {} },
    ]);
  });

  it("names the document that is not a Kubernetes object", () => {
    assert.throws(
      () => parseBundle("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nhello: world\n", "b.yaml"),
      { message: "b.yaml: document 2 is not a Kubernetes object (apiVersion, kind, metadata.name)" },
    );
  });

  it("names the document that is not YAML", () => {
    assert.throws(() => parseBundle("a: [1,\n", "c.yaml"), /^Error: c\.yaml: document 1 is not valid YAML/);
  });
});

describe("operator-managed fields", () => {
  it("are the cert Secret's data and every webhook's caBundle", () => {
    assert.deepEqual(operatorManagedFields("Secret", "training-operator-webhook-cert"), ["data", "stringData"]);
    assert.deepEqual(operatorManagedFields("ValidatingWebhookConfiguration", "validator.x"), [
      "webhooks[*].clientConfig.caBundle",
    ]);
    assert.deepEqual(operatorManagedFields("Secret", "other"), []);
    assert.deepEqual(operatorManagedFields("Deployment", "training-operator-webhook-cert"), []);
  });

  it("are removed from the declared cert Secret only", () => {
    const cert = { metadata: { name: "training-operator-webhook-cert" }, data: {}, type: "Opaque" };
    assert.deepEqual(withoutOperatorManagedValues("Secret", cert), {
      metadata: { name: "training-operator-webhook-cert" },
      type: "Opaque",
    });
    const other = { metadata: { name: "other" }, data: { a: "b" } };
    assert.equal(withoutOperatorManagedValues("Secret", other), other);
  });

  it("kindOfType reads the kind from a provider type token", () => {
    assert.equal(kindOfType("kubernetes:core/v1:Secret"), "Secret");
    assert.equal(
      kindOfType("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"),
      "ValidatingWebhookConfiguration",
    );
    assert.equal(kindOfType("finetune:index:FineTuneJob"), undefined);
  });
});
