// The stack is declared with V8's stack capture off: the Pulumi SDK formats (and source-maps) a
// stack trace for every promise it tracks, four per output property of every resource, and keeps it
// only to report leaked promises. Off while declaring, back on once the resources are declared.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../components/config";
import { declareStack } from "../components/stack";
import { withoutStackCapture } from "../components/stackTraces";
import { setMocks } from "../tools/mockRun";
import { commandJob, toStackConfig } from "./support/stacks";

describe("declaring the stack", () => {
  it("registers every resource with no stack capture, and restores the limit after", async () => {
    setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "test", false);
    pulumi.runtime.setAllConfig(
      toStackConfig({
        namespace: "ml",
        networkPolicy: true,
        jobs: { granite: commandJob({ shmSize: "1Gi" }), llama: commandJob({ shmSize: "1Gi" }) },
      }),
      [],
    );
    const seen: [string, number][] = [];
    let after = -1;
    let laterStack = "";
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => {
        seen.push([args.name, Error.stackTraceLimit]);
        return undefined;
      });
      const stack = declareStack(loadConfig());
      after = Error.stackTraceLimit;
      laterStack = await new Promise<string>((resolve) => {
        stack.namespace.apply(() => resolve(new Error("later").stack ?? ""));
      });
      return {};
    });
    await pulumi.runtime.disconnect();
    assert.deepEqual(
      seen.map(([name]) => name),
      [
        "cluster",
        "ml",
        "ml",
        "ml-service-account",
        "ml-default-deny",
        "ml-allow-dns",
        "training-operator",
        "training-operator",
        "granite",
        "granite-training",
        "granite-output",
        "granite-pytorchjob",
        "llama",
        "llama-training",
        "llama-output",
        "llama-pytorchjob",
      ],
    );
    assert.deepEqual(
      seen.filter(([, limit]) => limit !== 0),
      [],
    );
    assert.equal(after, 10);
    assert.equal(Error.stackTraceLimit, 10);
    // An error raised after the declaration, in an Output's callback, keeps its frames.
    assert.match(laterStack, /^Error: later\n {4}at /);
  });
});

describe("withoutStackCapture", () => {
  it("sets the limit to 0 while it runs, and restores it, also when it throws", () => {
    assert.equal(
      withoutStackCapture(() => Error.stackTraceLimit, {}),
      0,
    );
    assert.equal(Error.stackTraceLimit, 10);
    assert.throws(
      () =>
        withoutStackCapture(() => {
          throw new Error("boom");
        }, {}),
      (e: Error) => e.message === "boom" && e.stack === "Error: boom",
    );
    assert.equal(Error.stackTraceLimit, 10);
  });

  it("leaves the limit as it is under PULUMI_DEBUG_PROMISE_LEAKS, which reads those traces", () => {
    assert.equal(
      withoutStackCapture(() => Error.stackTraceLimit, { PULUMI_DEBUG_PROMISE_LEAKS: "true" }),
      10,
    );
  });

  it("leaves a limit the user chose with NODE_OPTIONS=--stack-trace-limit, and lowers V8's default", () => {
    const limitInside = (env: NodeJS.ProcessEnv) =>
      execFileSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "-e",
          'const { withoutStackCapture } = require("./components/stackTraces.ts"); process.stdout.write(String(withoutStackCapture(() => Error.stackTraceLimit)));',
        ],
        { cwd: path.resolve(__dirname, ".."), env, encoding: "utf8" },
      );
    assert.equal(limitInside({ ...process.env, NODE_OPTIONS: "--stack-trace-limit=50" }), "50");
    assert.equal(limitInside({ ...process.env, NODE_OPTIONS: "" }), "0");
    // As the process's own limit: 10 is V8's default, anything else was chosen.
    Error.stackTraceLimit = 25;
    try {
      assert.equal(
        withoutStackCapture(() => Error.stackTraceLimit, {}),
        25,
      );
    } finally {
      Error.stackTraceLimit = 10;
    }
  });
});
