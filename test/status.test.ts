// Reading PyTorchJob status conditions, table-driven from condition lists as the training
// operator writes them, and the wait annotations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type JobCondition, runVerdict, type Verdict, verdictMessage } from "../components/builders/run";
import { readRunStatus, waitAnnotations, waitForExpression } from "../components/builders/v1/status";

const c = (type: string, status: string, reason?: string, message?: string): JobCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

// Condition lists in the order the operator appends them.
const CREATED = [c("Created", "True", "PyTorchJobCreated", "PyTorchJob granite is created.")];
const RUNNING = [...CREATED, c("Running", "True", "PyTorchJobRunning", "PyTorchJob granite is running.")];
const RESTARTING = [
  ...CREATED,
  c("Running", "False", "PyTorchJobRunning", "PyTorchJob granite is running."),
  c(
    "Restarting",
    "True",
    "PyTorchJobRestarting",
    "PyTorchJob granite is restarting because 1 Worker replica(s) failed.",
  ),
];
const SUCCEEDED = [
  ...CREATED,
  c("Running", "False", "PyTorchJobRunning", "PyTorchJob granite is running."),
  c("Succeeded", "True", "PyTorchJobSucceeded", "PyTorchJob granite is successfully completed."),
];
const FAILED = [
  ...CREATED,
  c("Running", "False", "PyTorchJobRunning", "PyTorchJob granite is running."),
  c("Failed", "True", "PyTorchJobFailed", "PyTorchJob granite is failed because 1 Master replica(s) failed."),
];
const DEADLINE = [
  ...RUNNING.slice(0, 1),
  c(
    "Failed",
    "True",
    "DeadlineExceeded",
    "PyTorchJob granite has failed because it has reached the specified deadline",
  ),
];
const SUSPENDED = [...CREATED, c("Suspended", "True", "PyTorchJobSuspended", "PyTorchJob granite is suspended.")];

describe("readRunStatus", () => {
  const table: [string, JobCondition[] | undefined, unknown][] = [
    ["no status yet", undefined, { state: "pending" }],
    ["no conditions", [], { state: "pending" }],
    ["created", CREATED, { state: "created", reason: "PyTorchJobCreated", message: "PyTorchJob granite is created." }],
    ["running", RUNNING, { state: "running", reason: "PyTorchJobRunning", message: "PyTorchJob granite is running." }],
    [
      "restarting",
      RESTARTING,
      {
        state: "restarting",
        reason: "PyTorchJobRestarting",
        message: "PyTorchJob granite is restarting because 1 Worker replica(s) failed.",
      },
    ],
    [
      "succeeded",
      SUCCEEDED,
      { state: "succeeded", reason: "PyTorchJobSucceeded", message: "PyTorchJob granite is successfully completed." },
    ],
    [
      "failed",
      FAILED,
      {
        state: "failed",
        reason: "PyTorchJobFailed",
        message: "PyTorchJob granite is failed because 1 Master replica(s) failed.",
      },
    ],
    [
      "deadline exceeded",
      DEADLINE,
      {
        state: "failed",
        reason: "DeadlineExceeded",
        message: "PyTorchJob granite has failed because it has reached the specified deadline",
      },
    ],
    [
      "suspended",
      SUSPENDED,
      { state: "suspended", reason: "PyTorchJobSuspended", message: "PyTorchJob granite is suspended." },
    ],
    ["a condition that is False does not count", [c("Running", "False")], { state: "pending" }],
  ];
  for (const [title, conditions, expected] of table) {
    it(title, () => assert.deepEqual(readRunStatus(conditions), expected));
  }
});

