// Every rendered PyTorchJob, for the dev stack and for stacks written against the documented keys
// by someone else (test/fixtures), against the PyTorchJob CRD's openAPIV3Schema from the upstream
// v1.9.4 bundle and the rules of the operator's admission webhook.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runProgram } from "../tools/mockRun";
import { readStackFile } from "../tools/render";
import { commandJob, runStack, T } from "./support/stacks";
import { OPERATOR_BUNDLE, pytorchJobSchema, validateStructural, webhookViolations } from "./support/structuralSchema";

const ROOT = path.resolve(__dirname, "..");
const schema = pytorchJobSchema();
const skip = schema === undefined && `no operator bundle at ${OPERATOR_BUNDLE}`;

const STACK_FILES = [
  path.join(ROOT, "Pulumi.dev.yaml"),
  path.join(ROOT, "test/fixtures/Pulumi.multinode.yaml"),
  path.join(ROOT, "test/fixtures/Pulumi.gaudi.yaml"),
  path.join(ROOT, "test/fixtures/Pulumi.sources.yaml"),
];

describe("PyTorchJob conformance", { skip }, () => {
  for (const file of STACK_FILES) {
    it(`${path.relative(ROOT, file)}: every PyTorchJob passes the CRD schema and the webhook`, async () => {
      const { config, secretKeys } = readStackFile(file);
      const run = await runProgram(config, secretKeys);
      const jobs = run.resources.filter((r) => r.type === T.pytorchJob);
      assert.ok(jobs.length >= 1);
      for (const job of jobs) {
        const { apiVersion, kind, metadata, ...rest } = job.inputs as Record<string, unknown>;
        assert.equal(apiVersion, "kubeflow.org/v1");
        assert.equal(kind, "PyTorchJob");
        assert.deepEqual(validateStructural({ apiVersion, kind, metadata, ...rest }, schema!), [], job.name);
        assert.deepEqual(webhookViolations(job.inputs as never), [], job.name);
      }
    });
  }

  it("the validators catch what the API server and webhook would refuse", () => {
    const bad = {
      apiVersion: "kubeflow.org/v1",
      kind: "PyTorchJob",
      metadata: { name: "Bad_Name" },
      spec: {
        nprocPerNode: 8,
        runPolicy: { backoffLimit: "3", typo: true },
        pytorchReplicaSpecs: {
          Master: { replicas: 2, template: { spec: { containers: [{ name: "main", image: "x" }] } } },
          Worker: { replicas: 0, template: { spec: { containers: [{ name: "pytorch" }] } } },
        },
      },
    };
    assert.deepEqual(validateStructural(bad, schema!), [
      "<root>.spec.nprocPerNode: must be a string, got number",
      "<root>.spec.runPolicy.backoffLimit: must be an integer",
      "<root>.spec.runPolicy.typo: unknown field (the API server would prune it)",
    ]);
    assert.deepEqual(webhookViolations(bad), [
      'metadata.name: "Bad_Name" is not a DNS-1035 label',
      "Master replicas is 2, must be 1",
      "Master: no container named pytorch",
      "Worker replicas is 0, must be >= 1",
      "Worker: container pytorch has no image",
    ]);
  });

  it("jobs of every shape conform: 1 to 16 nodes, any accelerator, existing and new volumes", async () => {
    for (const nodes of [1, 2, 16]) {
      const run = await runStack({
        namespace: "ml",
        trainingOperator: { install: false },
        jobs: {
          shape: commandJob({
            nodes,
            gpusPerNode: 4,
            gpuResource: "amd.com/gpu",
            model: { existingClaim: "models" },
            dataset: { size: "1Gi", accessMode: "ReadOnlyMany" },
            output: { size: "1Gi", accessMode: "ReadWriteMany" },
            env: { A: "1" },
            runPolicy: { ttlSecondsAfterFinished: 60 },
          }),
        },
      });
      const job = run.resources.find((r) => r.type === T.pytorchJob);
      assert.deepEqual(validateStructural(job?.inputs, schema!), [], `nodes=${nodes}`);
      assert.deepEqual(webhookViolations(job?.inputs as never), [], `nodes=${nodes}`);
    }
  });
});

it("the operator bundle is present beside the project (conformance runs in CI)", {
  skip: !process.env.CI && "only required in CI",
}, () => {
  assert.equal(fs.existsSync(OPERATOR_BUNDLE), true, OPERATOR_BUNDLE);
});
