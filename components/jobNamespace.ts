// The namespace the jobs run in, and the credentials they share (the Hugging Face token Secret).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildHfTokenSecret, buildNamespace } from "./builders/storage";

/** Arguments of a `JobNamespace`. */
export interface JobNamespaceArgs {
  /** Name of the namespace to create. */
  readonly name: string;
  /**
   * The Hugging Face token, a secret Output. When set, a Secret `hf-token` holds it.
   * @default no token Secret
   */
  readonly hfToken?: pulumi.Output<string>;
}

/** The jobs' Namespace and shared Secrets. */
export class JobNamespace extends pulumi.ComponentResource {
  /** The namespace name, known once the Namespace exists. */
  public readonly name: pulumi.Output<string>;
  /** The token Secret, when a token is configured; jobs depend on it. */
  public readonly hfTokenSecret?: k8s.core.v1.Secret;

  constructor(name: string, args: JobNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("finetune:index:JobNamespace", name, {}, opts);
    const namespace = new k8s.core.v1.Namespace(name, buildNamespace(args.name), { parent: this });
    this.name = namespace.metadata.name;
    if (args.hfToken !== undefined) {
      this.hfTokenSecret = new k8s.core.v1.Secret(`${name}-hf-token`, buildHfTokenSecret(this.name, args.hfToken), {
        parent: this,
      });
    }
    this.registerOutputs({ name: this.name });
  }
}
