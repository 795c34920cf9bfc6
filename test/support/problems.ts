// The problems a config is refused with, for tests of the config rules.
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../components/config";

/** The problems `parseConfig` reports for `raw` (none when it is valid); `secretKeys` are stored as secrets. */
export function problemsOf(raw: Record<string, unknown>, secretKeys: string[] = []): string[] {
  try {
    parseConfig(raw, new Set(secretKeys));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return [...e.problems];
  }
  return [];
}
