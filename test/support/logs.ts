// Records what the program logs through `pulumi.log` while `fn` runs: error diagnostics are what
// fail `pulumi up`, warnings what the CLI shows beside the plan.
import * as pulumi from "@pulumi/pulumi";

type Level = "error" | "warn" | "info";

/** Runs `fn` and returns the messages logged at `level` meanwhile. */
export async function recordLogs(level: Level, fn: () => Promise<unknown>): Promise<string[]> {
  const messages: string[] = [];
  const log = pulumi.log as Record<Level, (msg: string) => Promise<void>>;
  const original = log[level];
  log[level] = async (msg: string) => {
    messages.push(msg);
  };
  try {
    await fn();
  } finally {
    log[level] = original;
  }
  return messages;
}
