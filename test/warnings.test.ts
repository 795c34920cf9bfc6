// Runs that cannot train as configured are deployed (a user may have reasons), with a warning that
// names the key and the fix: in `pulumi preview` and `pulumi up`, and on stderr in render.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, MAX_JOBS, parseConfig } from "../components/config";

const job = (extra: Record<string, unknown> = {}) => ({
  image: "registry.example.com/ml/trainer:1.0",
  output: { size: "1Gi" },
  trainer: { type: "command", command: ["torchrun", "train.py"] },
  resources: { memory: "64Gi" },
  ...extra,
});

const warningsOf = (jobs: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseConfig({ namespace: "ml", trainingOperator: { install: false }, jobs, ...extra }, new Set()).warnings;

describe("warnings for runs that cannot train as configured", () => {
  it("a new model or dataset PVC with no source is mounted empty", () => {
    assert.deepEqual(
      warningsOf({
        granite: job({ trainer: { type: "instructlab" }, model: { size: "40Gi" }, dataset: { size: "10Gi" } }),
      }),
      [
        "finetune:jobs.granite.model: is a new, empty PVC with no source, mounted read-only at /mnt/model: the run finds nothing there. Set model.source (hf://, s3://) to fill it, or existingClaim to use a PVC that holds the data.",
        "finetune:jobs.granite.dataset: is a new, empty PVC with no source, mounted read-only at /mnt/dataset: the run finds nothing there. Set dataset.source (hf://, s3://) to fill it, or existingClaim to use a PVC that holds the data.",
      ],
    );
  });

  it("an s3:// source with no S3 credentials", () => {
    assert.deepEqual(warningsOf({ a: job({ dataset: { source: "s3://training-data/a", size: "1Gi" } }) }), [
      "finetune:jobs.a.dataset.source: s3://training-data/a is fetched with no credentials (s3AccessKeyId and s3SecretAccessKey are not set): only a public bucket, or credentials the staging pod gets from its node, will work. Set both with pulumi config set --secret otherwise.",
    ]);
    assert.deepEqual(
      parseConfig(
        {
          namespace: "ml",
          trainingOperator: { install: false },
          s3AccessKeyId: "[secret]",
          s3SecretAccessKey: "[secret]",
          jobs: { a: job({ dataset: { source: "s3://training-data/a", size: "1Gi" } }) },
        },
        new Set(["s3AccessKeyId", "s3SecretAccessKey"]),
      ).warnings,
      [],
    );
  });

  it("an unbounded /dev/shm: neither shmSize nor resources.memory", () => {
    assert.deepEqual(warningsOf({ a: job({ resources: {} }) }), [
      "finetune:jobs.a.shmSize: /dev/shm is memory-backed and unbounded (neither shmSize nor resources.memory is set): the trainer's shared memory can take all of the node's memory. Set shmSize (e.g. 16Gi) or resources.memory.",
    ]);
    assert.deepEqual(warningsOf({ a: job({ resources: {}, shmSize: "16Gi" }) }), []);
  });

  it("none for a job that can train", () => {
    assert.deepEqual(
      warningsOf({
        granite: job({
          trainer: { type: "instructlab" },
          model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "40Gi" },
          dataset: { existingClaim: "sft-data" },
        }),
      }),
      [],
    );
  });
});

describe("limits", () => {
  it(`refuses more than ${MAX_JOBS} jobs in one stack at once, before validating each`, () => {
    const jobs = Object.fromEntries(Array.from({ length: MAX_JOBS + 1 }, (_, i) => [`job-${i}`, { image: 1 }]));
    assert.throws(
      () => parseConfig({ namespace: "ml", jobs }, new Set()),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
          `finetune:jobs: has ${MAX_JOBS + 1} jobs; at most ${MAX_JOBS} fit in one stack (see docs/stack-files.md, Limits): split them across stacks`,
        ]);
        return true;
      },
    );
  });
});
