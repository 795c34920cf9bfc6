// The config keys that hold secrets and what their values must look like. The program never
// parses a secret as plain config: validation sees a marker, and the value stays a secret Output;
// only its shape is checked, before anything is declared.
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { isPlainObject } from "./base";
import { ConfigError, keyPath } from "./errors";

/** Config keys that may (and must) be stored as Pulumi secrets. */
export const SECRET_KEYS = ["hfToken", "s3AccessKeyId", "s3SecretAccessKey", "imagePullSecrets", "kubeconfig"] as const;

/** What a secret value must look like: a check that returns a problem, never echoing the value. */
export const SECRET_RULES: Readonly<Record<(typeof SECRET_KEYS)[number], (value: string) => string | undefined>> = {
  hfToken: (v) => (v.length === 0 ? "must not be empty" : /\s/.test(v) ? "must not contain whitespace" : undefined),
  s3AccessKeyId: (v) => (v.length === 0 ? "must not be empty" : undefined),
  s3SecretAccessKey: (v) => (v.length === 0 ? "must not be empty" : undefined),
  imagePullSecrets: (v) =>
    isDockerConfigJson(v)
      ? undefined
      : 'must be the contents of a Docker config.json with registry credentials ({"auths": {...}}): pulumi config set --secret imagePullSecrets "$(cat ~/.docker/config.json)"',
  kubeconfig: (v) =>
    isKubeconfig(v)
      ? undefined
      : 'must be the contents of a kubeconfig (a YAML or JSON map with clusters, contexts and users): pulumi config set --secret kubeconfig "$(cat path/to/kubeconfig)"',
};

/** What a secret's value is replaced with before validation: the program never parses secrets. */
export const SECRET_MARKER = "[secret]";

/** True for the contents of a Docker config.json: a JSON object with an `auths` map. */
function isDockerConfigJson(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isPlainObject(parsed) && isPlainObject(parsed.auths);
  } catch {
    return false;
  }
}

/** True for the contents of a kubeconfig: a map with a list of clusters. */
function isKubeconfig(text: string): boolean {
  try {
    const parsed = parse(text) as unknown;
    return isPlainObject(parsed) && Array.isArray(parsed.clusters);
  } catch {
    return false;
  }
}

/** The value of a known Output (config values always are), read without unwrapping its secretness. */
function knownValue(output: pulumi.Output<string>): Promise<string> {
  return new Promise((resolve) => {
    output.apply((v) => {
      resolve(v);
      return v;
    });
  });
}

/**
 * Checks the shape of every configured secret before anything is declared, so that a bad value
 * fails `pulumi preview` and `pulumi up` (even with --skip-preview) with nothing created. Each
 * problem names its key, never the value. Throws `ConfigError` listing them.
 */
export async function verifySecrets(
  secrets: Partial<Record<(typeof SECRET_KEYS)[number], pulumi.Output<string>>>,
): Promise<void> {
  const problems: string[] = [];
  for (const key of SECRET_KEYS) {
    const output = secrets[key];
    if (output === undefined) continue;
    const problem = SECRET_RULES[key](await knownValue(output));
    if (problem !== undefined) problems.push(`${keyPath([key])}: ${problem}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
