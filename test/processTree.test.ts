// The process tree the fault scenarios and the benchmark follow (test/e2e/processTree.ts): parsing
// /proc/PID/stat, and a real tree whose children sit in other process groups, as the Pulumi CLI's
// plugins do.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { sleep, until } from "../harness/cluster";
import { ProcessTree, parseStat } from "../harness/processTree";

describe("process tree", () => {
  it("parses /proc/PID/stat, with spaces and parentheses in comm", () => {
    const stat = "4242 (node (x) y) S 4200 4242 4200 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 11 0 987654 1000 100 0 0";
    assert.deepEqual(parseStat(stat), {
      pid: 4242,
      comm: "node (x) y",
      state: "S",
      ppid: 4200,
      pgrp: 4242,
      start: "987654",
    });
  });

  it("follows children into their own process groups, and kills the whole tree", async () => {
    // The root's children start process groups of their own, as the CLI's plugins do.
    const script =
      'const { spawn } = require("node:child_process"); for (const _ of [1, 2]) spawn("sleep", ["60"], { detached: true, stdio: "ignore" }); setInterval(() => {}, 1000);';
    const root = spawn(process.execPath, ["-e", script], { stdio: "ignore", detached: true });
    const exited = new Promise((r) => root.on("exit", r));
    const tree = new ProcessTree(root.pid as number);
    try {
      await until("both children to start", () => tree.scan().length === 3, 10_000);
      const live = tree.scan();
      // Node.js names its main thread: comm is "node" or, on newer releases, "MainThread".
      assert.deepEqual(live.map((p) => (p.pid === root.pid ? "root" : p.comm)).sort(), ["root", "sleep", "sleep"]);
      const groups = new Set(live.map((p) => p.pgrp));
      assert.equal(groups.size, 3, "each process in a group of its own");
      // A signal to the root's group reaches the root alone.
      process.kill(-(root.pid as number), "SIGKILL");
      await exited;
      await sleep(200);
      assert.deepEqual(
        tree.scan().map((p) => p.comm),
        ["sleep", "sleep"],
      );
      assert.equal(tree.alive(), true);
      tree.signal("SIGKILL");
      await until("the tree to end", () => !tree.alive(), 10_000);
      assert.deepEqual(tree.scan(), []);
    } finally {
      // Whatever failed, leave nothing running (the test process would wait for it).
      tree.signal("SIGKILL");
      root.kill("SIGKILL");
    }
  });
});
