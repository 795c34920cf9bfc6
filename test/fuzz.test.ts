// Property-based tests: thousands of generated stack configs, valid and hostile, for the v1
// operator and Trainer v2, reaching every key of the schema (checked). Each is either refused with
// problems that name key paths (never a crash, a stack trace or an SDK error), or every object the
// program renders passes its Kubernetes schema (and the PyTorchJob or TrainJob CRD and webhook
// rules), every pod meets the Pod Security level its namespace enforces, none runs a shell, and
// every user string is carried intact as one argument.
// Seeded and bounded; on failure fast-check prints the seed and path to replay it:
//   FUZZ_SEED=<seed> npm run test:unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, decodeConfigValues, parseStackConfig, SECRET_KEYS } from "../components/config";
import { inOperatorInstall } from "../policy/operatorInstall";
import { hostileString, hostileValue, pathMutation, STACK_KEY_PATHS, setAt, validStack } from "./support/fuzzStacks";
import { loadValidators } from "./support/k8sSchema";
import { valueKeyPaths } from "./support/keyPaths";
import { podSecurityViolations } from "./support/podAdmission";
import { shellInvocations } from "./support/podSecurity";
import { urnOf } from "./support/policyEval";
import { runStack, toStackConfig } from "./support/stacks";

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const PARSE_RUNS = Number(process.env.FUZZ_PARSE_RUNS ?? 3000);
const PROGRAM_RUNS = Number(process.env.FUZZ_PROGRAM_RUNS ?? 250);

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
  { weight: 2, arbitrary: validStack },
  { weight: 1, arbitrary: fc.tuple(validStack, mutation).map(([s, m]) => mutate(s, m)) },
  { weight: 1, arbitrary: fc.tuple(validStack, pathMutation).map(([s, m]) => setAt(s, m.path, m.value)) },
);

/** The secret keys a stack sets: stored as secrets, as `pulumi config set --secret` would. */
const secretsOf = (stack: Stack) => (SECRET_KEYS as readonly string[]).filter((k) => stack[k] !== undefined);

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
          parseStackConfig(toStackConfig(stack), new Set(secretsOf(stack)));
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
          run = await runStack(stack, secretsOf(stack));
        } catch (e) {
          assertGoodRefusal(e);
          return;
        }
        accepted++;
        if (stack.trainingOperator?.version === "v2.3.0") acceptedV2++;
        // The program's own objects; the operator bundle's are upstream's (and ruled by the policy pack).
        const rendered = run.resources.filter(
          (r) => r.custom && typeof r.inputs.kind === "string" && !inOperatorInstall(urnOf(run, r)),
        );
        for (const r of rendered) {
          // Kueue's queue objects have no schema here: the queues e2e suite runs them through Kueue.
          if (!String(r.inputs.apiVersion).startsWith("kueue.x-k8s.io/")) {
            assert.deepEqual(validate(r), [], `${r.type} ${r.name}`);
          }
          assert.deepEqual(shellInvocations(r.inputs), [], `${r.type} ${r.name}`);
        }
        assert.deepEqual(
          podSecurityViolations(
            rendered.map((r) => r.inputs),
            stack.namespace,
          ),
          [],
        );
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

  it("the generator reaches every key of the stack schema, in valid stacks and as mistakes", () => {
    const keys = new Set(STACK_KEY_PATHS);
    const reached = (stacks: Stack[]) => new Set(stacks.flatMap((s) => valueKeyPaths(s, keys)));
    const valid = reached(fc.sample(validStack, { seed: SEED, numRuns: 2000 }));
    assert.deepEqual(
      STACK_KEY_PATHS.filter((k) => !valid.has(k)),
      [],
    );
    const mistakes = fc
      .sample(fc.tuple(validStack, pathMutation), { seed: SEED, numRuns: 2000 })
      .map(([, m]) => m.path.map((s) => (typeof s === "number" ? "[]" : s)).join("."));
    const mutated = new Set(mistakes.map((p) => p.replace(/\.\[\]/g, "[]").replace(/granite/g, "<name>")));
    assert.deepEqual(
      STACK_KEY_PATHS.filter((k) => !mutated.has(k)),
      [],
    );
  });

  it("never uses a secret key's value during validation", () => {
    const raw = toStackConfig({ namespace: "ml", jobs: {}, hfToken: "x".repeat(10) });
    const { values } = decodeConfigValues(raw, new Set(SECRET_KEYS));
    assert.equal(values.hfToken, "[secret]");
  });
});