describe("runVerdict", () => {
  const table: [string, "none" | "running" | "succeeded", JobCondition[], unknown][] = [
    ["running: Running is enough", "running", RUNNING, { ok: true, status: readRunStatus(RUNNING) }],
    ["running: already Succeeded is enough", "running", SUCCEEDED, { ok: true, status: readRunStatus(SUCCEEDED) }],
    [
      "running: Failed fails the deploy with the reason",
      "running",
      FAILED,
      {
        ok: false,
        status: readRunStatus(FAILED),
        error:
          "PyTorchJob ml/granite failed (PyTorchJobFailed: PyTorchJob granite is failed because 1 Master replica(s) failed.)",
      },
    ],
    ["succeeded: Succeeded", "succeeded", SUCCEEDED, { ok: true, status: readRunStatus(SUCCEEDED) }],
    [
      "succeeded: Failed fails with the reason",
      "succeeded",
      DEADLINE,
      {
        ok: false,
        status: readRunStatus(DEADLINE),
        error:
          "PyTorchJob ml/granite failed (DeadlineExceeded: PyTorchJob granite has failed because it has reached the specified deadline)",
      },
    ],
    [
      "succeeded: still running is not success",
      "succeeded",
      RUNNING,
      {
        ok: false,
        status: readRunStatus(RUNNING),
        error:
          "PyTorchJob ml/granite did not succeed: it is running (PyTorchJobRunning: PyTorchJob granite is running.)",
      },
    ],
    [
      "running: still created is not running",
      "running",
      CREATED,
      {
        ok: false,
        status: readRunStatus(CREATED),
        error:
          "PyTorchJob ml/granite is not running: it is created (PyTorchJobCreated: PyTorchJob granite is created.)",
      },
    ],
    ["none: never fails", "none", FAILED, { ok: true, status: readRunStatus(FAILED) }],
  ];
  for (const [title, mode, conditions, expected] of table) {
    it(title, () =>
      assert.deepEqual(runVerdict("PyTorchJob", "ml/granite", mode, readRunStatus(conditions)), expected),
    );
  }
});

describe("verdictMessage", () => {
  const failed = runVerdict("PyTorchJob", "ml/granite", "running", readRunStatus(FAILED)) as Extract<
    Verdict,
    { ok: false }
  >;
  const unreached = runVerdict("PyTorchJob", "ml/granite", "succeeded", readRunStatus(RUNNING)) as Extract<
    Verdict,
    { ok: false }
  >;
  const advice =
    "A failed run is not started again by itself: fix its cause, then set finetune:jobs.granite.rerun to a new value " +
    "(or change anything else that defines the run) and run pulumi up again.";

  it("a failed run: the reason, and how to ask for a new run", () => {
    assert.equal(
      verdictMessage("finetune:jobs.granite", failed, false),
      `finetune:jobs.granite: ${failed.error}. ${advice}`,
    );
  });

  it("in a preview, says that pulumi up will fail", () => {
    assert.equal(
      verdictMessage("finetune:jobs.granite", failed, true),
      `finetune:jobs.granite: ${failed.error}. ${advice} Until then, pulumi up fails.`,
    );
  });

  it("a run that did not reach what wait asks for: read its status again", () => {
    assert.equal(
      verdictMessage("finetune:jobs.granite", unreached, false),
      `finetune:jobs.granite: ${unreached.error}. Run pulumi refresh to read its current status.`,
    );
  });
});

describe("wait annotations", () => {
  it("none skips the provider's await", () => {
    assert.deepEqual(waitAnnotations("none"), { "pulumi.com/skipAwait": "true" });
  });

  it("running waits for Running, Succeeded or Failed", () => {
    assert.deepEqual(waitAnnotations("running"), {
      "pulumi.com/waitFor":
        'jsonpath={.status.conditions[?@.status=="True" && (@.type=="Running" || @.type=="Succeeded" || @.type=="Failed")].type}',
    });
  });

  it("succeeded waits for Succeeded or Failed, so a failure ends the wait at once", () => {
    assert.equal(
      waitForExpression("succeeded"),
      'jsonpath={.status.conditions[?@.status=="True" && (@.type=="Succeeded" || @.type=="Failed")].type}',
    );
  });
});
