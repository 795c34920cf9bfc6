// Kueue: the LocalQueue a job is submitted to (per job, or one for the whole stack), and the rules
// a queued job must follow. The program only labels the job: Kueue suspends it when it is
// created and resumes it when its Workload is admitted, so the program never writes `suspend`.
import { dns1123Subdomain, isPlainObject } from "./base";
import { keyPath } from "./errors";

/** The label that submits a job to a Kueue LocalQueue of its namespace. */
export const KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

/** The label that gives a job's Workload the priority of a Kueue WorkloadPriorityClass. */
export const KUEUE_PRIORITY_LABEL = "kueue.x-k8s.io/priority-class";

/** A LocalQueue name: an object name that is also a label value, so at most 63 characters. */
export const queueName = dns1123Subdomain("a LocalQueue name").max(63, {
  error: "must be at most 63 characters (a LocalQueue name, written as a label value)",
});

/** A WorkloadPriorityClass name, written as a label value too. */
export const workloadPriorityClassName = dns1123Subdomain("a WorkloadPriorityClass name").max(63, {
  error: "must be at most 63 characters (a WorkloadPriorityClass name, written as a label value)",
});

/**
 * The problems of job `name` (as written, before defaults) with the queue keys, with their paths
 * from the stack's root.
 */
export function queueIssues(
  name: string,
  job: Readonly<Record<string, unknown>>,
  stackQueue: unknown,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const queueKey = keyPath(["jobs", name, "queue"]);
  const labels = job.labels;
  if (isPlainObject(labels) && labels[KUEUE_QUEUE_LABEL] !== undefined) {
    issues.push({
      path: ["jobs", name, "labels", KUEUE_QUEUE_LABEL],
      message: `is set by the program from the job's queue: set ${queueKey} (or finetune:queue for every job) instead`,
    });
  }
  if (isPlainObject(labels) && labels[KUEUE_PRIORITY_LABEL] !== undefined) {
    issues.push({
      path: ["jobs", name, "labels", KUEUE_PRIORITY_LABEL],
      message: `is set by the program: set ${keyPath(["jobs", name, "workloadPriorityClass"])} instead`,
    });
  }
  const queued = job.queue !== undefined || stackQueue !== undefined;
  if (job.workloadPriorityClass !== undefined && !queued) {
    issues.push({
      path: ["jobs", name, "workloadPriorityClass"],
      message: `applies only to a job with a Kueue queue: set ${queueKey} (or finetune:queue), or remove it`,
    });
  }
  if (job.wait === "admitted" && job.queue === undefined && stackQueue === undefined) {
    issues.push({
      path: ["jobs", name, "wait"],
      message: `is admitted, which waits for Kueue to admit the job, but the job has no queue: set ${queueKey} (or finetune:queue) to a LocalQueue of the namespace, or wait for running`,
    });
  }
  return issues;
}
