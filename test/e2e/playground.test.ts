// `npm run playground` as a newcomer runs it (docs/playground.md): the tour ends with exit 0 having
// shown the preview, a run that succeeded, the failing run's reason and the destroy; then nothing
// it started is running and its cluster's folder is gone.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { buildToolchain } from "../../harness/cluster";
import { ROOT } from "../../harness/paths";

/** The processes whose command line names `text`. */
function processesNaming(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Ended meanwhile.
    }
  }
  return found;
}

interface Run {
  readonly code: number | null;
  /** The signal that ended npm, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly output: string;
}

/**
 * Runs `npm run -s playground` in a process group of its own, as a terminal does; `interrupt`, when
 * given, sees stdout as it grows and may send the group SIGINT (Ctrl-C) once.
 */
function playground(env: NodeJS.ProcessEnv, interrupt?: (stdout: string, ctrlC: () => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "-s", "playground"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let output = "";
    let sent = false;
    const ctrlC = () => {
      if (sent || child.pid === undefined) return;
      sent = true;
      process.kill(-child.pid, "SIGINT");
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
      interrupt?.(stdout, ctrlC);
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("close", (code, signal) => resolve({ code, signal, stdout, output }));
  });
}

describe("end to end: npm run playground", () => {
  // The CLI on PATH is the toolchain's, as a user's would be theirs.
  const bin = buildToolchain();
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PULUMI_SKIP_UPDATE_CHECK: "true" };

  it("tours preview, a run that succeeds, a run that fails and destroy, then stops with nothing left running", async () => {
    const { code, stdout, output } = await playground(env);
    assert.equal(code, 0, output.slice(-6000));
    const dir = /^its folder: (.+)$/m.exec(stdout)?.[1];
    assert.ok(dir, "the playground names its cluster's folder");

    const steps = [
      "$ pulumi preview",
      "$ pulumi up --yes",
      "$ pulumi up --yes",
      "$ pulumi destroy --yes --run-program",
    ];
    assert.deepEqual(stdout.match(/^\$ pulumi .+$/gm), steps);
    const [preview, up, failing, destroy] = stdout.split(/^\$ pulumi .+$/m).slice(1);
    assert.match(preview, /^ \+ {2}kubernetes:kubeflow\.org\/v1:PyTorchJob hello-pytorchjob create $/m);
    assert.match(up, /^ {4}PyTorchJob playground\/hello: succeeded \(PyTorchJobSucceeded: /m);
    assert.match(
      failing,
      /^ {4}error: finetune:jobs\.broken: PyTorchJob playground\/broken failed \(PyTorchJobFailed: /m,
    );
    assert.match(destroy, /^ - {2}kubernetes:kubeflow\.org\/v1:PyTorchJob hello-pytorchjob deleted/m);
    assert.match(stdout, new RegExp(`^stopped: its processes ended and ${dir} is removed$`, "m"));

    assert.equal(fs.existsSync(dir), false, `${dir} is removed`);
    assert.deepEqual(processesNaming(dir), []);
  });

  it("Ctrl-C during up stops it all the same: its folder removed, nothing left running", async () => {
    const { code, signal, stdout, output } = await playground(env, (out, ctrlC) => {
      if (/^\$ pulumi up --yes$/m.test(out)) setTimeout(ctrlC, 5000);
    });
    // npm ends on the signal at once; the playground goes on until it has stopped everything.
    assert.deepEqual({ code, signal }, { code: null, signal: "SIGINT" }, output.slice(-6000));
    assert.match(stdout, /^=== stopping the cluster$/m);
    assert.doesNotMatch(stdout, /^=== 3\. /m, "the tour went no further");
    const dir = /^its folder: (.+)$/m.exec(stdout)?.[1];
    assert.ok(dir, "the playground names its cluster's folder");
    assert.match(stdout, new RegExp(`^stopped: its processes ended and ${dir} is removed$`, "m"));
    assert.equal(fs.existsSync(dir), false, `${dir} is removed`);
    assert.deepEqual(processesNaming(dir), []);
  });
});
