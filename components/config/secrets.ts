// The config keys that hold secrets and what their values must look like. The program never
// parses a secret as plain config: validation sees a marker, and the value is checked inside
// `apply`, where it stays a secret Output.
import * as pulumi from "@pulumi/pulumi";
import { isPlainObject } from "./base";
import { keyPath } from "./errors";

/** Config keys that may (and must) be stored as Pulumi secrets. */
export const SECRET_KEYS = ["hfToken", "s3AccessKeyId", "s3SecretAccessKey", "imagePullSecrets"] as const;

/** What a secret value must look like: a check that returns a problem, never echoing the value. */
export const SECRET_RULES: Readonly<Record<(typeof SECRET_KEYS)[number], (value: string) => string | undefined>> = {
  hfToken: (v) => (v.length === 0 ? "must not be empty" : /\s/.test(v) ? "must not contain whitespace" : undefined),
  s3AccessKeyId: (v) => (v.length === 0 ? "must not be empty" : undefined),
  s3SecretAccessKey: (v) => (v.length === 0 ? "must not be empty" : undefined),
  imagePullSecrets: (v) =>
    isDockerConfigJson(v)
      ? undefined
      : 'must be the contents of a Docker config.json with registry credentials ({"auths": {...}}): pulumi config set --secret imagePullSecrets "$(cat ~/.docker/config.json)"',
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

/**
 * A secret config value as a secret Output, checked inside `apply`. A bad value is reported as an
 * error diagnostic naming the key (never the value): secret config is known during preview, so
 * `pulumi preview`, and the preview that `pulumi up` starts with, fail before anything is changed.
 */
export function checkedSecret(config: pulumi.Config, key: (typeof SECRET_KEYS)[number]): pulumi.Output<string> {
  return config.requireSecret(key).apply((value) => {
    const problem = SECRET_RULES[key](value);
    if (problem !== undefined) pulumi.log.error(`${keyPath([key])}: ${problem}`);
    return value;
  });
}
