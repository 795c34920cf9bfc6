// The Pulumi CLI command running the program, read from its ancestors' command lines
// (components/cluster/command.ts): the parse, and the walk up a real process tree.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { describe, it } from "node:test";
import {
  ancestorCommand,
  type ProcessInfo,
  pulumiCommand,
  readProcess,
  readProcessWithPs,
} from "../components/cluster/command";

describe("the Pulumi CLI command running the program", () => {
  it("reads the command of a Pulumi CLI command line, after its global flags and their values", () => {
    assert.equal(pulumiCommand(["pulumi", "destroy", "--run-program", "--yes"]), "destroy");
    assert.equal(pulumiCommand(["/usr/local/bin/pulumi", "-C", "infra", "--stack", "up", "dn"]), "destroy");
    assert.equal(pulumiCommand(["pulumi", "down", "-y"]), "destroy");
    assert.equal(pulumiCommand(["C:\\pulumi\\bin\\pulumi.exe", "update", "--yes"]), "up");
    assert.equal(pulumiCommand(["pulumi", "--non-interactive", "preview", "--diff"]), "preview");
    assert.equal(pulumiCommand(["pulumi", "refresh"]), "refresh");
    assert.equal(pulumiCommand(["pulumi", "stack", "output"]), "other");
    assert.equal(pulumiCommand(["pulumi"]), "other");
    assert.equal(pulumiCommand(["pulumi-language-nodejs", "127.0.0.1:4000"]), undefined);
    assert.equal(pulumiCommand(["node", "destroy"]), undefined);
    assert.equal(pulumiCommand([]), undefined);
  });

  it("walks up to the nearest Pulumi CLI, and gives up where a process cannot be read", () => {
    const tree: Record<number, ProcessInfo> = {
      40: { ppid: 30, argv: ["node", "run/index.js", "--monitor", "x"] },
      30: { ppid: 20, argv: ["pulumi-language-nodejs", "127.0.0.1:4000"] },
      20: { ppid: 10, argv: ["pulumi", "destroy", "--run-program"] },
      10: { ppid: 1, argv: ["pulumi", "up"] },
    };
    assert.equal(
      ancestorCommand(40, (pid) => tree[pid]),
      "destroy",
    );
    assert.equal(
      ancestorCommand(40, (pid) => (pid === 30 ? undefined : tree[pid])),
      undefined,
    );
    assert.equal(
      ancestorCommand(30, () => ({ ppid: 1, argv: ["bash"] })),
      undefined,
    );
  });

  it("reads a real process: its parent and its command line", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await new Promise((r) => child.once("spawn", r));
      assert.deepEqual(readProcess(child.pid as number), { ppid: process.pid, argv: ["sleep", "30"] });
      assert.equal(readProcess(process.pid)?.ppid, process.ppid);
    } finally {
      child.kill();
    }
  });

  const hasPs = (() => {
    try {
      execFileSync("ps", ["-p", String(process.pid)], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it("reads a real process with ps where there is no /proc (macOS)", { skip: !hasPs && "no ps here" }, async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await new Promise((r) => child.once("spawn", r));
      assert.deepEqual(readProcessWithPs(child.pid as number), { ppid: process.pid, argv: ["sleep", "30"] });
      assert.equal(readProcessWithPs(2 ** 22 + 1), undefined);
    } finally {
      child.kill();
    }
  });
});
