// The whole program under the SDK's mock runtime: every registered resource, with its type, name,
// count, key inputs and options.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { InstallOptions } from "../components/builders/backend";
import {
  INIT_CONTAINER_ANNOTATION,
  restrictedInitContainerTemplate,
  withRestrictedInitContainer,
} from "../components/builders/v1/operatorInitContainer";
import { ConfigError, upstreamOperatorSource } from "../components/config";
import { operatorTransform } from "../components/trainingOperator";
import { isSecretValue } from "../tools/mockRun";
import { commandJob, one, runStack, summary, T } from "./support/stacks";
import { OPERATOR_BUNDLE, V1_CRDS } from "./support/structuralSchema";

type Json = Record<string, any>;

describe("a stack with defaults", () => {
  it("declares the provider, namespace, operator, one job's output PVC and PyTorchJob", async () => {
    const run = await runStack({ namespace: "ml", jobs: { granite: commandJob() } });
    assert.deepEqual(summary(run), [
      `${T.provider} cluster`,
      `${T.jobNamespace} ml`,
      `${T.namespace} ml`,
      "kubernetes:core/v1:ServiceAccount ml-service-account",
      `${T.operator} training-operator`,
      `${T.directory} training-operator`,
      `${T.fineTuneJob} granite`,
      `${T.pvc} granite-output`,
      `${T.pytorchJob} granite-pytorchjob`,
    ]);
    assert.deepEqual(run.outputs, {
      namespace: "ml",
      jobs: {
        granite: {
          name: "granite",
          namespace: "ml",
          outputClaim: "granite-output",
          checkpointPath: "checkpoints",
          conditions: [],
          logs: "kubectl -n ml logs -f pod/granite-master-0 -c pytorch",
          // The program could not look at the run (no cluster here): no account of it.
          run: undefined,
        },
      },
    });
  });

  it("passes the explicit provider to every Kubernetes resource", async () => {
    const run = await runStack({
      namespace: "ml",
      cluster: { context: "gpu-east", kubeconfig: "/etc/kube/config" },
      jobs: { granite: commandJob() },
    });
    assert.deepEqual(one(run, T.provider, "cluster").inputs, {
      context: "gpu-east",
      kubeconfig: "/etc/kube/config",
      enableServerSideApply: "true",
    });
    const k8sResources = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(k8sResources.length, 5);
    for (const r of k8sResources) {
      assert.match(r.providerRef ?? "", /pulumi:providers:kubernetes::cluster::/, `${r.type} ${r.name}`);
    }
    for (const r of run.resources.filter((r) => r.type.startsWith("finetune:index:"))) {
      assert.equal(r.options.provider, "cluster", `${r.type} ${r.name}`);
    }
  });

  it("nests children under their components", async () => {
    const run = await runStack({ namespace: "ml", jobs: { granite: commandJob() } });
    assert.equal(one(run, T.namespace, "ml").options.parent, "ml");
    assert.equal(one(run, T.directory, "training-operator").options.parent, "training-operator");
    assert.equal(one(run, T.pvc, "granite-output").options.parent, "granite");
    assert.equal(one(run, T.pytorchJob, "granite-pytorchjob").options.parent, "granite");
  });

  it("makes the PyTorchJob wait for its PVCs and the operator", async () => {
    const run = await runStack({ namespace: "ml", jobs: { granite: commandJob() } });
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-output",
      "training-operator",
      "ml-service-account",
    ]);
  });

  it("creates the namespace with its name and the PyTorchJob in it", async () => {
    const run = await runStack({ namespace: "team-a", jobs: { granite: commandJob() } });
    assert.equal((one(run, T.namespace, "team-a").inputs as Json).metadata.name, "team-a");
    const pj = one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json;
    assert.equal(pj.metadata.namespace, "team-a");
    assert.equal(pj.metadata.name, "granite");
    assert.equal(pj.spec.nprocPerNode, "1");
    assert.deepEqual(pj.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].resources, {
      limits: { "nvidia.com/gpu": "1" },
    });
  });
});

