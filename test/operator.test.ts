// Reading operator bundles and the fields the operator manages itself.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { kindOfType, operatorManagedFields, withoutOperatorManagedValues } from "../components/builders/operator";
import {
  INIT_CONTAINER_ANNOTATION,
  restrictedInitContainerTemplate,
  withRestrictedInitContainer,
} from "../components/builders/v1/operatorInitContainer";
import { parseBundle } from "../components/bundle";
import { restrictedViolations } from "./support/podSecurity";

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
    assert.throws(() => parseBundle("a: [1,\n", "c.yaml"), {
      name: "BundleError",
      message:
        "c.yaml: document 1 is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
    });
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

describe("the operator's Worker init container", () => {
  /** The template as the v1.9.4 operator fills it (pkg/controller.v1/pytorch/initcontainer.go). */
  const fill = (template: string) =>
    template
      .replaceAll("{{.InitContainerImage}}", "alpine:3.10")
      .replaceAll("{{.MaxTries}}", "100")
      .replaceAll("{{.MasterAddr}}", "sweep-master-0");

  it("is the upstream init container with a restricted securityContext, for any job's pod", () => {
    const containers = parse(fill(restrictedInitContainerTemplate()));
    assert.deepEqual(containers, [
      {
        name: "init-pytorch",
        image: "alpine:3.10",
        imagePullPolicy: "IfNotPresent",
        resources: { limits: { cpu: "100m", memory: "20Mi" }, requests: { cpu: "50m", memory: "10Mi" } },
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
          runAsUser: 65534,
          runAsGroup: 65534,
          seccompProfile: { type: "RuntimeDefault" },
        },
        command: [
          "sh",
          "-c",
          "err=1;for i in $(seq 100); do if nslookup sweep-master-0; then err=0 && break; fi;echo waiting for master; sleep 2; done; exit $err",
        ],
      },
    ]);
    // A pod with no security context of its own (another team's job) is admitted too.
    assert.deepEqual(restrictedViolations({ initContainers: containers, containers: [] }), []);
  });

  const deployment = () => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "training-operator", namespace: "kubeflow" },
    spec: {
      template: {
        metadata: { labels: { "control-plane": "kubeflow-training-operator" }, annotations: { a: "b" } },
        spec: {
          containers: [
            {
              name: "training-operator",
              command: ["/manager"],
              volumeMounts: [{ name: "cert", mountPath: "/tmp/k8s-webhook-server/serving-certs", readOnly: true }],
            },
          ],
          volumes: [{ name: "cert", secret: { secretName: "training-operator-webhook-cert" } }],
        },
      },
    },
  });

  it("reaches the operator through a pod annotation, a downward API file and the template flag", () => {
    const patched = withRestrictedInitContainer(deployment()) as any;
    const pod = patched.spec.template;
    assert.deepEqual(pod.metadata.annotations, {
      a: "b",
      [INIT_CONTAINER_ANNOTATION]: restrictedInitContainerTemplate(),
    });
    assert.deepEqual(pod.spec.volumes[1], {
      name: "finetune-init-container",
      downwardAPI: {
        items: [
          {
            path: "initContainer.yaml",
            fieldRef: { fieldPath: `metadata.annotations['${INIT_CONTAINER_ANNOTATION}']` },
          },
        ],
      },
    });
    assert.deepEqual(pod.spec.containers[0].volumeMounts[1], {
      name: "finetune-init-container",
      mountPath: "/etc/finetune",
      readOnly: true,
    });
    assert.deepEqual(pod.spec.containers[0].args, [
      "--pytorch-init-container-template-file=/etc/finetune/initContainer.yaml",
    ]);
    assert.deepEqual(withRestrictedInitContainer(patched), patched, "applying it twice changes nothing");
  });

  it("is printed in docs/security.md as it is, for clusters whose operator the stack does not install", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "docs", "security.md"), "utf8");
    const block = /```yaml\n(- name: init-pytorch\n[\s\S]*?)```/.exec(readme);
    assert.equal(block?.[1], restrictedInitContainerTemplate());
  });

  it("leaves other objects alone", () => {
    const other = { ...deployment(), metadata: { name: "other", namespace: "kubeflow" } };
    assert.equal(withRestrictedInitContainer(other), other);
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "training-operator" } };
    assert.equal(withRestrictedInitContainer(service), service);
  });
});
