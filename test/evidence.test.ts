// The log tail and the warning events a failure message carries: bounded, secrets replaced.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOG_LINE_CHARS, logTail, REDACTED, warningLines } from "../components/cluster/evidence";

describe("logTail", () => {
  it("keeps the last lines, drops blank trailing ones, and replaces every secret, longest first", () => {
    const log = ["step 1", "HF_TOKEN=hf_abc123 AWS=KEYxyz", "token hf_abc123hf_abc123", "step 2", "", ""].join("\n");
    assert.deepEqual(logTail(log, ["hf_abc", "hf_abc123", "KEYxyz", ""], 3), [
      `HF_TOKEN=${REDACTED} AWS=${REDACTED}`,
      `token ${REDACTED}${REDACTED}`,
      "step 2",
    ]);
  });

  it("cuts a long line, after replacing the secret in it", () => {
    const secret = "s".repeat(10);
    const [line] = logTail(`${"x".repeat(295)}${secret}${"y".repeat(400)}`, [secret]);
    assert.equal(line.length, LOG_LINE_CHARS);
    assert.equal(line, `${"x".repeat(295)}${REDACTED.slice(0, 4)}…`);
    assert.equal(line.includes("ss"), false);
  });

  it("an empty log is no lines; CRLF is read as LF", () => {
    assert.deepEqual(logTail("", []), []);
    assert.deepEqual(logTail("a\r\nb\r\n", []), ["a", "b"]);
  });
});

describe("warningLines", () => {
  const about = new Set(["pod/g-master-0", "pytorchjob/g"]);
  it("keeps Warning events about the run's objects, merges repeats, newest last, bounded", () => {
    const events = [
      { type: "Normal", reason: "Scheduled", message: "ok", involvedObject: { kind: "Pod", name: "g-master-0" } },
      {
        type: "Warning",
        reason: "BackOff",
        message: "Back-off restarting failed container\n",
        count: 3,
        lastTimestamp: "2026-12-03T10:00:05Z",
        involvedObject: { kind: "Pod", name: "g-master-0" },
      },
      {
        type: "Warning",
        reason: "BackOff",
        message: "Back-off restarting failed container",
        series: { count: 2, lastObservedTime: "2026-12-03T10:00:09Z" },
        involvedObject: { kind: "Pod", name: "g-master-0" },
      },
      {
        type: "Warning",
        reason: "FailedScheduling",
        message: "0/3 nodes are available",
        lastTimestamp: "2026-12-03T10:00:01Z",
        involvedObject: { kind: "Pod", name: "other-team-0" },
      },
      {
        type: "Warning",
        reason: "PyTorchJobFailed",
        message: "failed",
        lastTimestamp: "2026-12-03T10:00:07Z",
        involvedObject: { kind: "PyTorchJob", name: "g" },
      },
    ];
    assert.deepEqual(warningLines(events, about), [
      "pytorchjob/g PyTorchJobFailed: failed",
      "pod/g-master-0 BackOff: Back-off restarting failed container (x5)",
    ]);
    assert.deepEqual(warningLines(events, about, 1), [
      "pod/g-master-0 BackOff: Back-off restarting failed container (x5)",
    ]);
  });
});
