// Calls the policy pack as the engine does: every policy on every custom resource a program run
// declares, each resource with the URN the engine would give it (its ancestors' types joined by
// `$`, which is how the pack tells an operator install's objects from the stack's own).
import assert from "node:assert/strict";
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { POLICIES } from "../../policy/policies";
import { type ProgramRun, runProgram } from "../../tools/mockRun";
import { readStackFile } from "../../tools/render";
import { unwrapSecrets } from "./k8sSchema";
import { runStack } from "./stacks";

/** The URN the engine gives a recorded resource: `urn:pulumi:test::finetune::<types>::<name>`. */
export function urnOf(run: ProgramRun, r: ProgramRun["resources"][number]): string {
  const types = [r.type];
  for (let parent = r.options.parent; parent !== undefined; ) {
    const p = run.resources.find((x) => x.name === parent && !x.custom);
    if (p === undefined) break;
    types.unshift(p.type);
    parent = p.options.parent;
  }
  return `urn:pulumi:test::finetune::${types.join("$")}::${r.name}`;
}

/** Every policy's violations on what a program run declares, by policy name. */
export async function evaluateRun(run: ProgramRun, config: Record<string, unknown>): Promise<Record<string, string[]>> {
  const resources = run.resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: urnOf(run, r),
      props: unwrapSecrets(r.inputs) as Record<string, unknown>,
    }));
  const result: Record<string, string[]> = {};
  for (const policy of POLICIES) {
    const messages: string[] = [];
    const report: ReportViolation = (message) => {
      messages.push(message);
    };
    const own = config[policy.name];
    const getConfig = <T extends object>() => (typeof own === "object" && own !== null ? own : {}) as T;
    const common = { stackTags: new Map<string, string>(), getConfig, notApplicable: (): never => assert.fail() };
    if ("validateStack" in policy) {
      await policy.validateStack({ ...common, resources: resources as unknown as PolicyResource[] }, report);
    } else {
      const validations = [policy.validateResource ?? []].flat();
      for (const r of resources) {
        for (const validate of validations)
          await validate({ ...common, ...r, opts: {} as never, isType: () => false, asType: () => undefined }, report);
      }
    }
    result[policy.name] = messages;
  }
  return result;
}

/** Every policy's violations on a stack file (a path) or a stack's config (an object). */
export async function evaluate(
  stack: string | Record<string, unknown>,
  config: Record<string, unknown>,
): Promise<Record<string, string[]>> {
  const run =
    typeof stack === "string"
      ? await runProgram(readStackFile(stack).config, readStackFile(stack).secretKeys)
      : await runStack(stack);
  return evaluateRun(run, config);
}
