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
  /**
   * The cause's log as read when the failure was first seen: said instead when the pod is gone by
   * now (the operator deletes a failed run's running pods, cleanPodPolicy) or its log unreadable.
   */
  readonly logSeen?: string;
  /** The values no line may show. */
  readonly secrets: readonly string[];
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The end of a failed container's log, as lines (indented under a header), or a line saying it is
 * empty, gone or unreadable. `logSeen` is said instead when the pod's log is gone by now.
 */
export async function logEvidence(
  reader: ClusterReader,
  namespace: string,
  cause: Cause & { readonly container: string },
  secrets: readonly string[],
  logSeen?: string,
): Promise<string[]> {
  const which = `the log of ${cause.pod} (container ${cause.container}${cause.previous ? ", before its last restart" : ""})`;
  let log: string | undefined;
  let unread: string | undefined;
  try {
    log = await reader.log(namespace, cause.pod, cause.container, cause.previous);
  } catch (e) {
    unread = messageOf(e);
  }
  const tail = logTail(log ?? "", secrets);
  const earlier = tail.length === 0 ? logTail(logSeen ?? "", secrets) : [];
  const Which = `${which[0].toUpperCase()}${which.slice(1)}`;
  if (tail.length > 0 || earlier.length > 0) {
    return [`The end of ${which}:`, ...(tail.length > 0 ? tail : earlier).map((l) => `  ${l}`)];
  }
  return [unread !== undefined ? `${Which} could not be read: ${unread}` : `${Which} is empty or gone.`];
}

/** The lines that follow a failure's message: the cause, its log's last lines, warning events. */
export async function gatherEvidence(reader: ClusterReader, request: EvidenceRequest): Promise<string[]> {
  const { namespace, cause, secrets } = request;
  const lines: string[] = [];
  if (cause !== undefined) {
    lines.push(`First to fail: ${describeCause(namespace, cause)}`);
    if (cause.container !== undefined) {
      lines.push(
        ...(await logEvidence(reader, namespace, { ...cause, container: cause.container }, secrets, request.logSeen)),
      );
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
