// Offline render: runs the real program under the SDK's mock runtime (no cluster, no Pulumi CLI)
// and prints every Kubernetes object it declares as one multi-document YAML stream, each object
// preceded by a comment with its Pulumi resource name and lifecycle options. Secrets are shown as
// a placeholder. Warnings go to stderr. Any problem (bad config, a stack file that is not one, an
// --out that cannot be written) exits non-zero with one clear message on stderr, writes nothing
// and never prints a stack trace.
//
//   npm run render -- --stack dev                 (reads Pulumi.dev.yaml)
//   npm run render -- --config path/Pulumi.x.yaml [--out FILE]
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument, stringify } from "yaml";
import { ConfigError } from "../components/config";
import { isSecretValue, type RecordedResource, runProgram, type StackConfig } from "./mockRun";

/** What secret values are printed as. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Resource types that the provider renders into many objects at deploy time. */
const PROVIDER_RENDERED = new Set([
  "kubernetes:kustomize/v2:Directory",
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:helm.sh/v4:Chart",
]);

/** A stack file that cannot be read as one: the message names the file and says why. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** How a YAML value is named in messages. */
function describeValue(v: unknown): string {
  return v === null ? "empty" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : `a ${typeof v}`;
}

/** The keys of a stack file besides `config:` (`pulumi stack init` writes only the first). */
const STACK_FILE_KEYS = ["encryptionsalt", "secretsprovider", "encryptedkey", "environment"];
const STACK_FILE = "a stack file (Pulumi.<stack>.yaml) holds a config: map";

/** Why a YAML map with no `config:` is not a stack file (none when it is one with no config yet). */
function notAStackFile(root: Record<string, unknown>): string | undefined {
  if ("config" in root || STACK_FILE_KEYS.some((k) => k in root)) return undefined;
  if (typeof root.apiVersion === "string" && typeof root.kind === "string") {
    return `is a Kubernetes manifest (${root.apiVersion} ${root.kind}), not a stack file; ${STACK_FILE}`;
  }
  return `has no config: section; ${STACK_FILE}`;
}

/**
 * Reads a `Pulumi.<stack>.yaml` file into the config map the engine would pass to the program.
 * Secure values cannot be decrypted offline: they become a placeholder and are marked secret.
 * Throws a `StackFileError` when the file is not a readable YAML map with a `config:` map.
 */
export function readStackFile(file: string): { config: StackConfig; secretKeys: string[] } {
  let text: string;
  try {
    if (fs.statSync(file).isDirectory()) throw new StackFileError(`${file}: is a folder, not a stack file`);
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof StackFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new StackFileError(code === "ENOENT" ? `no stack config at ${file}` : `cannot read ${file}: ${code}`);
  }
  // Merge keys (`<<: *base`) as Pulumi reads them.
  const doc = parseDocument(text, { merge: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new StackFileError(
      `${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${error.message.split(" at line ")[0]}`,
    );
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) {
    throw new StackFileError(`${file}: the file is empty; a stack file holds a config: map`);
  }
  if (typeof root !== "object" || Array.isArray(root)) {
    throw new StackFileError(`${file}: must be a map with a config: map, not ${describeValue(root)}`);
  }
  const problem = notAStackFile(root as Record<string, unknown>);
  if (problem !== undefined) throw new StackFileError(`${file}: ${problem}`);
  const entries = (root as { config?: unknown }).config ?? {};
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new StackFileError(`${file}: config: must be a map of keys to values, not ${describeValue(entries)}`);
  }
  const config: StackConfig = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else if (typeof value === "object" && value !== null) {
      config[key] = JSON.stringify(value);
    } else {
      config[key] = String(value);
    }
  }
  return { config, secretKeys };
}

/**
 * Replaces every secret value with the placeholder. A secret map (a Secret's `stringData`) keeps
 * its keys, so the rendered object still has its shape; only the values are hidden.
 */
export function redact(value: unknown, inSecret = false): unknown {
  if (isSecretValue(value)) return redact(value.value, true);
  if (Array.isArray(value)) return value.map((v) => redact(v, inSecret));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, inSecret)]));
  }
  return inSecret ? SECRET_PLACEHOLDER : value;
}

/** The comment line above an object: its Pulumi type and name, lifecycle options and hooks where set. */
export function describeOptions(r: RecordedResource): string {
  const o = r.options;
  const parts = [`${r.type} ${r.name}`];
  if (o.dependsOn.length > 0) parts.push(`dependsOn=[${o.dependsOn.join(", ")}]`);
  if (o.protect) parts.push("protect");
  if (o.retainOnDelete) parts.push("retainOnDelete");
  if (o.deleteBeforeReplace) parts.push("deleteBeforeReplace");
  if (o.replaceOnChanges?.length) parts.push(`replaceOnChanges=[${o.replaceOnChanges.join(", ")}]`);
  if (o.ignoreChanges?.length) parts.push(`ignoreChanges=[${o.ignoreChanges.join(", ")}]`);
  if (o.customTimeouts) parts.push(`customTimeouts=${JSON.stringify(o.customTimeouts)}`);
  for (const [step, names] of Object.entries(o.hooks)) parts.push(`${step}=[${names.join(", ")}]`);
  return `# ${parts.join(" | ")}`;
}

