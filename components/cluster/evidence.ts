// What a failure message carries besides the cause: the last lines of the failed container's log
// and the recent warning events of the run's objects, each bounded (a message is read in a
// terminal and kept in CI logs), and the log with every secret value of the stack replaced, since
// a trainer may print its environment. Pure: watchRun.ts reads the log and the events.

/** The fields of a core/v1 Event the program reads. */
export interface ObservedEvent {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
  readonly series?: { readonly count?: number; readonly lastObservedTime?: string };
}

/** What replaces a secret value in a log. */
export const REDACTED = "[secret]";

/** How much of a log a message carries. */
export const LOG_LINES = 20;
/** Characters kept of one log line. */
export const LOG_LINE_CHARS = 300;
/** Warning events a message carries. */
export const EVENT_LINES = 5;

/** Cuts text to `max` characters, marking the cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Text with every secret value replaced, longest first (a secret that contains another goes whole). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * The last `lines` lines of a log, each cut to LOG_LINE_CHARS, with every secret value replaced
 * (before cutting, so no part of one is left); blank trailing lines dropped.
 */
export function logTail(log: string, secrets: readonly string[], lines = LOG_LINES): string[] {
  const all = redact(log, secrets).replace(/\r\n/g, "\n").split("\n");
  while (all.length > 0 && all[all.length - 1].trim() === "") all.pop();
  return all.slice(-lines).map((l) => cut(l, LOG_LINE_CHARS));
}

function when(e: ObservedEvent): string {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? "";
}

/**
 * The most recent Warning events about the objects named (by kind/name), newest last, one line
 * each (`pod/x-master-0 BackOff: Back-off restarting failed container (x4)`), repeats merged.
 */
export function warningLines(
  events: readonly ObservedEvent[],
  about: ReadonlySet<string>,
  limit = EVENT_LINES,
): string[] {
  const merged = new Map<string, { line: string; count: number; at: string }>();
  for (const e of events) {
    if (e.type !== "Warning") continue;
    const object = `${(e.involvedObject?.kind ?? "").toLowerCase()}/${e.involvedObject?.name ?? ""}`;
    if (!about.has(object)) continue;
    const line = cut(`${object} ${e.reason ?? ""}: ${(e.message ?? "").trim()}`, LOG_LINE_CHARS);
    const count = Math.max(e.series?.count ?? 0, e.count ?? 1, 1);
    const seen = merged.get(line);
    const at = when(e);
    merged.set(line, {
      line,
      count: (seen?.count ?? 0) + count,
      at: seen !== undefined && seen.at > at ? seen.at : at,
    });
  }
  return [...merged.values()]
    .sort((a, b) => a.at.localeCompare(b.at) || a.line.localeCompare(b.line))
    .slice(-limit)
    .map((m) => (m.count > 1 ? `${m.line} (x${m.count})` : m.line));
}
