// The program as users run it: a copy of the project directory (Pulumi.yaml, index.ts,
// components/, package.json) and the Pulumi CLI with its Node.js language host, a local file
// backend and a passphrase secrets provider, exactly as the README's quickstart and a CI deploy
// stage drive it. Every command's exit code and output are returned, never thrown.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { Cluster } from "./cluster";
import { ROOT } from "./paths";
import { ProcessTree } from "./processTree";

/** The provider release the toolchain builds (toolchain/build.sh), which @pulumi/kubernetes asks for. */
const PROVIDER_RELEASE = "4.25.0";

/** What the project copy holds: everything Pulumi.yaml's runtime needs, nothing else. */
const PROJECT_FILES = [
  "Pulumi.yaml",
  "main.js",
  "loader.js",
  "index.ts",
  "package.json",
  "tsconfig.json",
  "tsconfig.pulumi.json",
  "components",
];

/** The result of one CLI command. */
export interface CommandResult {
  readonly code: number | null;
  /** stdout and stderr, interleaved as printed. */
  readonly output: string;
  readonly stdout: string;
  /** How long it took, in seconds. */
  readonly seconds: number;
  /** The output with the seconds since the start before each chunk, for the log. */
  readonly timed: string;
}

/** A CLI command started with `Project.start`. */
export interface RunningCommand {
  /**
   * Sends `signal` to the CLI's process group, as a terminal's Ctrl-C does: the CLI starts each
   * plugin (language host, provider) in a group of its own, so they do not get it.
   */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL to every process of the tree (the CLI, its plugins, the program), as a runner that kills a step does. */
  kill(): void;
  /** Whether any process of the tree is still running. */
  alive(): boolean;
  /** The output so far (stdout and stderr as they came). */
  outputSoFar(): string;
  readonly result: Promise<CommandResult>;
}

/** A project directory and one of its stacks. */
export interface Project {
  readonly dir: string;
  readonly stack: string;
  /** The environment of every CLI command (PATH, backend, passphrase, kubeconfig). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `pulumi ARGS` in the project directory. */
  pulumi(...args: string[]): Promise<CommandResult>;
  /**
   * Starts `pulumi ARGS` in its own process group and returns at once; `result` resolves when the
   * CLI exits. The processes it starts are recorded as they appear (see `RunningCommand`).
   */
  start(...args: string[]): RunningCommand;
  /** Writes `config` as the `finetune:` keys of Pulumi.<stack>.yaml, as a user edits the file. */
  writeConfig(config: Record<string, unknown>): void;
  /** The stack's state file in the local backend. */
  stateFile(): string;
  /** The same project and stack, its commands run with `extra` added to the environment. */
  withEnv(extra: NodeJS.ProcessEnv): Project;
  /**
   * Replaces the program with the one of commit `ref` (as a user upgrades their copy), or with the
   * working tree's when `ref` is undefined. The stack's config and state are kept.
   */
  checkout(ref?: string): void;
}

/** Writes the project files into `dir`: the working tree's, or those of commit `ref` (git archive). */
function writeProgram(dir: string, ref: string | undefined): void {
  for (const entry of PROJECT_FILES) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  if (ref === undefined) {
    for (const entry of PROJECT_FILES) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    return;
  }
  const tar = execFileSync("git", ["-C", ROOT, "archive", "--format=tar", ref, "--", ...PROJECT_FILES], {
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
}

/**
 * Copies the project into `<cluster dir>/projects/<name>` (the working tree's, or commit `ref`'s)
 * and creates `stack` (`pulumi stack init`), unless `init` is false: then the caller selects it as
 * a user would.
 */
export async function createProject(
  cluster: Cluster,
  bin: string,
  name: string,
  stack: string,
  { init = true, ref }: { init?: boolean; ref?: string } = {},
): Promise<Project> {
  const dir = path.join(cluster.dir, "projects", name);
  fs.mkdirSync(dir, { recursive: true });
  writeProgram(dir, ref);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const backend = path.join(cluster.dir, "backend");
  fs.mkdirSync(backend, { recursive: true });
  const home = path.join(cluster.dir, "pulumi-home");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // The provider plugin is installed from the toolchain, as `pulumi plugin install` would, not
    // taken from PATH; nothing may be downloaded.
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    KUBECONFIG: cluster.kubeconfig,
  };
  const log = path.join(cluster.dir, `cli-${name}.log`);
  const logged = (args: string[]) => (result: CommandResult) => {
    fs.appendFileSync(
      log,
      `$ pulumi ${args.join(" ")}\n${result.timed}\n[exit ${result.code} after ${result.seconds}s]\n\n`,
    );
    return result;
  };
  const pulumi = async (...args: string[]) => logged(args)(await run(dir, env, args).result);
  if (!fs.existsSync(path.join(home, "plugins", `resource-kubernetes-v${PROVIDER_RELEASE}`))) {
    const plugin = path.join(bin, "pulumi-resource-kubernetes");
    const install = await pulumi("plugin", "install", "resource", "kubernetes", PROVIDER_RELEASE, "--file", plugin);
    if (install.code !== 0) throw new Error(`pulumi plugin install failed:\n${install.output}`);
  }
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  if (init) {
    const created = await pulumi("stack", "init", stack);
    if (created.code !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${created.output}`);
  }
  const make = (commandEnv: NodeJS.ProcessEnv): Project => ({
    dir,
    stack,
    env: commandEnv,
    pulumi: async (...args) => logged(args)(await run(dir, commandEnv, args).result),
    start: (...args) => {
      const running = run(dir, commandEnv, args, true);
      return { ...running, result: running.result.then(logged(args)) };
    },
    writeConfig: (config) => {
      const doc = (fs.existsSync(stackFile) ? parse(fs.readFileSync(stackFile, "utf8")) : undefined) ?? {};
      const kept = Object.fromEntries(
        Object.entries((doc.config ?? {}) as Record<string, unknown>).filter(
          ([k, v]) => typeof v === "object" && v !== null && "secure" in v && k.startsWith("finetune:"),
        ),
      );
      doc.config = { ...kept, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`finetune:${k}`, v])) };
      fs.writeFileSync(stackFile, stringify(doc));
    },
    stateFile: () => path.join(backend, ".pulumi", "stacks", "finetune", `${stack}.json`),
    withEnv: (extra) => make({ ...commandEnv, ...extra }),
    checkout: (ref) => writeProgram(dir, ref),
  });
  return make(env);
}

function run(cwd: string, env: NodeJS.ProcessEnv, args: string[], group = false): RunningCommand {
  const start = Date.now();
  const child = spawn("pulumi", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: group });
  let output = "";
  const result = new Promise<CommandResult>((resolve) => {
    let stdout = "";
    let timed = "";
    const at = () => `[${((Date.now() - start) / 1000).toFixed(1)}s] `;
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      stdout += d.toString();
      timed += at() + d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
      timed += at() + d.toString();
    });
    child.on("close", (code) => resolve({ code, output, stdout, timed, seconds: (Date.now() - start) / 1000 }));
  });
  const tree = child.pid !== undefined && group ? new ProcessTree(child.pid) : undefined;
  const recording = tree ? setInterval(() => tree.scan(), 200) : undefined;
  void result.then(() => clearInterval(recording));
  return {
    result,
    signal: (signal) => {
      if (child.pid === undefined) return;
      try {
        process.kill(group ? -child.pid : child.pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    },
    kill: () => tree?.signal("SIGKILL"),
    alive: () => tree?.alive() ?? false,
    outputSoFar: () => output,
  };
}
