// Every pod of every built-in Trainer v2.3 runtime, as a TrainJob of the program makes it: the
// runtime's pod template with the program's runtimePatches applied, checked against the restricted
// Pod Security level the jobs' namespace enforces; and what the program says about a runtime it
// does not know.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildTrainJob } from "../components/builders/v2/trainJob";
import { parseConfig } from "../components/config";
import { BUILT_IN_RUNTIMES } from "../components/schema/runtimes";
import { applyRuntimePatch } from "./support/podAdmission";
import { restrictedViolations } from "./support/podSecurity";
import { validateStructural } from "./support/structuralSchema";
import { builtInRuntimes, trainJobSchema, trainJobWebhookViolations } from "./support/trainJob";

type Json = Record<string, any>;

const stack = (runtime: Json) => ({
  namespace: "ml",
  trainingOperator: { version: "v2.3.0", install: false },
  jobs: {
    tune: {
      image: "registry.example.com/ml/trainer:1.0",
      nodes: 2,
      gpusPerNode: 2,
      shmSize: "8Gi",
      output: { size: "10Gi" },
      trainer: { type: "command", command: ["python", "train.py"] },
      ...runtime,
    },
  },
});

/** The stack's config, the TrainJob of its job, and the replicated jobs its runtimePatches entry patches. */
function render(runtime: Json): { warnings: readonly string[]; trainJob: Json; patches: Json[] } {
  const config = parseConfig(stack(runtime), new Set());
  const trainJob = buildTrainJob({
    name: "tune",
    namespace: "ml",
    job: config.jobs.tune,
    hfToken: false,
  }) as unknown as Json;
  return {
    warnings: config.warnings,
    trainJob,
    patches: trainJob.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs,
  };
}

describe("Trainer v2 runtimes: every pod a TrainJob causes meets restricted", {
  skip: !trainJobSchema() && "no v2 bundles",
}, () => {
  const runtimes = builtInRuntimes();
  const schema = trainJobSchema();

  it("the program knows every built-in runtime of the v2.3.0 bundle, and each one's replicated jobs", () => {
    assert.deepEqual(Object.keys(BUILT_IN_RUNTIMES).sort(), [...runtimes.keys()].sort());
    for (const [name, jobs] of Object.entries(BUILT_IN_RUNTIMES)) {
      const rJobs: Json[] = runtimes.get(name)?.spec.template.spec.replicatedJobs ?? [];
      assert.deepEqual(jobs.map((j) => j.name).sort(), rJobs.map((r) => r.name).sort(), name);
    }
  });

  for (const name of Object.keys(BUILT_IN_RUNTIMES)) {
    it(`${name}: the TrainJob passes the CRD and the webhooks, and each replicated job's pods meet restricted`, () => {
      const { warnings, trainJob, patches } = render({ runtime: name });
      assert.deepEqual(warnings, []);
      assert.deepEqual(validateStructural(trainJob, schema as never), []);
      assert.deepEqual(trainJobWebhookViolations(trainJob, runtimes), []);
      for (const rJob of (runtimes.get(name)?.spec.template.spec.replicatedJobs ?? []) as Json[]) {
        const patch = patches.find((p) => p.name === rJob.name)?.template.spec.template.spec;
        const pod = applyRuntimePatch(rJob.template.spec.template.spec, patch);
        assert.deepEqual(restrictedViolations(pod), [], `${name}/${rJob.name}`);
      }
    });
  }

  it("a runtime the program does not know: the node pods patched, and a warning", () => {
    const { warnings, patches } = render({ runtime: "my-runtime", runtimeKind: "TrainingRuntime" });
    assert.deepEqual(warnings, [
      "finetune:jobs.tune.runtime: TrainingRuntime my-runtime is not a built-in runtime of Trainer v2.3, so the program patches only its replicated job node: pods of its other replicated jobs get none of the job's identity, security contexts, volumes or placement, and a namespace enforcing restricted admits them only if the runtime meets it itself",
    ]);
    assert.deepEqual(
      patches.map((p) => p.name),
      ["node"],
    );
  });

  it("deepspeed: the launcher trains too (runLauncherAsNode), so it gets the volumes; torchtune's initializers only identity", () => {
    const jobsOf = (runtime: string) => render({ runtime }).patches;
    const deepspeed = jobsOf("deepspeed-distributed");
    assert.deepEqual(
      deepspeed.map((j) => [j.name, j.template.spec.template.spec.volumes.map((v: Json) => v.name)]),
      [
        ["node", ["dshm", "output"]],
        ["launcher", ["dshm", "output"]],
      ],
    );
    const torchtune = jobsOf("torchtune-llama3.2-1b");
    assert.deepEqual(
      torchtune.map((j) => [
        j.name,
        j.template.spec.template.spec.volumes?.length ?? 0,
        j.template.spec.template.metadata !== undefined,
      ]),
      [
        ["dataset-initializer", 0, false],
        ["model-initializer", 0, false],
        ["node", 2, true],
      ],
    );
  });
});
