// `staging`: how the stack's staging Jobs fetch model and dataset sources: their images, how long
// `pulumi up` waits for one, and what each staging pod asks of its node.
import { parseQuantity } from "../validation";
import { duration, imageReference, isPlainObject, quantity, strictObject } from "./base";

/** The image that runs `aws s3 sync` in staging Jobs, unless `staging.s3Image` is set. */
export const DEFAULT_S3_IMAGE = "docker.io/amazon/aws-cli:2.22.35";

/**
 * What a staging pod requests by default: a download is one process that waits on the network and
 * the disk, so one CPU; its memory is the client's buffers and the page cache of what it writes,
 * which the kernel reclaims before the limit is reached.
 */
export const DEFAULT_STAGING_RESOURCES = { cpu: "1", memory: "2Gi", memoryLimit: "8Gi" } as const;

/** `staging.resources`. */
const stagingResourcesSchema = strictObject({
  cpu: quantity("CPU cores such as 1 or 500m").default(DEFAULT_STAGING_RESOURCES.cpu),
  memory: quantity("memory such as 2Gi").default(DEFAULT_STAGING_RESOURCES.memory),
  memoryLimit: quantity("memory such as 8Gi").default(DEFAULT_STAGING_RESOURCES.memoryLimit),
}).superRefine(
  (r, ctx) => {
    if (typeof r.memory !== "string" || typeof r.memoryLimit !== "string") return;
    const memory = parseQuantity(r.memory);
    const limit = parseQuantity(r.memoryLimit);
    if (memory !== undefined && limit !== undefined && memory > limit) {
      ctx.addIssue({
        code: "custom",
        path: ["memoryLimit"],
        message: `is ${r.memoryLimit}, less than memory (${r.memory}): a pod's memory limit must be at least its request`,
      });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** `staging`. */
export const stagingSchema = strictObject({
  hfImage: imageReference.optional(),
  s3Image: imageReference.default(DEFAULT_S3_IMAGE),
  timeout: duration.default("2h"),
  resources: stagingResourcesSchema.prefault({}),
}).prefault({});

/** What each staging pod asks of its node: CPU and memory requested, and memory at most. */
export interface StagingResources {
  /** CPU requested. @default "1" */
  readonly cpu: string;
  /** Memory requested. @default "2Gi" */
  readonly memory: string;
  /** The memory limit: past it the container is OOM-killed, and the Job tries again. @default "8Gi" */
  readonly memoryLimit: string;
}

/** How staging Jobs fetch sources. */
export interface StagingConfig {
  /** Image with `huggingface_hub` for hf:// sources; the job's own image when unset. */
  readonly hfImage?: string;
  /** Image with the AWS CLI for s3:// sources. */
  readonly s3Image: string;
  /** How long `pulumi up` waits for a staging Job to complete. */
  readonly timeout: string;
  /** What each staging pod requests. */
  readonly resources: StagingResources;
}
