// A staging or preparation Job the cluster holds keeps its spec while it is a run of the same data
// (components/builders/keptJobs.ts): the decision, the option the program declares from what
// index.ts reads first, and what a preview then plans.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BatchJobManifest } from "../components/builders/dataJobs";
import { KEPT_SPEC, keepsSpec } from "../components/builders/keptJobs";
import type { ClusterObject } from "../components/builders/ownership";
import { readHeldJobs } from "../components/cluster/heldJobs";
import type { ClusterReader } from "../components/cluster/reader";
import type { ProgramRun } from "../tools/mockRun";
import { OWNED, one, plan, runStack, T } from "./support/stacks";

type Json = Record<string, any>;
const JOB = "kubernetes:batch/v1:Job";
const OWNER = OWNED["finetune/stack"];
const MODEL = "hf://ibm-granite/granite-3.1-8b-base@main";

const manifest = (annotations?: Record<string, string>): BatchJobManifest => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "granite-stage-model", namespace: "ml", labels: {}, annotations: {} },
  spec: {
    backoffLimit: 2,
    template: { metadata: { labels: {}, ...(annotations ? { annotations } : {}) }, spec: { containers: [] } },
  },
});

const held = (
  annotations: Record<string, string> | undefined,
  conditions: { type: string; status: string }[],
  extra: { owner?: string; deleting?: boolean } = {},
): ClusterObject =>
  ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "granite-stage-model",
      namespace: "ml",
      annotations: extra.owner === undefined ? { ...OWNED } : { "finetune/stack": extra.owner },
      ...(extra.deleting ? { deletionTimestamp: "2026-12-05T03:00:00Z" } : {}),
    },
    spec: { template: { metadata: annotations ? { annotations } : {} } },
    status: { conditions },
  }) as ClusterObject;

const SOURCE = { "finetune/model-source": MODEL };
const COMPLETE = [{ type: "Complete", status: "True" }];
const FAILED = [{ type: "Failed", status: "True" }];

describe("keepsSpec", () => {
  const cases: [string, ClusterObject | undefined, Record<string, string> | undefined, boolean][] = [
    ["no Job of that name", undefined, SOURCE, false],
    ["completed, same source", held(SOURCE, COMPLETE), SOURCE, true],
    ["running (no condition yet), same source", held(SOURCE, []), SOURCE, true],
    ["failed: run again as written now", held(SOURCE, FAILED), SOURCE, false],
    ["completed, another source", held(SOURCE, COMPLETE), { "finetune/model-source": "hf://other/model@main" }, false],
    [
      "completed, a restage token added",
      held(SOURCE, COMPLETE),
      { ...SOURCE, "finetune/model-restage": "2026-12-05" },
      false,
    ],
    ["completed, a rerun token changed", held({ "finetune/rerun": "1" }, COMPLETE), { "finetune/rerun": "2" }, false],
    ["completed, no run annotations either side", held(undefined, COMPLETE), undefined, true],
    [
      "an annotation other than the run's differs",
      held({ ...SOURCE, "example.com/note": "a" }, COMPLETE),
      SOURCE,
      true,
    ],
    ["created by another stack", held(SOURCE, COMPLETE, { owner: "acme/finetune/prod" }), SOURCE, false],
    ["being deleted", held(SOURCE, COMPLETE, { deleting: true }), SOURCE, false],
  ];
  for (const [what, job, wanted, kept] of cases) {
    it(`${what}: ${kept ? "kept" : "written anew"}`, () => {
      assert.equal(keepsSpec(job, manifest(wanted), OWNER), kept);
    });
  }
});

describe("readHeldJobs", () => {
  it("lists the program's staging, preparation and training jobs of the namespace, by name", async () => {
    const asked: string[] = [];
    const reader = {
      list: async (apiVersion: string, kind: string, namespace?: string, selector?: string) => {
        asked.push(`${apiVersion} ${kind} ${namespace} ${selector}`);
        const component = selector?.split("app.kubernetes.io/component=")[1];
        return [{ apiVersion, kind, metadata: { name: `granite-${component}` } }];
      },
    } as unknown as ClusterReader;
    const jobs = await readHeldJobs(reader, "ml", { apiVersion: "kubeflow.org/v1", kind: "PyTorchJob" });
    assert.deepEqual(asked, [
      "batch/v1 Job ml app.kubernetes.io/part-of=finetune,app.kubernetes.io/component=staging",
      "batch/v1 Job ml app.kubernetes.io/part-of=finetune,app.kubernetes.io/component=data-preparation",
      "kubeflow.org/v1 PyTorchJob ml app.kubernetes.io/part-of=finetune,app.kubernetes.io/component=training",
    ]);
    assert.deepEqual([...jobs.data.keys()], ["granite-staging", "granite-data-preparation"]);
    assert.deepEqual([...jobs.training.keys()], ["granite-training"]);
  });
});

