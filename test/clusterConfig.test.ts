// How a stack names its cluster in config (finetune:kubeconfig, finetune:cluster): the provider
// told as kubectl reads kubeconfigs, a kubeconfig's contents only as a secret, and S3 endpoints
// that carry no credentials.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseConfig, SECRET_RULES } from "../components/config";
import { isSecretValue } from "../tools/mockRun";
import { problemsOf } from "./support/problems";
import { commandJob, one, runStack, T } from "./support/stacks";

const KUBECONFIG = "apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: 'https://10.0.0.1:6443'}\n";

describe("the provider's kubeconfig", () => {
  it("is explicitly none when the stack names none: the provider then reads every file of $KUBECONFIG, as kubectl", async () => {
    const run = await runStack({ namespace: "ml", trainingOperator: { install: false }, jobs: { a: commandJob() } });
    assert.deepEqual(one(run, T.provider, "cluster").inputs, { kubeconfig: "", enableServerSideApply: "true" });
  });

  it("is the secret finetune:kubeconfig, kept secret", async () => {
    const run = await runStack(
      { namespace: "ml", kubeconfig: KUBECONFIG, trainingOperator: { install: false }, jobs: { a: commandJob() } },
      ["kubeconfig"],
    );
    const { kubeconfig } = one(run, T.provider, "cluster").inputs;
    assert.equal(isSecretValue(kubeconfig), true);
    assert.deepEqual(isSecretValue(kubeconfig) ? kubeconfig.value : undefined, KUBECONFIG);
  });

  it("is refused as a secret's contents in clear text: finetune:kubeconfig must be stored as a secret, and be a kubeconfig", () => {
    assert.deepEqual(problemsOf({ namespace: "ml", kubeconfig: KUBECONFIG, jobs: {} }), [
      "finetune:kubeconfig: must be stored as a secret: pulumi config set --secret kubeconfig <value>",
    ]);
    assert.equal(SECRET_RULES.kubeconfig(KUBECONFIG), undefined);
    assert.equal(
      SECRET_RULES.kubeconfig("token-abc"),
      'must be the contents of a kubeconfig (a YAML or JSON map with clusters, contexts and users): pulumi config set --secret kubeconfig "$(cat path/to/kubeconfig)"',
    );
  });

  it("is given once: finetune:kubeconfig and cluster.kubeconfig together are refused", () => {
    assert.deepEqual(
      problemsOf({ namespace: "ml", kubeconfig: "[secret]", cluster: { kubeconfig: "/etc/kube/config" }, jobs: {} }, [
        "kubeconfig",
      ]),
      [
        "finetune:kubeconfig: is set with cluster.kubeconfig: give the kubeconfig's contents here (as a secret), or its path in cluster.kubeconfig, not both",
      ],
    );
  });

  it("warns of a kubeconfig's contents in cluster.kubeconfig, in clear text, but not of a path", () => {
    const contents = parseConfig({ namespace: "ml", cluster: { kubeconfig: KUBECONFIG }, jobs: {} }, new Set());
    assert.deepEqual(contents.warnings, [
      'finetune:cluster.kubeconfig: holds a kubeconfig\'s contents, in clear text in the stack file and the state: move them to the secret key kubeconfig (pulumi config rm --path cluster.kubeconfig; pulumi config set --secret kubeconfig "$(cat path/to/kubeconfig)")',
    ]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "finetune-kc-")), "config");
    fs.writeFileSync(file, KUBECONFIG);
    assert.deepEqual(parseConfig({ namespace: "ml", cluster: { kubeconfig: file }, jobs: {} }, new Set()).warnings, []);
  });
});

describe("an S3 endpoint", () => {
  const stack = (endpoint: string) => ({
    namespace: "ml",
    jobs: { a: commandJob({ dataset: { source: "s3://training-data/granite", size: "1Gi", endpoint } }) },
  });
  const refusal =
    "finetune:jobs.a.dataset.endpoint: must not carry credentials (a user:password@ or a signed query such as X-Amz-Credential): it is written into the staging Job and the state in clear text. Give the endpoint's URL alone, and the keys as secrets in s3AccessKeyId and s3SecretAccessKey";

  it("with user info or a signed query is refused, without repeating it", () => {
    for (const endpoint of [
      "https://AKIAEXAMPLE:wJalrXUtnFEMI@minio.example.com:9000",
      "https://AKIAEXAMPLE@minio.example.com",
      "https://minio.example.com/?X-Amz-Credential=AKIAEXAMPLE%2F20261203&X-Amz-Signature=abc",
      "https://s3.example.com/?AWSAccessKeyId=AKIAEXAMPLE&Signature=abc",
    ]) {
      assert.deepEqual(problemsOf(stack(endpoint)), [refusal], endpoint);
    }
  });

  it("that is a URL alone is accepted", () => {
    assert.deepEqual(problemsOf(stack("https://minio.example.com:9000")), []);
    assert.deepEqual(problemsOf(stack("https://minio.example.com:9000/?region=x")), []);
  });
});