describe("job shapes", () => {
  it("a 3-node job: one Master, two Workers, shared volumes ReadWriteMany", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: { big: commandJob({ nodes: 3, gpusPerNode: 8, dataset: { size: "1Ti" } }) },
    });
    const spec = (one(run, T.pytorchJob, "big-pytorchjob").inputs as Json).spec;
    assert.equal(spec.nprocPerNode, "8");
    assert.equal(spec.pytorchReplicaSpecs.Master.replicas, 1);
    assert.equal(spec.pytorchReplicaSpecs.Worker.replicas, 2);
    assert.deepEqual(spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].resources.limits, {
      "nvidia.com/gpu": "8",
    });
    for (const name of ["big-dataset", "big-output"]) {
      assert.deepEqual((one(run, T.pvc, name).inputs as Json).spec.accessModes, ["ReadWriteMany"]);
    }
  });

  it("a non-NVIDIA GPU resource", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: { mi300: commandJob({ gpuResource: "amd.com/gpu", gpusPerNode: 4 }) },
    });
    const container = (one(run, T.pytorchJob, "mi300-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master
      .template.spec.containers[0];
    assert.deepEqual(container.resources.limits, { "amd.com/gpu": "4" });
  });

  it("existing claims are mounted, not created; new ones are created", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: {
        granite: commandJob({
          model: { existingClaim: "base-models" },
          dataset: { size: "10Gi", storageClass: "fast" },
          output: { existingClaim: "checkpoints" },
        }),
      },
    });
    assert.deepEqual(
      run.resources.filter((r) => r.type === T.pvc).map((r) => r.name),
      ["granite-dataset"],
    );
    const dataset = one(run, T.pvc, "granite-dataset").inputs as Json;
    assert.deepEqual(dataset.spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10Gi" } },
      storageClassName: "fast",
    });
    const volumes = (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master
      .template.spec.volumes;
    assert.deepEqual(
      volumes.map((v: Json) => v.persistentVolumeClaim?.claimName ?? v.name),
      ["dshm", "base-models", "granite-dataset", "checkpoints"],
    );
    assert.deepEqual((run.outputs.jobs as Json).granite.outputClaim, "checkpoints");
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-dataset",
      "training-operator",
      "ml-service-account",
    ]);
  });

  it("two jobs in one stack: separate components, PVCs and PyTorchJobs, one namespace and operator", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: { alpha: commandJob(), beta: commandJob({ nodes: 2 }) },
    });
    assert.equal(run.resources.filter((r) => r.type === T.fineTuneJob).length, 2);
    assert.equal(run.resources.filter((r) => r.type === T.pytorchJob).length, 2);
    assert.equal(run.resources.filter((r) => r.type === T.namespace).length, 1);
    assert.equal(run.resources.filter((r) => r.type === T.operator).length, 1);
    assert.deepEqual(
      run.resources.filter((r) => r.type === T.pvc).map((r) => r.name),
      ["alpha-output", "beta-output"],
    );
    assert.deepEqual(Object.keys(run.outputs.jobs as Json), ["alpha", "beta"]);
  });

  it("adding a job leaves the other jobs' resource names unchanged", async () => {
    const before = await runStack({ namespace: "ml", jobs: { alpha: commandJob() } });
    const after = await runStack({ namespace: "ml", jobs: { alpha: commandJob(), beta: commandJob() } });
    const names = (run: typeof before) => summary(run).filter((s) => s.includes("alpha"));
    assert.deepEqual(names(after), names(before));
  });
});