describe("the program keeps a held data Job's spec", () => {
  const ilab = (extra: Record<string, unknown> = {}) => ({
    namespace: "ml",
    trainingOperator: { install: false },
    jobs: {
      granite: {
        image: "quay.io/acme/ilab:1.0",
        model: { source: MODEL, size: "40Gi" },
        dataset: { source: "s3://training-data/granite", size: "10Gi" },
        output: { size: "100Gi" },
        trainer: { type: "instructlab", epochs: 2 },
        ...extra,
      },
    },
  });
  /** The Jobs of a run as the cluster would hold them, each with these conditions. */
  const heldFrom = (run: ProgramRun, conditions: { type: string; status: string }[]) => ({
    data: new Map(
      run.resources
        .filter((r) => r.type === JOB)
        .map((r) => {
          const inputs = r.inputs as Json;
          return [inputs.metadata.name as string, { ...inputs, status: { conditions } } as ClusterObject];
        }),
    ),
    training: new Map<string, ClusterObject>(),
  });

  it("declares ignoreChanges on spec for each completed one, and nothing for a new stack", async () => {
    const first = await runStack(ilab());
    for (const name of ["granite-stage-model", "granite-stage-dataset", "granite-prepare"]) {
      assert.equal(one(first, JOB, name).options.ignoreChanges, undefined, name);
    }
    const again = await runStack(ilab(), [], { held: heldFrom(first, COMPLETE) });
    for (const name of ["granite-stage-model", "granite-stage-dataset", "granite-prepare"]) {
      assert.deepEqual(one(again, JOB, name).options.ignoreChanges, KEPT_SPEC, name);
    }
    assert.equal(one(again, T.pytorchJob, "granite-pytorchjob").options.ignoreChanges, undefined);
  });

  it("a change the data does not depend on replaces completed Jobs only when none is held", async () => {
    const first = await runStack(ilab());
    // New staging requests, the job's scheduling: written differently, the same data.
    const changed = ilab({ scheduling: { nodeSelector: { pool: "a100" } } });
    const withStaging = { ...changed, staging: { resources: { memory: "4Gi" } } };
    const notHeld = await runStack(withStaging);
    assert.deepEqual(Object.fromEntries(Object.entries(plan(first, notHeld)).filter(([, a]) => a !== "same")), {
      [`${JOB} granite-stage-model`]: "replace",
      [`${JOB} granite-stage-dataset`]: "replace",
      [`${JOB} granite-prepare`]: "replace",
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    });
    const kept = await runStack(withStaging, [], { held: heldFrom(first, COMPLETE) });
    assert.deepEqual(Object.fromEntries(Object.entries(plan(first, kept)).filter(([, a]) => a !== "same")), {
      [`${T.pytorchJob} granite-pytorchjob`]: "replace",
    });
  });

  it("a failed held Job, or a restage, is run again with the spec written now", async () => {
    const first = await runStack(ilab());
    const failed = await runStack(ilab({ scheduling: { nodeSelector: { pool: "a100" } } }), [], {
      held: heldFrom(first, FAILED),
    });
    assert.equal(one(failed, JOB, "granite-prepare").options.ignoreChanges, undefined);
    assert.deepEqual((one(failed, JOB, "granite-prepare").inputs as Json).spec.template.spec.nodeSelector, {
      pool: "a100",
    });
    const restaged = await runStack(ilab({ model: { source: MODEL, size: "40Gi", restage: "2" } }), [], {
      held: heldFrom(first, COMPLETE),
    });
    assert.equal(one(restaged, JOB, "granite-stage-model").options.ignoreChanges, undefined);
    assert.deepEqual(one(restaged, JOB, "granite-stage-dataset").options.ignoreChanges, KEPT_SPEC);
    // The dataset prepared anew: a source of its run changed.
    assert.equal(one(restaged, JOB, "granite-prepare").options.ignoreChanges, undefined);
  });
});
