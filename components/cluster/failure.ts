// What the program reads from the cluster to say why a run failed or cannot start, beyond the
// job's condition: the first container to fail and the end of its log, and the recent warning
// events of the job and its pods. Every line has the stack's secret values replaced; a read that
// fails is said, never fatal (the failure itself is already known).
import { logTail, type ObservedEvent, redact, warningLines } from "./evidence";
import { type Cause, describeCause, type PodView } from "./pods";
import type { ClusterReader } from "./reader";

/** What the evidence is about. */
export interface EvidenceRequest {
  readonly namespace: string;
  /** The job's kind and name, whose events are read with its pods'. */
  readonly kind: string;
  readonly name: string;
  readonly pods: readonly PodView[];
  /** The container that failed the run, when one did. */
  readonly cause?: Cause;
  /** The values no line may show. */
  readonly secrets: readonly string[];
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The lines that follow a failure's message: the cause, its log's last lines, warning events. */
export async function gatherEvidence(reader: ClusterReader, request: EvidenceRequest): Promise<string[]> {
  const { namespace, cause, secrets } = request;
  const lines: string[] = [];
  if (cause !== undefined) {
    lines.push(`First to fail: ${describeCause(namespace, cause)}`);
    if (cause.container !== undefined) {
      const which = `the log of ${cause.pod} (container ${cause.container}${cause.previous ? ", before its last restart" : ""})`;
      try {
        const log = await reader.log(namespace, cause.pod, cause.container, cause.previous);
        const tail = log === undefined ? [] : logTail(log, secrets);
        if (tail.length > 0) lines.push(`The end of ${which}:`, ...tail.map((l) => `  ${l}`));
        else lines.push(`${which[0].toUpperCase()}${which.slice(1)} is empty or gone.`);
      } catch (e) {
        lines.push(`${which[0].toUpperCase()}${which.slice(1)} could not be read: ${messageOf(e)}`);
      }
    }
  }
  try {
    const events = (await reader.list("v1", "Event", namespace)) as ObservedEvent[];
    const about = new Set([
      `${request.kind.toLowerCase()}/${request.name}`,
      ...request.pods.map((p) => `pod/${p.name}`),
    ]);
    const warnings = warningLines(events, about);
    if (warnings.length > 0) lines.push("Recent warning events:", ...warnings.map((l) => `  ${l}`));
  } catch (e) {
    lines.push(`The events could not be read: ${messageOf(e)}`);
  }
  return lines.map((l) => redact(l, secrets));
}