describe("the training operator", () => {
  it("installs the upstream overlay by default, with the transform for operator-managed fields", async () => {
    const run = await runStack({ namespace: "ml", jobs: { granite: commandJob() } });
    const dir = one(run, T.directory, "training-operator");
    assert.deepEqual(dir.inputs, { directory: upstreamOperatorSource("v1.9.4") });
    // One transform: the operator's (it drops and ignores the webhook cert Secret's data).
    const transforms = dir.options.transforms as ReturnType<typeof operatorTransform>[];
    assert.equal(transforms.length, 1);
    const secret = { metadata: { name: "training-operator-webhook-cert" }, data: {} };
    assert.deepEqual(
      transforms[0]({ name: "x", custom: true, opts: {}, type: "kubernetes:core/v1:Secret", props: secret } as never)
        ?.props,
      { metadata: { name: "training-operator-webhook-cert" } },
    );
  });

  it("installs nothing with install: false, and jobs depend on nothing but their PVCs", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { granite: commandJob() },
    });
    assert.equal(
      run.resources.some((r) => r.type === T.operator || r.type === T.directory || r.type === T.configGroup),
      false,
    );
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-output",
      "ml-service-account",
    ]);
  });

  it("installs a local kustomize folder with the provider", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-kustomize-"));
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { source: dir },
      jobs: { granite: commandJob() },
    });
    assert.deepEqual(one(run, T.directory, "training-operator").inputs, { directory: dir });
  });

  it("installs a local rendered bundle object by object, leaving operator-managed fields alone", {
    skip: !fs.existsSync(OPERATOR_BUNDLE) && "the operator bundle is not beside the project",
  }, async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { source: OPERATOR_BUNDLE },
      jobs: { granite: commandJob() },
    });
    const children = run.resources.filter((r) => r.options.parent?.startsWith("training-operator") && r.custom);
    assert.deepEqual(
      children.map((r) => `${r.type} ${r.name}`).sort(),
      [
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration validator.training-operator.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition jaxjobs.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition mpijobs.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition paddlejobs.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition pytorchjobs.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition tfjobs.kubeflow.org",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition xgboostjobs.kubeflow.org",
        "kubernetes:apps/v1:Deployment kubeflow/training-operator",
        "kubernetes:core/v1:Namespace kubeflow",
        "kubernetes:core/v1:Secret kubeflow/training-operator-webhook-cert",
        "kubernetes:core/v1:Service kubeflow/training-operator",
        "kubernetes:core/v1:ServiceAccount kubeflow/training-operator",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole training-operator",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding training-operator",
      ].sort(),
    );
    const cert = one(run, T.secret, "kubeflow/training-operator-webhook-cert");
    assert.equal("data" in cert.inputs, false);
    assert.deepEqual(cert.options.ignoreChanges, ["data", "stringData"]);
    const webhook = one(
      run,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
      "validator.training-operator.kubeflow.org",
    );
    assert.deepEqual(webhook.options.ignoreChanges, ["webhooks[*].clientConfig.caBundle"]);
    const deployment = one(run, "kubernetes:apps/v1:Deployment", "kubeflow/training-operator");
    assert.equal(deployment.options.ignoreChanges, undefined);
    assert.equal(
      (deployment.inputs as Json).spec.template.metadata.annotations[INIT_CONTAINER_ANNOTATION],
      restrictedInitContainerTemplate(),
    );
    assert.deepEqual((deployment.inputs as Json).spec.template.spec.containers[0].args, [
      "--pytorch-init-container-template-file=/etc/finetune/initContainer.yaml",
    ]);
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-output",
      "training-operator",
      "ml-service-account",
    ]);
  });

  it("creates a bundle's Namespace and CRDs before the objects that need them", {
    skip: !fs.existsSync(OPERATOR_BUNDLE) && "the operator bundle is not beside the project",
  }, async () => {
    // The engine runs 4 operations per core at once: on 2 cores, 8 namespaced objects retrying
    // "namespace not found" would hold every slot while their Namespace waits for one.
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { source: OPERATOR_BUNDLE },
      jobs: { granite: commandJob() },
    });
    const prerequisites = ["kubeflow", ...V1_CRDS].sort();
    const children = run.resources.filter((r) => r.options.parent?.startsWith("training-operator") && r.custom);
    assert.deepEqual(
      children
        .filter((r) => r.options.parent === "training-operator-prerequisites")
        .map((r) => r.name)
        .sort(),
      prerequisites,
    );
    for (const child of children) {
      const after = child.options.parent === "training-operator" ? prerequisites : [];
      assert.deepEqual([...child.options.dependsOn].sort(), after, child.name);
    }
    assert.deepEqual(
      run.resources.filter((r) => r.type === T.configGroup).map((g) => [g.name, g.options.parent]),
      [
        ["training-operator-prerequisites", "training-operator"],
        ["training-operator", "training-operator"],
      ],
    );
  });
});

const NO_OPTIONS: InstallOptions = { trainJobStatus: false, images: {} };

