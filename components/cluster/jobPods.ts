// What the program says of a staging or data preparation Job while the provider waits for it: each
// failed attempt as it happens (pod, container, exit code, reason, the end of its log with the
// stack's secrets replaced). The provider's own wait decides the Job's fate and blocks training
// until the data is there; it says only `[containerFailed] container failed` of each pod. The Job
// retries a failed pod after a back-off (10 s, then 20 s, 40 s ...), time enough to read each.
import { redact } from "./evidence";
import { logEvidence } from "./failure";
import { describeCause, type Failure, failuresOf, type ObservedPod, readPod } from "./pods";
import type { ClusterReader } from "./reader";

/** The label the Job controller puts on its pods. */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

/** Where, and what to say. */
export interface JobPodsEnvironment {
  readonly reader: () => Promise<ClusterReader>;
  /** Called with the lines of each new failure, in the order they happened. */
  readonly onFailure: (lines: string[]) => void;
  /** The values no line may show. */
  readonly secrets?: () => readonly string[];
  /** Waits between looks; the default never keeps the program from ending. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The Job watched. */
export interface JobPodsRequest {
  readonly namespace: string;
  readonly job: string;
  /** Seconds between looks. @default 3 */
  readonly intervalSeconds?: number;
}

/** A watch that runs until stopped (or the program ends). */
export interface JobPodsWatch {
  stop(): void;
  /** Settles when the watch has stopped. */
  readonly done: Promise<void>;
}

function key(f: Failure): string {
  return `${f.pod}/${f.container}/${f.previous ? "before" : "ended"}/${f.at}`;
}

/** A timer that lets the program end: the watch is never why `pulumi up` waits. */
function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Looks at the Job's pods until stopped, saying each failure not there at the first look (a
 * failure of an earlier run of a Job of that name was said then). A look that fails is skipped.
 */
export function watchJobPods(env: JobPodsEnvironment, request: JobPodsRequest): JobPodsWatch {
  const sleep = env.sleep ?? unrefSleep;
  const { namespace, job } = request;
  let stopped = false;
  const done = (async () => {
    let said: Set<string> | undefined;
    while (!stopped) {
      try {
        const reader = await env.reader();
        const pods = (await reader.list("v1", "Pod", namespace, `${JOB_NAME_LABEL}=${job}`)).map((p) =>
          readPod(p as ObservedPod),
        );
        const failures = failuresOf(pods);
        if (said === undefined) said = new Set(failures.map(key));
        for (const f of failures) {
          if (said.has(key(f)) || stopped) continue;
          said.add(key(f));
          const secrets = env.secrets?.() ?? [];
          const log = await logEvidence(reader, namespace, f, secrets);
          env.onFailure(
            [`Job ${namespace}/${job}: ${describeCause(namespace, f)}`, ...log].map((l) => redact(l, secrets)),
          );
        }
      } catch {
        // The provider's wait says what matters; a look that fails is tried again.
      }
      if (!stopped) await sleep((request.intervalSeconds ?? 3) * 1000);
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
    done,
  };
}
