// Declaring the stack without V8's stack capture. The Pulumi SDK takes `new Error().stack` for
// every promise it tracks (`debuggablePromise`: four per output property of every resource), and
// formatting it maps each frame through the source maps of the program and of the SDKs. It keeps
// those traces only to print leaked promises under PULUMI_DEBUG_PROMISE_LEAKS. For large stacks
// under the mock runtime they took a large share of the program's time and peak memory (docs/performance.md
// has the numbers). The SDK's record of where each resource is declared is taken apart, with its own
// limit, and is not affected.

/** V8's default `Error.stackTraceLimit`. */
const V8_DEFAULT_LIMIT = 10;

/**
 * Runs `declare` with `Error.stackTraceLimit` at 0, and restores it after, also when `declare`
 * throws. An error thrown while declaring keeps its message but has no frames; errors raised later
 * (in Outputs' callbacks) keep theirs. Left alone when PULUMI_DEBUG_PROMISE_LEAKS asks for those
 * traces, or when the limit is not V8's default (the user chose one, e.g. with
 * `NODE_OPTIONS=--stack-trace-limit=50`). The flag itself is not looked for: Node.js 24's test
 * runner passes `--stack-trace-limit=10` to every test process.
 */
export function withoutStackCapture<T>(declare: () => T, env: NodeJS.ProcessEnv = process.env): T {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS || Error.stackTraceLimit !== V8_DEFAULT_LIMIT) return declare();
  Error.stackTraceLimit = 0;
  try {
    return declare();
  } finally {
    Error.stackTraceLimit = V8_DEFAULT_LIMIT;
  }
}
