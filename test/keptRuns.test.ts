// A training job the cluster holds keeps its spec while the config it was made from is unchanged
// (components/builders/keptRuns.ts): the record, the decision, the option and the warnings the
// program declares from what index.ts reads first, and what a preview then plans.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEPT_SPEC } from "../components/builders/keptJobs";
import { keptRun, RUN_RECORD, runConfigRecord } from "../components/builders/keptRuns";
import type { ClusterObject } from "../components/builders/ownership";
import { parseConfig } from "../components/config";
import type { ProgramRun } from "../tools/mockRun";
import { commandJob, OWNED, one, plan, runStack, T } from "./support/stacks";

type Json = Record<string, any>;
const OWNER = OWNED["finetune/stack"];
const JOB = "granite-pytorchjob";
const RECORD = "0123456789abcdef0123456789abcdef";

const heldJob = (annotations: Record<string, string>, extra: { deleting?: boolean } = {}): ClusterObject => ({
  metadata: {
    name: "granite",
    namespace: "ml",
    annotations,
    ...(extra.deleting ? { deletionTimestamp: "2026-12-05T03:00:00Z" } : {}),
  },
});

describe("keptRun", () => {
  const recorded = { ...OWNED, [RUN_RECORD.config]: RECORD, [RUN_RECORD.spec]: "s1" };
  const cases: [string, ClusterObject | undefined, Json | undefined][] = [
    ["no job of that name", undefined, undefined],
    ["created by this stack, the same config", heldJob(recorded), { kind: "recorded", spec: "s1" }],
    [
      "the same config, its spec not recorded",
      heldJob({ ...OWNED, [RUN_RECORD.config]: RECORD }),
      { kind: "recorded" },
    ],
    ["another config: a new run", heldJob({ ...recorded, [RUN_RECORD.config]: "f".repeat(32) }), undefined],
    ["made before records", heldJob({ ...OWNED }), { kind: "unrecorded" }],
    ["created by another stack", heldJob({ ...recorded, "finetune/stack": "acme/finetune/prod" }), undefined],
    ["being deleted", heldJob(recorded, { deleting: true }), undefined],
  ];
  for (const [what, job, expected] of cases) {
    it(`${what}: ${expected === undefined ? "written anew" : `kept (${expected.kind})`}`, () => {
      assert.deepEqual(keptRun(job, RECORD, OWNER), expected);
    });
  }
});

describe("the record of a run's config", () => {
  const recordOf = (stack: Json, name = "granite") => parseConfig(stack, new Set()).runConfigs[name];
  const stack = (job: Json, extra: Json = {}) => ({ namespace: "ml", jobs: { granite: job }, ...extra });

  it("is what the user wrote: the order of keys and text for numbers do not change it; a default written out does", () => {
    const base = recordOf(stack(commandJob({ nodes: 2, gpusPerNode: 8 })));
    assert.match(base, /^[0-9a-f]{32}$/);
    assert.equal(recordOf(stack({ gpusPerNode: 8, ...commandJob({ nodes: "2" }) })), base);
    assert.notEqual(recordOf(stack(commandJob({ nodes: 2, gpusPerNode: 8, wait: "running" }))), base);
  });

  it("changes with the job's rerun token, its sources, the stack's queue, operator generation and credentials", () => {
    const base = recordOf(stack(commandJob()));
    const others = [
      recordOf(stack(commandJob({ rerun: "1" }))),
      recordOf(stack(commandJob({ model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "1Gi" } }))),
      recordOf(stack(commandJob(), { queue: "team-a" })),
      recordOf(stack(commandJob(), { trainingOperator: { version: "v2.3.0" } })),
      runConfigRecord({ job: commandJob(), generation: 1, hfToken: true, imagePullSecrets: false }),
      runConfigRecord({ job: commandJob(), generation: 1, hfToken: false, imagePullSecrets: true }),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
    assert.equal(runConfigRecord({ job: commandJob(), generation: 1, hfToken: false, imagePullSecrets: false }), base);
  });

  it("stays when trainingOperator.version names another release of the same generation", () => {
    const base = recordOf(stack(commandJob()));
    assert.equal(recordOf(stack(commandJob(), { trainingOperator: { version: "v1.9.4", install: false } })), base);
  });
});

