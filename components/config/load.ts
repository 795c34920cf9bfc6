// Reading the stack's config from the Pulumi runtime: decoding the values as the engine passes
// them, validating them in one step, and turning the secret keys into secret Outputs.
import * as pulumi from "@pulumi/pulumi";
// The SDK's own test for "is this config key a secret" (what `Config.get` uses to warn). It is
// marked internal, so it has no type declaration; test/config.test.ts pins its behaviour.
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { CONFIG_NAMESPACE } from "../schema/base";
import { ConfigError, keyPath } from "../schema/errors";
import { SECRET_MARKER, verifySecrets } from "../schema/secrets";
import { type Config, parseConfig } from "./stack";

/**
 * Decodes config values as the engine hands them over: objects and arrays arrive as JSON text,
 * everything else as plain strings. Values that look like JSON but are not become problems.
 * The value of a key in `secretKeys` is never read: it is replaced with `SECRET_MARKER`.
 */
export function decodeConfigValues(
  all: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string> = new Set(),
): {
  values: Record<string, unknown>;
  problems: string[];
} {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  const dotted: string[] = [];
  for (const fullKey of Object.keys(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (key === "__proto__") {
      problems.push(`${keyPath([key])}: "__proto__" is not allowed as a key`);
      continue;
    }
    if (key.includes(".")) {
      dotted.push(key);
      continue;
    }
    const decoded = decodeValue(all[fullKey], key, secretKeys.has(key));
    problems.push(...decoded.problems);
    if (decoded.problems.length === 0) values[key] = decoded.value;
  }
  for (const key of dotted.sort()) {
    const decoded = decodeValue(all[`${prefix}${key}`], key, secretKeys.has(key));
    problems.push(...decoded.problems);
    if (decoded.problems.length === 0) problems.push(...setPath(values, key, decoded.value));
  }
  return { values, problems };
}

/**
 * One value as the engine passes it: objects and arrays as JSON text (parsed), everything else as
 * text; coerce.ts reads text as the schema expects. A secret's value is never read.
 */
function decodeValue(value: string, key: string, secret: boolean): { value?: unknown; problems: string[] } {
  if (secret) return { value: SECRET_MARKER, problems: [] };
  if (!/^\s*[[{]/.test(value)) return { value, problems: [] };
  try {
    const parsed: unknown = JSON.parse(value);
    return { value: parsed, problems: prototypeKeys(parsed, [key]) };
  } catch {
    return { problems: [`${keyPath([key])}: is not valid structured config (JSON or YAML map/list)`] };
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Sets a dotted top-level key (`cluster.context`, as `pulumi config set` stores a key given without
 * `--path`, and as `pulumi new` stores a template's keys) at the path it spells, into the maps the
 * other keys set. A path that is set twice, or that goes through a value that is not a map, is a
 * problem: which of the two the user meant is theirs to say.
 */
function setPath(values: Record<string, unknown>, key: string, value: unknown): string[] {
  const segments = key.split(".");
  if (segments.some((s) => s === "")) return [`${keyPath([key])}: is not a key path (an empty segment)`];
  if (segments.includes("__proto__")) return [`${keyPath([key])}: "__proto__" is not allowed as a key`];
  let here = values;
  for (const [i, segment] of segments.slice(0, -1).entries()) {
    if (here[segment] === undefined) here[segment] = {};
    const next = here[segment];
    if (!isMap(next)) {
      return [
        `${keyPath([key])}: ${keyPath(segments.slice(0, i + 1))} is not a map, so it has no key ${segments[i + 1]}`,
      ];
    }
    here = next;
  }
  const leaf = segments[segments.length - 1];
  if (here[leaf] !== undefined) {
    return [`${keyPath([key])}: is set twice, in ${keyPath([segments[0]])} and as ${keyPath([key])}; keep one`];
  }
  here[leaf] = value;
  return [];
}

/**
 * Problems for every `__proto__` key in a decoded value: JSON.parse keeps it as an own key, but
 * most code would treat it as the object's prototype, so it is refused outright.
 */
function prototypeKeys(value: unknown, path: PropertyKey[]): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prototypeKeys(v, [...path, i]));
  if (typeof value !== "object" || value === null) return [];
  return Object.keys(value).flatMap((k) =>
    k === "__proto__"
      ? [`${keyPath([...path, k])}: "__proto__" is not allowed as a key`]
      : prototypeKeys((value as Record<string, unknown>)[k], [...path, k]),
  );
}

/**
 * Keys under the project's own namespace when the project is not named `finetune` (`pulumi new
 * --name my-tuning`): `pulumi config set hfToken ...` stores `my-tuning:hfToken`, which this
 * program never reads, so the run would go ahead without it. Each is refused with the key to use.
 */
export function foreignProjectKeys(all: Readonly<Record<string, string>>, project: string | undefined): string[] {
  if (project === undefined || project === CONFIG_NAMESPACE) return [];
  return Object.keys(all)
    .filter((k) => k.startsWith(`${project}:`))
    .sort()
    .map((k) => {
      const key = keyPath([k.slice(project.length + 1)]);
      return `${project}:${key.slice(CONFIG_NAMESPACE.length + 1)}: is not read: this program reads ${CONFIG_NAMESPACE}: keys (pulumi config set ${key} ...); \`pulumi config set\` without a namespace uses the project's name, ${project}`;
    });
}

/** Edits (insertions, deletions, substitutions, swaps of neighbours) from one name to another. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The namespace of a config key (`kubernetes` of `kubernetes:context`). */
const namespaceOf = (key: string) => key.slice(0, Math.max(0, key.indexOf(":")));

/**
 * Keys under a misspelling of this program's namespace (`fintune:queue`): never read, so the run
 * would go ahead without them. Each is refused with the key meant.
 */
export function misspelledKeys(all: Readonly<Record<string, string>>, project: string | undefined): string[] {
  return Object.keys(all)
    .filter((k) => {
      const ns = namespaceOf(k);
      return ns !== CONFIG_NAMESPACE && ns !== project && editDistance(ns, CONFIG_NAMESPACE) <= 2;
    })
    .sort()
    .map((k) => {
      const meant = `${CONFIG_NAMESPACE}:${k.slice(k.indexOf(":") + 1)}`;
      return `${k}: is not read: this program reads ${CONFIG_NAMESPACE}: keys; did you mean ${meant}? (pulumi config rm ${k}; pulumi config set ${meant} ...)`;
    });
}

/**
 * One warning for the keys of other namespaces (another program's, or the Kubernetes provider's
 * `kubernetes:context`, which the program's own provider does not read): nothing reads them here.
 * `pulumi:` keys are the engine's.
 */
export function unreadKeyWarnings(all: Readonly<Record<string, string>>, project: string | undefined): string[] {
  const unread = Object.keys(all)
    .filter((k) => {
      const ns = namespaceOf(k);
      return ns !== CONFIG_NAMESPACE && ns !== "pulumi" && ns !== project && editDistance(ns, CONFIG_NAMESPACE) > 2;
    })
    .sort();
  if (unread.length === 0) return [];
  const kubernetes = unread.some((k) => namespaceOf(k) === "kubernetes")
    ? " (kubernetes: keys configure Pulumi's default provider, which this program does not use: set finetune:cluster.context, finetune:cluster.kubeconfig or the secret finetune:kubeconfig)"
    : "";
  return [
    `${unread.join(", ")}: not read by this program, which reads only ${CONFIG_NAMESPACE}: keys${kubernetes}; remove them if they were meant for it`,
  ];
}

/**
 * Decodes and validates the engine's config map (`finetune:key` to text) in one step, reporting
 * decoding and validation problems together. Pure: `loadConfig` adds the runtime around it.
 * `project` is the project's name, when known (see `foreignProjectKeys`); `maxJobs`, see `parseConfig`.
 */
export function parseStackConfig(
  all: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string>,
  project?: string,
  maxJobs?: number,
): ReturnType<typeof parseConfig> {
  const decoded = decodeConfigValues(all, secretKeys);
  const { values } = decoded;
  const problems = [...foreignProjectKeys(all, project), ...misspelledKeys(all, project), ...decoded.problems];
  try {
    const parsed = parseConfig(values, secretKeys, maxJobs);
    if (problems.length > 0) throw new ConfigError(problems);
    return { ...parsed, warnings: [...unreadKeyWarnings(all, project), ...parsed.warnings] };
  } catch (e) {
    if (e instanceof ConfigError && problems.length > 0 && e.problems !== problems) {
      throw new ConfigError([...problems, ...e.problems]);
    }
    throw e;
  }
}

/**
 * Reads the stack's config from the Pulumi runtime, validates it, and returns the typed config.
 * Secrets are read only with `requireSecret`, so they stay secret Outputs; `verifyConfigSecrets`
 * checks their shape. `maxJobs`, see `parseConfig`.
 */
export function loadConfig(maxJobs?: number): Config {
  const all = pulumi.runtime.allConfig();
  const secretKeys = new Set(
    Object.keys(all)
      .filter(
        (k) =>
          k.startsWith(`${CONFIG_NAMESPACE}:`) &&
          (runtimeConfig as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret(k),
      )
      .map((k) => k.slice(CONFIG_NAMESPACE.length + 1)),
  );
  const parsed = parseStackConfig(all, secretKeys, pulumi.getProject(), maxJobs);
  const { hasHfToken, hasS3Credentials, hasImagePullSecrets, hasKubeconfig, ...config } = parsed;
  const secrets = new pulumi.Config(CONFIG_NAMESPACE);
  return {
    ...config,
    ...(hasHfToken ? { hfToken: secrets.requireSecret("hfToken") } : {}),
    ...(hasImagePullSecrets ? { imagePullSecrets: secrets.requireSecret("imagePullSecrets") } : {}),
    ...(hasKubeconfig ? { kubeconfig: secrets.requireSecret("kubeconfig") } : {}),
    ...(hasS3Credentials
      ? {
          s3Credentials: {
            accessKeyId: secrets.requireSecret("s3AccessKeyId"),
            secretAccessKey: secrets.requireSecret("s3SecretAccessKey"),
          },
        }
      : {}),
  };
}

/** Checks the shape of the config's secrets (see `verifySecrets`); rejects with a `ConfigError`. */
export function verifyConfigSecrets(config: Config): Promise<void> {
  return verifySecrets({
    hfToken: config.hfToken,
    s3AccessKeyId: config.s3Credentials?.accessKeyId,
    s3SecretAccessKey: config.s3Credentials?.secretAccessKey,
    imagePullSecrets: config.imagePullSecrets,
    kubeconfig: config.kubeconfig,
  });
}
