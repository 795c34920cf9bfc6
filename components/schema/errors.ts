// Bad stack config as users read it: one error listing every problem, each on its stack key
// path (`finetune:jobs.granite.nodes: must be at least 1`), never a stack trace.
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { CONFIG_NAMESPACE } from "./base";
import { YAML11_BOOLEANS } from "./coerce";

/**
 * Bad stack config: every problem, each `finetune:<key path>: <what is wrong>`. A `RunError`, so
 * the Pulumi CLI prints the message without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
    this.name = "ConfigError";
    withoutFrames(this);
  }
}

/**
 * Drops the stack frames of an error whose stack the CLI never shows. The CLI's Node.js runtime
 * still formats the whole error with `util.inspect` for its trace, and on Node.js 20 and 22 that
 * loops on the SDK's source-mapped frames (`node_modules/@pulumi/output.ts`) for a long time and
 * gigabytes of memory, or until the heap runs out (nodejs/node#64011, fixed in 24.x;
 * docs/performance.md has what was measured).
 */
export function withoutFrames<E extends Error>(error: E): E {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** A key as it is shown in a path: as written when plain, else quoted and cut short. */
function showKey(segment: string): string {
  if (/^[A-Za-z0-9_./-]{1,253}$/.test(segment)) return segment;
  const shown = segment.length > 40 ? `${segment.slice(0, 40)}...` : segment;
  return `[${JSON.stringify(shown)}]`;
}

export function keyPath(path: readonly PropertyKey[]): string {
  let out = `${CONFIG_NAMESPACE}:`;
  path.forEach((segment, i) => {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const shown = showKey(String(segment));
      out += (i === 0 || shown.startsWith("[") ? "" : ".") + shown;
    }
  });
  return out;
}

/** How an expected type is named in messages. */
const EXPECTED_NAMES: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  record: "a map of keys to values",
  object: "a map of keys to values",
  array: "a list",
};

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const here = keyPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      let perKey: [string, string][];
      try {
        perKey = JSON.parse(issue.message);
      } catch {
        perKey = issue.keys.map((k) => [k, "unknown key"]);
      }
      return perKey.map(([key, msg]) => `${keyPath([...issue.path, key])}: ${msg}`);
    }
    case "invalid_type": {
      const expected = EXPECTED_NAMES[issue.expected] ?? `a ${issue.expected}`;
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      if (received === "undefined") return [`${here}: is required (${expected})`];
      const input = (issue as { input?: unknown }).input;
      if (
        issue.expected === "boolean" &&
        typeof input === "string" &&
        Object.hasOwn(YAML11_BOOLEANS, input.toLowerCase())
      ) {
        return [
          `${here}: must be true or false; ${JSON.stringify(input)} is text to Pulumi, which reads YAML 1.2: write ${YAML11_BOOLEANS[input.toLowerCase()]}`,
        ];
      }
      return [`${here}: must be ${expected}${received ? `, got ${received}` : ""}`];
    }
    case "invalid_key":
      // A record key that fails its schema: the key schema's own message says what is valid.
      return issue.issues.flatMap((inner) => [`${here}: ${inner.message}`]);
    case "invalid_union":
      // A discriminated union reports a bad `type` on the path of `type` itself.
      return [`${here}: ${issue.message.replace(/^type /, "")}`];
    case "too_small":
    case "too_big": {
      if (!/^Too (small|big)/.test(issue.message)) return [`${here}: ${issue.message}`];
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const word =
        issue.code === "too_small" ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
      if (issue.origin === "array") return [`${here}: must have ${word} ${bound} item(s)`];
      if (issue.origin === "string") return [`${here}: must be ${word} ${bound} character(s) long`];
      return [`${here}: must be ${word} ${bound}`];
    }
    default:
      return [`${here}: ${issue.message.replace(/^Invalid input: /, "")}`];
  }
}

/** Turns zod issues into one line per problem, each naming its stack key path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap(describeIssue);
}
