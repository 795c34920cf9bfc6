// One fine-tune run: its new PersistentVolumeClaims and its PyTorchJob.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildPyTorchJob } from "./builders/pytorchJob";
import { buildPersistentVolumeClaim } from "./builders/storage";
import type { Job } from "./config";
import { childResourceName, claimName, type VolumeRole } from "./names";

/** Arguments of a `FineTuneJob`. */
export interface FineTuneJobArgs {
  /** The namespace, as an Output of the Namespace resource so that jobs are created after it. */
  readonly namespace: pulumi.Input<string>;
  /** The validated job config. */
  readonly job: Job;
  /**
   * Whether the namespace has the Hugging Face token Secret (exposed as `HF_TOKEN`).
   * @default false
   */
  readonly hfToken?: boolean;
  /**
   * Resources the PyTorchJob must wait for: the training operator (its CRD and webhook) and the
   * Secrets its pods read.
   * @default none
   */
  readonly after?: pulumi.Resource[];
}

const ROLES: readonly VolumeRole[] = ["model", "dataset", "output"];

/** A fine-tune job: a PyTorchJob and the PVCs it needs. */
export class FineTuneJob extends pulumi.ComponentResource {
  /** The PyTorchJob's name. */
  public readonly jobName: pulumi.Output<string>;
  /** The namespace it runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** The PVC that receives the checkpoints. */
  public readonly outputClaim: pulumi.Output<string>;
  /** The PVCs this job created, by volume. */
  public readonly claims: Partial<Record<VolumeRole, k8s.core.v1.PersistentVolumeClaim>>;

  constructor(name: string, args: FineTuneJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:FineTuneJob", name, {}, opts);
    const { job } = args;

    this.claims = {};
    for (const role of ROLES) {
      const volume = job[role];
      if (volume?.kind !== "new") continue;
      this.claims[role] = new k8s.core.v1.PersistentVolumeClaim(
        childResourceName(name, role),
        buildPersistentVolumeClaim(name, role, volume, args.namespace),
        { parent: this },
      );
    }

    const manifest = buildPyTorchJob({ name, namespace: args.namespace, job, hfToken: args.hfToken ?? false });
    const pytorchJob = new k8s.apiextensions.CustomResource(childResourceName(name, "pytorchjob"), manifest, {
      parent: this,
      dependsOn: [...Object.values(this.claims), ...(args.after ?? [])],
    });

    this.jobName = pytorchJob.metadata.name;
    this.namespace = pytorchJob.metadata.namespace;
    this.outputClaim = pulumi.output(job.output.kind === "existing" ? job.output.claimName : claimName(name, "output"));
    this.registerOutputs({ jobName: this.jobName, namespace: this.namespace, outputClaim: this.outputClaim });
  }
}
