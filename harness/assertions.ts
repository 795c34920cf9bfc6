// Assertions the end-to-end files share.
import assert from "node:assert/strict";
import type { CommandResult } from "./cli";

/** Asserts a command's exit code; the message ends with the last of its output. */
export function exits(result: CommandResult, code: number): void {
  assert.equal(result.code, code, `exit code ${result.code}, expected ${code}:\n${result.output.slice(-6000)}`);
}