/** Renders recorded resources as a multi-document YAML stream. */
export function renderResources(resources: readonly RecordedResource[]): string {
  const docs: string[] = [];
  for (const r of resources) {
    if (PROVIDER_RENDERED.has(r.type)) {
      const source = r.inputs.directory ?? r.inputs.file ?? r.inputs.files ?? r.inputs.chart;
      docs.push(
        `${describeOptions(r)}\n# rendered by the Kubernetes provider at deploy time from ${JSON.stringify(source)}\n`,
      );
      continue;
    }
    if (!r.custom) continue;
    if (typeof r.inputs.apiVersion !== "string" || typeof r.inputs.kind !== "string") continue;
    // Written under YAML 1.1's rules, which quote every string a 1.1 reader (kubectl, PyYAML) would
    // read as a boolean, date or number (`on`, `yes`, `2026-12-05`); a 1.2 reader reads the same.
    const body = stringify(redact(r.inputs), { aliasDuplicateObjects: false, lineWidth: 0, version: "1.1" });
    docs.push(`${describeOptions(r)}\n${body}`);
  }
  return docs.map((d) => `---\n${d}`).join("");
}

/**
 * Runs the program for a stack and renders what it declares. The fake engine returns only each
 * object's identity (apiVersion, kind, metadata) as its state, and the SDK fills the rest of its
 * outputs with its inputs. So each object, operator CRDs included, is encoded once on its way to the
 * engine and not again on its way back (with a local operator bundle, that was a large part of
 * the render's time). Rejects as `runProgram` does.
 */
export async function renderStack(
  config: StackConfig,
  secretKeys: string[],
  stack: string,
  project?: string,
): Promise<{ text: string; warnings: string[] }> {
  const run = await runProgram(config, secretKeys, { stack, project, verifySecrets: false, echo: "identity" });
  return { text: renderResources(run.resources), warnings: run.warnings };
}

/**
 * The project of a stack file's folder, as Pulumi reads it: the `name` of the Pulumi.yaml there;
 * undefined (this repository's, `finetune`) when there is none or it has no name.
 */
export function projectOf(folder: string): string | undefined {
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(folder, f)).find((f) => fs.existsSync(f));
  if (file === undefined) return undefined;
  try {
    const name = (parseDocument(fs.readFileSync(file, "utf8")).toJS() as { name?: unknown } | null)?.name;
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    // Unreadable: Pulumi would refuse it; the render keeps this repository's project.
    return undefined;
  }
}

/** The usage line, and the help text of `--help`. */
const USAGE = "render (--stack NAME | --config FILE) [--out FILE]";
const HELP = `usage: npm run render -- (--stack NAME | --config FILE) [--out FILE]

Prints every Kubernetes object the program declares for a stack, as one YAML stream, offline: no
cluster and no Pulumi CLI. Secrets print as ${SECRET_PLACEHOLDER}. The comment above each object names
its lifecycle options and its hooks: beforeCreate and beforeDelete name the checks the program makes
on the cluster at that step (does an object of that name exist that this stack did not create; does
anything still use it), which a render cannot make.

  --stack NAME    read Pulumi.NAME.yaml in the current folder
  --config FILE   read this stack file
  --out FILE      write the render to FILE instead of stdout (its folder must exist)
  --help          print this help

Warnings go to stderr. Exit codes: 0 rendered, 1 a problem with the stack (every problem is listed,
nothing is written), 2 a wrong command line.
`;

/** A wrong command line. */
class UsageError extends Error {}

interface Args {
  stack?: string;
  config?: string;
  out?: string;
  help?: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") return { help: true };
    if ((flag === "--stack" || flag === "--config" || flag === "--out") && value !== undefined) {
      args[flag.slice(2) as "stack" | "config" | "out"] = value;
      i++;
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(flag)}; usage: ${USAGE} (--help for more)`);
    }
  }
  if ((args.stack === undefined) === (args.config === undefined)) {
    throw new UsageError(`give exactly one of --stack NAME (reads Pulumi.NAME.yaml) or --config FILE; usage: ${USAGE}`);
  }
  return args;
}

/** Problems with `--out`, found before anything runs so that nothing is half-written. */
function outProblem(out: string): string | undefined {
  const folder = path.dirname(path.resolve(out));
  if (!fs.existsSync(folder)) return `cannot write ${out}: no such folder`;
  if (!fs.statSync(folder).isDirectory()) return `cannot write ${out}: ${folder} is not a folder`;
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) return `cannot write ${out}: it is a folder`;
  return undefined;
}

/** Renders as the command line asks; returns the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const fail = (code: number, message: string) => {
    process.stderr.write(`${message}\n`);
    return code;
  };
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(HELP);
      return 0;
    }
    // npm runs the script in the package's folder; paths are the user's, from where they typed it.
    const here = process.env.npm_lifecycle_event === "render" && process.env.INIT_CWD ? process.env.INIT_CWD : ".";
    const file = path.resolve(here, args.config ?? `Pulumi.${args.stack}.yaml`);
    const outFile = args.out !== undefined ? path.resolve(here, args.out) : undefined;
    const out = outFile !== undefined ? outProblem(outFile) : undefined;
    if (out !== undefined) return fail(1, `render: ${out}`);
    const stackName = args.stack ?? path.basename(file).replace(/^Pulumi\.|\.ya?ml$/g, "");
    const { config, secretKeys } = readStackFile(file);
    const { text, warnings } = await renderStack(config, secretKeys, stackName, projectOf(path.dirname(file)));
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    if (outFile !== undefined) fs.writeFileSync(outFile, text);
    else process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(2, `render: ${e.message}`);
    if (e instanceof ConfigError) return fail(1, e.message);
    // Anything else is reported by its message: a stack trace tells a user nothing.
    return fail(1, `render: ${e instanceof Error ? e.message : String(e)}`);
  }
}

if (require.main === module) {
  // Not process.exit(): it ends the process before a pipe has taken all of stdout (the 3.7 MB render
  // of the air-gapped stack, piped, lost all but its first 64 to 146 KB).
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
