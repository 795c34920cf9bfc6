// The namespace the jobs run in (created by the stack, or one that exists already), and what its
// pods share: the ServiceAccount they run as (when the stack has jobs), the credential Secrets
// (Hugging Face token, S3 keys, registry credentials) and, when asked, the NetworkPolicies that
// deny all traffic but DNS.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  buildDefaultDenyPolicy,
  buildDnsPolicy,
  buildServiceAccount,
  podSecurityLabels,
  REGISTRY_SECRET,
} from "./builders/security";
import { buildHfTokenSecret, buildNamespace, buildRegistrySecret, buildS3CredentialsSecret } from "./builders/storage";
import type { S3Credentials } from "./config";

/** Arguments of a `JobNamespace`. */
export interface JobNamespaceArgs {
  /** Name of the namespace. */
  readonly name: string;
  /**
   * Create the namespace (and delete it with the stack, unless retained), or run in one that exists
   * and never touch it.
   * @default true
   */
  readonly create?: boolean;
  /**
   * The stack runs pods here (it has jobs): the ServiceAccount they run as is declared. A stack with
   * no jobs declares none (nothing would use it).
   * @default true
   */
  readonly pods?: boolean;
  /** The Pod Security Standard level its pods meet, enforced by admission labels. */
  readonly podSecurity: "restricted" | "baseline";
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
   * Registry credentials (a Docker config.json), a secret Output. When set, a
   * `kubernetes.io/dockerconfigjson` Secret holds them and every pod names it.
   * @default no registry Secret
   */
  readonly imagePullSecrets?: pulumi.Output<string>;
  /**
   * Deny all traffic to and from the namespace's pods except DNS; jobs open what they need.
   * @default false
   */
  readonly networkPolicy?: boolean;
  /**
   * Keep the namespace when the stack is destroyed. Deleting a namespace deletes every PVC in it,
   * so a namespace that holds retained output PVCs must be retained too.
   * @default false
   */
  readonly retain?: boolean;
}

/** The jobs' Namespace, ServiceAccount, shared Secrets and baseline NetworkPolicies. */
export class JobNamespace extends pulumi.ComponentResource {
  /** The namespace name, known once the Namespace exists. */
  public readonly name: pulumi.Output<string>;
  /** The Hugging Face token Secret, when a token is configured. */
  public readonly hfTokenSecret?: k8s.core.v1.Secret;
  /** The S3 credentials Secret, when credentials are configured. */
  public readonly s3Secret?: k8s.core.v1.Secret;
  /** What every pod of the namespace needs before it can start: its ServiceAccount, registry credentials. */
  public readonly podPrerequisites: pulumi.Resource[];

  constructor(name: string, args: JobNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:JobNamespace", name, {}, opts);
    if (args.create ?? true) {
      const namespace = new k8s.core.v1.Namespace(
        name,
        buildNamespace(args.name, podSecurityLabels(args.podSecurity)),
        {
          parent: this,
          retainOnDelete: args.retain ?? false,
        },
      );
      this.name = namespace.metadata.name;
    } else {
      this.name = pulumi.output(args.name);
    }
    this.podPrerequisites =
      (args.pods ?? true)
        ? [new k8s.core.v1.ServiceAccount(`${name}-service-account`, buildServiceAccount(this.name), { parent: this })]
        : [];
    if (args.imagePullSecrets !== undefined) {
      this.podPrerequisites.push(
        new k8s.core.v1.Secret(
          `${name}-${REGISTRY_SECRET}`,
          buildRegistrySecret(REGISTRY_SECRET, this.name, args.imagePullSecrets),
          { parent: this },
        ),
      );
    }
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
    if (args.networkPolicy) {
      new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, buildDefaultDenyPolicy(this.name), { parent: this });
      new k8s.networking.v1.NetworkPolicy(`${name}-allow-dns`, buildDnsPolicy(this.name), { parent: this });
    }
    this.registerOutputs({ name: this.name });
  }
}
