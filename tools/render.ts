// Offline render: runs the real program under the SDK's mock runtime (no cluster, no Pulumi CLI)
// and prints every Kubernetes object it declares as one multi-document YAML stream, each object
// preceded by a comment with its Pulumi resource name and lifecycle options. Secrets are shown as
// a placeholder. Bad config exits 1 with the problems on stderr and writes nothing.
//
//   npm run render -- --stack dev                 (reads Pulumi.dev.yaml)
//   npm run render -- --config path/Pulumi.x.yaml [--out FILE]
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
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

/**
 * Reads a `Pulumi.<stack>.yaml` file into the config map the engine would pass to the program.
 * Secure values cannot be decrypted offline: they become a placeholder and are marked secret.
 */
export function readStackFile(file: string): { config: StackConfig; secretKeys: string[] } {
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: StackConfig = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
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

/** The comment line above an object: its Pulumi type and name, and lifecycle options where set. */
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
    const body = stringify(redact(r.inputs), { aliasDuplicateObjects: false, lineWidth: 0 });
    docs.push(`${describeOptions(r)}\n${body}`);
  }
  return docs.map((d) => `---\n${d}`).join("");
}

interface Args {
  stack?: string;
  config?: string;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === "--stack" || flag === "--config" || flag === "--out") && value !== undefined) {
      args[flag.slice(2) as keyof Args] = value;
      i++;
    } else {
      throw new Error(
        `unknown argument ${JSON.stringify(flag)}; usage: render (--stack NAME | --config FILE) [--out FILE]`,
      );
    }
  }
  if ((args.stack === undefined) === (args.config === undefined)) {
    throw new Error("give exactly one of --stack NAME (reads Pulumi.NAME.yaml) or --config FILE");
  }
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`render: ${(e as Error).message}\n`);
    return 2;
  }
  const file = args.config ?? path.join(process.cwd(), `Pulumi.${args.stack}.yaml`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`render: no stack config at ${file}\n`);
    return 2;
  }
  const stackName = args.stack ?? path.basename(file).replace(/^Pulumi\.|\.ya?ml$/g, "");
  const { config, secretKeys } = readStackFile(file);
  try {
    const run = await runProgram(config, secretKeys, { stack: stackName, verifySecrets: false });
    const text = renderResources(run.resources);
    if (args.out) fs.writeFileSync(args.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`render: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