describe("the program keeps a held training job's spec", () => {
  const ilab = (extra: Json = {}, trainer: Json = {}) => ({
    namespace: "ml",
    trainingOperator: { install: false },
    jobs: {
      granite: {
        image: "quay.io/acme/ilab:1.0",
        model: { existingClaim: "models" },
        dataset: { existingClaim: "data" },
        output: { size: "100Gi" },
        shmSize: "16Gi",
        trainer: { type: "instructlab", processData: false, ...trainer },
        ...extra,
      },
    },
  });
  /** The training job of a run as the cluster would hold it, its annotations changed by `edit`. */
  const heldFrom = (run: ProgramRun, edit: (a: Json) => Json = (a) => a) => {
    const inputs = one(run, T.pytorchJob, JOB).inputs as Json;
    const job = { ...inputs, metadata: { ...inputs.metadata, annotations: edit(inputs.metadata.annotations) } };
    return { data: new Map(), training: new Map([["granite", job as ClusterObject]]) };
  };
  const annotations = (run: ProgramRun) => (one(run, T.pytorchJob, JOB).inputs as Json).metadata.annotations;

  it("records the config and the spec on a new run, and keeps nothing", async () => {
    const first = await runStack(ilab());
    assert.match(annotations(first)[RUN_RECORD.config], /^[0-9a-f]{32}$/);
    assert.match(annotations(first)[RUN_RECORD.spec], /^[0-9a-f]{32}$/);
    assert.equal(one(first, T.pytorchJob, JOB).options.ignoreChanges, undefined);
    assert.deepEqual(first.warnings, []);
  });

  it("keeps the spec of a recorded run with the same config, silently when this release writes it the same", async () => {
    const first = await runStack(ilab());
    const again = await runStack(ilab(), [], { held: heldFrom(first) });
    assert.deepEqual(one(again, T.pytorchJob, JOB).options.ignoreChanges, KEPT_SPEC);
    assert.deepEqual(annotations(again), annotations(first));
    assert.deepEqual(again.warnings, []);
    assert.deepEqual(plan(first, again)[`${T.pytorchJob} ${JOB}`], "same");
  });

  it("replaces a recorded run whose config changed, as before", async () => {
    const first = await runStack(ilab());
    const changed = await runStack(ilab({}, { epochs: 3 }), [], { held: heldFrom(first) });
    assert.equal(one(changed, T.pytorchJob, JOB).options.ignoreChanges, undefined);
    assert.equal(plan(first, changed)[`${T.pytorchJob} ${JOB}`], "replace");
    assert.notEqual(annotations(changed)[RUN_RECORD.config], annotations(first)[RUN_RECORD.config]);
  });

  it("says when this release writes a kept run's spec differently, and keeps the spec's record", async () => {
    const first = await runStack(ilab());
    const held = heldFrom(first, (a) => ({ ...a, [RUN_RECORD.spec]: RECORD }));
    const again = await runStack(ilab(), [], { held });
    assert.deepEqual(one(again, T.pytorchJob, JOB).options.ignoreChanges, KEPT_SPEC);
    assert.equal(annotations(again)[RUN_RECORD.spec], RECORD);
    assert.deepEqual(again.warnings, [
      "finetune:jobs.granite: PyTorchJob ml/granite is kept as it runs: this release writes its spec differently (see the CHANGELOG), and that applies at its next run (a change of finetune:jobs.granite, or a new finetune:jobs.granite.rerun).",
    ]);
  });

  it("keeps a run made before records, says what that means, and records its config only", async () => {
    const first = await runStack(ilab());
    const unrecorded = (a: Json) => {
      const { [RUN_RECORD.config]: _c, [RUN_RECORD.spec]: _s, ...rest } = a;
      return rest;
    };
    const again = await runStack(ilab(), [], { held: heldFrom(first, unrecorded) });
    assert.deepEqual(one(again, T.pytorchJob, JOB).options.ignoreChanges, KEPT_SPEC);
    assert.equal(annotations(again)[RUN_RECORD.config], annotations(first)[RUN_RECORD.config]);
    assert.equal(annotations(again)[RUN_RECORD.spec], undefined);
    assert.deepEqual(again.warnings, [
      "finetune:jobs.granite: PyTorchJob ml/granite was created by a release of the program that recorded nothing of the config it was made from (0.1.0 or earlier): it is kept as it runs, and this update leaves its spec as it is. What a newer release writes differently applies at its next run; if you changed finetune:jobs.granite in this update, set finetune:jobs.granite.rerun to a new value to run it with the change.",
    ]);
  });
});
