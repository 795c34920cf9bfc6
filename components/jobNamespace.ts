// The namespace the jobs run in, and the credentials they share (Hugging Face token, S3 keys).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildHfTokenSecret, buildNamespace, buildS3CredentialsSecret } from "./builders/storage";
import type { S3Credentials } from "./config";

/** Arguments of a `JobNamespace`. */
export interface JobNamespaceArgs {
  /** Name of the namespace to create. */
  readonly name: string;
  /**
   * The Hugging Face token, a secret Output. When set, a Secret `hf-token` holds it.
   * @default no token Secret
   */
  readonly hfToken?: pulumi.Output<string>;
  /**
   * S3 credentials, secret Outputs. When set, a Secret `s3-credentials` holds them.
   * @default no S3 Secret
   */
  readonly s3Credentials?: S3Credentials;
  /**
   * Keep the namespace when the stack is destroyed. Deleting a namespace deletes every PVC in it,
   * so a namespace that holds retained output PVCs must be retained too.
   * @default false
   */
  readonly retain?: boolean;
}

/** The jobs' Namespace and shared Secrets. */
export class JobNamespace extends pulumi.ComponentResource {
  /** The namespace name, known once the Namespace exists. */
  public readonly name: pulumi.Output<string>;
  /** The Hugging Face token Secret, when a token is configured. */
  public readonly hfTokenSecret?: k8s.core.v1.Secret;
  /** The S3 credentials Secret, when credentials are configured. */
  public readonly s3Secret?: k8s.core.v1.Secret;

  constructor(name: string, args: JobNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:JobNamespace", name, {}, opts);
    const namespace = new k8s.core.v1.Namespace(name, buildNamespace(args.name), {
      parent: this,
      retainOnDelete: args.retain ?? false,
    });
    this.name = namespace.metadata.name;
    if (args.hfToken !== undefined) {
      this.hfTokenSecret = new k8s.core.v1.Secret(`${name}-hf-token`, buildHfTokenSecret(this.name, args.hfToken), {
        parent: this,
      });
    }
    if (args.s3Credentials !== undefined) {
      const { accessKeyId, secretAccessKey } = args.s3Credentials;
      this.s3Secret = new k8s.core.v1.Secret(
        `${name}-s3-credentials`,
        buildS3CredentialsSecret(this.name, accessKeyId, secretAccessKey),
        { parent: this },
      );
    }
    this.registerOutputs({ name: this.name });
  }
}
