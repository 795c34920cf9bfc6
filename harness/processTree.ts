// A command's process tree, found through /proc: the Pulumi CLI starts each plugin (language host,
// provider) in a process group of its own, so a signal to the CLI's group reaches the CLI alone (as a
// terminal's Ctrl-C does), while a CI runner that cancels a step kills the whole tree. The tree is
// recorded while the command runs, because a child outliving its parent is moved to another parent.
import * as fs from "node:fs";

/** One process as /proc/PID/stat shows it. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** Clock ticks after boot: with the pid, it names one process even if the pid is reused. */
  readonly start: string;
}

/** Parses the text of /proc/PID/stat (comm may hold spaces and parentheses). */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0],
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    start: fields[19],
  };
}

/** Every process now, by pid. */
export function processes(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.set(Number(entry), parseStat(fs.readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // It ended between the listing and the read.
    }
  }
  return out;
}

/** The processes started by `root` and by them, recorded at each `scan`. */
export class ProcessTree {
  private readonly known = new Map<number, string>();

  constructor(private readonly root: number) {}

  /** Records the descendants alive now; returns the tree's live processes. */
  scan(): ProcStat[] {
    const now = processes();
    const rootStat = now.get(this.root);
    if (rootStat && !this.known.has(this.root)) this.known.set(this.root, rootStat.start);
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of now.values()) {
        if (!this.known.has(p.pid) && this.known.has(p.ppid) && this.known.get(p.ppid) === now.get(p.ppid)?.start) {
          this.known.set(p.pid, p.start);
          grew = true;
        }
      }
    }
    return [...now.values()].filter((p) => this.known.get(p.pid) === p.start && p.state !== "Z");
  }

  /** Whether any process of the tree is still running (zombies are not). */
  alive(): boolean {
    return this.scan().length > 0;
  }

  /** Sends `signal` to every live process of the tree. */
  signal(signal: NodeJS.Signals): void {
    for (const p of this.scan()) {
      try {
        process.kill(p.pid, signal);
      } catch {
        // It ended meanwhile.
      }
    }
  }
}
