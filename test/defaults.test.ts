// The config reference (docs/config.md) is the user's manual: every default it states must be what the program
// uses, also when the user writes the parent object and leaves the key out (`runPolicy: {}`).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { podSecurityContext } from "../components/builders/security";
import { parseConfig, parseStackConfig } from "../components/config";
import { readStackFile } from "../tools/render";

type Json = Record<string, any>;

/** The config reference's rows: key, default and notes cells, pipes escaped as `\|` kept inside cells. */
function readmeDefaults(): [string, string, string][] {
  return fs
    .readFileSync(path.join(__dirname, "..", "docs", "config.md"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()))
    .map((cells) => [cells[1], cells[3], cells[5]]);
}

/** A stack that writes every parent object and leaves each of their keys out. */
const EMPTY_PARENTS = {
  namespace: "ml",
  cluster: {},
  trainingOperator: {},
  staging: {},
  queues: {},
  jobs: {
    j: {
      image: "registry.example.com/ml/trainer:1.0",
      resources: {},
      env: {},
      model: { size: "1Gi" },
      dataset: { size: "1Gi" },
      output: { size: "1Gi" },
      trainer: { type: "instructlab", lora: { rank: 8 } },
      scheduling: {},
      runPolicy: {},
      labels: {},
      annotations: {},
      securityContext: {},
    },
  },
};

/** Where the value a reference key describes is found, in the parsed config or the pods' identity. */
function documentedValue(key: string, config: Json): unknown {
  const at = (obj: Json, dotted: string) => dotted.split(".").reduce<any>((o, k) => o?.[k], obj);
  const job = config.jobs.j;
  const rules: [RegExp, (m: RegExpExecArray) => unknown][] = [
    // The job map's own default: a stack that leaves it out.
    [/^jobs$/, () => parseConfig({ namespace: "ml" }, new Set()).jobs],
    [/^jobs\.<job>\.securityContext\.(\w+)$/, (m) => (podSecurityContext(undefined) as Json)[m[1]]],
    [/^jobs\.<job>\.runtime$/, () => job.runtime?.name],
    [/^jobs\.<job>\.runtimeKind$/, () => job.runtime?.kind],
    [/^jobs\.<job>\.(.+)$/, (m) => at(job, m[1])],
    [/^trainer\.(.+)$/, (m) => at(job.trainer, m[1])],
    [/^output\.(.+)$/, (m) => at(job.output, m[1])],
    [/^<volume>\.(.+)$/, (m) => at(job.output, m[1])],
    [/^(cluster|trainingOperator|staging|networkPolicy|createNamespace|queues)(\..+)?$/, (m) => at(config, m[0])],
  ];
  for (const [pattern, read] of rules) {
    const m = pattern.exec(key);
    if (m) return read(m);
  }
  throw new Error(`no rule says where reference key ${key} lives`);
}

describe("the config reference: every stated default holds, parents written empty", () => {
  const config = parseConfig(EMPTY_PARENTS, new Set()) as unknown as Json;
  // Keys only Kubeflow Trainer v2 reads have their defaults in a v2 stack.
  const v2 = parseConfig({ ...EMPTY_PARENTS, trainingOperator: { version: "v2.3.0" } }, new Set()) as unknown as Json;
  for (const [keyCell, defaultCell, notesCell] of readmeDefaults()) {
    const literal = /^`([^`]+)`/.exec(defaultCell)?.[1];
    // "required", "none", "cluster default", `$KUBECONFIG`: nothing the config itself holds.
    if (literal === undefined || literal.startsWith("$")) continue;
    const key = /^`([^`]+)`/.exec(keyCell)?.[1] as string;
    it(`${key} defaults to ${literal}`, () => {
      let expected: unknown;
      try {
        expected = JSON.parse(literal);
      } catch {
        expected = literal;
      }
      assert.deepEqual(documentedValue(key, notesCell.startsWith("v2 only") ? v2 : config), expected);
    });
  }
});

describe("the dev stack keeps the defaults its keys do not set", () => {
  it("granite sets runPolicy.activeDeadlineSeconds only, and keeps the 7-day TTL and the backoff limit", () => {
    const { config, secretKeys } = readStackFile(path.join(__dirname, "..", "Pulumi.dev.yaml"));
    const parsed = parseStackConfig(config, new Set(secretKeys));
    assert.deepEqual(parsed.jobs.granite.runPolicy, {
      cleanPodPolicy: "Running",
      backoffLimit: 3,
      restartPolicy: "OnFailure",
      activeDeadlineSeconds: 86400,
      ttlSecondsAfterFinished: 604800,
    });
  });
});
