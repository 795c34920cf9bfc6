// Where a job's pods may run (node selection, tolerations, affinity, priority, gang scheduling)
// and the PyTorchJob's run policy.
import { z } from "zod";
import { affinitySchema } from "./affinity";
import { dns1123Subdomain, isPlainObject, labelKey, labelValue, strictObject } from "./base";

const tolerationSchema = strictObject({
  key: labelKey.optional(),
  operator: z.enum(["Exists", "Equal"], { error: "must be Exists or Equal" }).optional(),
  value: labelValue.optional(),
  effect: z
    .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
      error: "must be NoSchedule, PreferNoSchedule or NoExecute",
    })
    .optional(),
  tolerationSeconds: z.int().min(0).optional(),
}).superRefine(
  (t, ctx) => {
    if (t.operator === "Exists" && t.value !== undefined && t.value !== "") {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be empty when operator is Exists" });
    }
    if (t.key === undefined && t.operator !== "Exists") {
      ctx.addIssue({ code: "custom", path: ["operator"], message: "must be Exists when key is empty" });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** `jobs.<name>.scheduling`. */
export const schedulingSchema = strictObject({
  nodeSelector: z.record(labelKey, labelValue).optional(),
  tolerations: z.array(tolerationSchema).optional(),
  affinity: affinitySchema.optional(),
  priorityClassName: dns1123Subdomain("a PriorityClass name").optional(),
  schedulerName: dns1123Subdomain("a scheduler name").optional(),
  gang: z.boolean({ error: "must be true or false" }).default(false),
  queue: dns1123Subdomain("a queue name").optional(),
});

/** Where the job's pods may run. */
export type Scheduling = z.output<typeof schedulingSchema>;

/** A finished PyTorchJob is deleted by the operator after this long (7 days) unless overridden. */
export const DEFAULT_TTL_SECONDS = 604_800;

/** `jobs.<name>.runPolicy`: the PyTorchJob run policy, with the program's defaults. */
export const runPolicySchema = strictObject({
  cleanPodPolicy: z.enum(["None", "Running", "All"], { error: "must be None, Running or All" }).default("Running"),
  backoffLimit: z.int().min(0).max(100).default(3),
  // How the operator retries a failed training pod (each retry counted against backoffLimit):
  // OnFailure restarts any failed container in place; ExitCode recreates the pod only when its exit
  // code is 128 or more (killed by a signal: preemption, eviction, a node lost), and fails the run at
  // once on 1 to 127 (the program's own error).
  restartPolicy: z.enum(["OnFailure", "ExitCode"], { error: "must be OnFailure or ExitCode" }).default("OnFailure"),
  activeDeadlineSeconds: z.int().min(1).optional(),
  // null: never delete the finished job.
  ttlSecondsAfterFinished: z.int().min(0).nullable().default(DEFAULT_TTL_SECONDS),
});

/** The PyTorchJob's `runPolicy`. */
export type RunPolicy = z.output<typeof runPolicySchema>;
