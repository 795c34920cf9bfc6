// `jobs.<name>.scheduling.affinity`: a pod spec's affinity (core/v1 Affinity), checked as the API
// server checks a pod's. The operator creates the pods, so an affinity the API server refuses is
// not reported by `pulumi up`: the job is accepted and its pods are never created.
import { z } from "zod";
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, isQualifiedName } from "../validation";
import { isPlainObject, labelKey, labelValue, strictObject, text } from "./base";

/** A label key, or a node label key a term matches (`kubernetes.io/hostname`). */
const topologyKey = z.string().refine(isQualifiedName, {
  error: "must be a label key such as 'kubernetes.io/hostname' or 'topology.kubernetes.io/zone'",
});

const WEIGHT = { error: "must be an integer from 1 to 100" };
const weight = z.int(WEIGHT).min(1, WEIGHT).max(100, WEIGHT);

const INTEGER = /^-?\d+$/;

/** A node selector requirement on a node label (`matchExpressions`). */
const nodeSelectorRequirement = strictObject({
  key: labelKey,
  operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"], {
    error: "must be In, NotIn, Exists, DoesNotExist, Gt or Lt",
  }),
  values: z.array(text()).optional(),
}).superRefine(
  (r, ctx) => {
    const n = r.values?.length ?? 0;
    const problem = (message: string) => ctx.addIssue({ code: "custom", path: ["values"], message });
    if ((r.operator === "In" || r.operator === "NotIn") && n === 0) {
      problem("must list at least one value when operator is In or NotIn");
    } else if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) {
      problem("must be empty when operator is Exists or DoesNotExist");
    } else if ((r.operator === "Gt" || r.operator === "Lt") && (n !== 1 || !INTEGER.test(r.values?.[0] ?? ""))) {
      problem("must be one integer when operator is Gt or Lt");
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** A node selector requirement on a node field: only `metadata.name` (`matchFields`). */
const nodeFieldRequirement = strictObject({
  key: z.literal("metadata.name", { error: "must be metadata.name (the only field a node selector matches)" }),
  operator: z.enum(["In", "NotIn"], { error: "must be In or NotIn (a node field)" }),
  values: z
    .array(z.string().max(253).regex(DNS1123_SUBDOMAIN, { error: "must be a node name" }))
    .length(1, { error: "must be exactly one node name" }),
});

const nodeSelectorTerm = strictObject({
  matchExpressions: z.array(nodeSelectorRequirement).optional(),
  matchFields: z.array(nodeFieldRequirement).optional(),
});

const nodeAffinity = strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: strictObject({
    nodeSelectorTerms: z.array(nodeSelectorTerm).min(1, { error: "must list at least one node selector term" }),
  }).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(strictObject({ weight, preference: nodeSelectorTerm }))
    .optional(),
});

const labelSelectorRequirement = strictObject({
  key: labelKey,
  operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"], { error: "must be In, NotIn, Exists or DoesNotExist" }),
  values: z.array(labelValue).optional(),
}).superRefine(
  (r, ctx) => {
    const n = r.values?.length ?? 0;
    if ((r.operator === "In" || r.operator === "NotIn") && n === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["values"],
        message: "must list at least one value when operator is In or NotIn",
      });
    } else if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["values"],
        message: "must be empty when operator is Exists or DoesNotExist",
      });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

const labelSelector = strictObject({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z.array(labelSelectorRequirement).optional(),
});

const podAffinityTerm = strictObject({
  labelSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  namespaces: z.array(z.string().max(63).regex(DNS1123_LABEL, { error: "must be a namespace name" })).optional(),
  topologyKey,
  matchLabelKeys: z.array(labelKey).optional(),
  mismatchLabelKeys: z.array(labelKey).optional(),
});

const podAffinity = strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(strictObject({ weight, podAffinityTerm })).optional(),
});

/** `jobs.<name>.scheduling.affinity`. */
export const affinitySchema = strictObject({
  nodeAffinity: nodeAffinity.optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});