describe("operatorTransform", () => {
  const base = { name: "x", custom: true, opts: {} } as const;

  it("drops and ignores the webhook cert Secret's data", () => {
    const result = operatorTransform(NO_OPTIONS)({
      ...base,
      type: "kubernetes:core/v1:Secret",
      props: { metadata: { name: "training-operator-webhook-cert", namespace: "kubeflow" }, data: {} },
    } as never);
    assert.deepEqual(result?.props, { metadata: { name: "training-operator-webhook-cert", namespace: "kubeflow" } });
    assert.deepEqual(result?.opts.ignoreChanges, ["data", "stringData"]);
  });

  it("ignores the webhook configuration's caBundle", () => {
    const props = { metadata: { name: "validator.training-operator.kubeflow.org" }, webhooks: [] };
    const result = operatorTransform(NO_OPTIONS)({
      ...base,
      type: "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
      props,
    } as never);
    assert.deepEqual(result?.props, props);
    assert.deepEqual(result?.opts.ignoreChanges, ["webhooks[*].clientConfig.caBundle"]);
  });

  it("gives the operator Deployment the restricted Worker init container", () => {
    const props = {
      metadata: { name: "training-operator", namespace: "kubeflow" },
      spec: { template: { spec: { containers: [{ name: "training-operator", command: ["/manager"] }] } } },
    };
    const result = operatorTransform(NO_OPTIONS)({ ...base, type: "kubernetes:apps/v1:Deployment", props } as never);
    assert.deepEqual(result?.props, withRestrictedInitContainer(props, "Deployment"));
    assert.deepEqual(result?.opts, {});
  });

  it("leaves every other object as it is", () => {
    for (const [type, name] of [
      ["kubernetes:apps/v1:Deployment", "other"],
      ["kubernetes:core/v1:Secret", "training-operator"],
    ]) {
      const result = operatorTransform(NO_OPTIONS)({ ...base, type, props: { metadata: { name } } } as never);
      assert.equal(result, undefined, type);
    }
  });
});

describe("secrets", () => {
  const TOKEN = "hf_canary_9f3b2c1d";

  it("keeps the token a secret, in a Secret only, reaching the pods through secretKeyRef", async () => {
    const run = await runStack({ namespace: "ml", hfToken: TOKEN, jobs: { granite: commandJob() } }, ["hfToken"]);
    const secret = one(run, T.secret, "ml-hf-token");
    const stringData = secret.inputs.stringData;
    assert.equal(isSecretValue(stringData), true);
    assert.deepEqual((stringData as { value: unknown }).value, { token: TOKEN });
    assert.deepEqual((secret.inputs.metadata as Json).name, "hf-token");

    const env = (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master.template
      .spec.containers[0].env;
    assert.deepEqual(env, [
      { name: "CHECKPOINT_DIR", value: "/mnt/output/checkpoints" },
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
    ]);
    assert.deepEqual(one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn, [
      "granite-output",
      "training-operator",
      "ml-hf-token",
      "ml-service-account",
    ]);

    for (const r of run.resources.filter((r) => r !== secret)) {
      assert.equal(JSON.stringify(r.inputs).includes(TOKEN), false, `${r.type} ${r.name} holds the token`);
    }
    assert.equal(JSON.stringify(run.outputs).includes(TOKEN), false);
  });

  it("has no token Secret and no HF_TOKEN without a token", async () => {
    const run = await runStack({ namespace: "ml", jobs: { granite: commandJob() } });
    assert.equal(
      run.resources.some((r) => r.type === T.secret),
      false,
    );
    const container = (one(run, T.pytorchJob, "granite-pytorchjob").inputs as Json).spec.pytorchReplicaSpecs.Master
      .template.spec.containers[0];
    assert.deepEqual(container.env, [{ name: "CHECKPOINT_DIR", value: "/mnt/output/checkpoints" }]);
  });
});

describe("bad config", () => {
  it("declares nothing and reports every problem", async () => {
    await assert.rejects(runStack({ namespace: "ML", jobs: { granite: commandJob({ nodes: 0 }) } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, [
        "finetune:namespace: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
        "finetune:jobs.granite.nodes: must be at least 1",
      ]);
      return true;
    });
  });
});
