// Which Pulumi CLI command runs the program. The engine does not tell a program: `pulumi destroy
// --run-program` runs it as `pulumi up` does, with each job's outputs as the state holds them, and
// deletes only once the program has ended (pulumi v3.274, resource/deploy/step_generator.go). A
// program that waits for its runs, or fails on a run that failed, would hold up or refuse the
// destroy. The CLI is the program's grandparent (pulumi → pulumi-language-nodejs → node), so its
// command line says. When it cannot be read (no /proc and no ps, or an Automation API inline
// program, which the CLI does not start), the command is unknown and the program acts as for `up`.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The commands the program acts on differently; any other is `other`. */
export type PulumiCommand = "up" | "preview" | "destroy" | "refresh" | "other";

const COMMANDS: Readonly<Record<string, PulumiCommand>> = {
  up: "up",
  update: "up",
  preview: "preview",
  pre: "preview",
  destroy: "destroy",
  down: "destroy",
  dn: "destroy",
  refresh: "refresh",
};

/** Global flags of the CLI that take a value as the next argument. */
const VALUE_FLAGS = new Set(["-C", "--cwd", "-s", "--stack", "--color", "-v", "--verbose", "--tracing"]);

/**
 * The command of a Pulumi CLI command line (`pulumi -C dir destroy --yes` is `destroy`), undefined
 * when the line is not the Pulumi CLI's.
 */
export function pulumiCommand(argv: readonly string[]): PulumiCommand | undefined {
  const [program, ...args] = argv;
  if (program === undefined || !/^pulumi(\.exe)?$/i.test(path.win32.basename(program))) return undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    return COMMANDS[arg] ?? "other";
  }
  return "other";
}

/** A process's parent and command line. */
export interface ProcessInfo {
  readonly ppid: number;
  readonly argv: readonly string[];
}

/** Reads a process from /proc, or with ps where there is none (macOS); undefined when neither can. */
export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces and parentheses: fields follow the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    return { ppid, argv };
  } catch {
    return readProcessWithPs(pid);
  }
}

/** Reads a process with ps (its arguments split at spaces); undefined when ps cannot. */
export function readProcessWithPs(pid: number): ProcessInfo | undefined {
  try {
    const out = execFileSync("ps", ["-o", "ppid=", "-o", "args=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(out);
    return match ? { ppid: Number(match[1]), argv: (match[2] as string).split(/\s+/) } : undefined;
  } catch {
    return undefined;
  }
}

/** The command of the nearest Pulumi CLI among a process's ancestors (a few levels up). */
export function ancestorCommand(
  pid: number,
  read: (pid: number) => ProcessInfo | undefined = readProcess,
): PulumiCommand | undefined {
  for (let level = 0, current = pid; level < 4 && current > 1; level++) {
    const info = read(current);
    if (info === undefined) return undefined;
    const command = pulumiCommand(info.argv);
    if (command !== undefined) return command;
    current = info.ppid;
  }
  return undefined;
}

let cached: PulumiCommand | undefined | null = null;

/** The command running this program, read once. */
export function runningCommand(): PulumiCommand | undefined {
  if (cached === null) cached = ancestorCommand(process.ppid);
  return cached;
}
