// The benchmark's floor: the manifests of a stack built by the pure builders alone, as plain
// objects, serialized to YAML (what declaring them cannot cost less than).
import { stringify } from "yaml";
import { backendOf } from "../../components/builders/backends";
import { planRun, programWaits } from "../../components/builders/plan";
import {
  buildDefaultDenyPolicy,
  buildDnsPolicy,
  buildServiceAccount,
  podSecurityLabels,
  podSecurityLevel,
} from "../../components/builders/security";
import { buildHfTokenSecret, buildNamespace, buildS3CredentialsSecret } from "../../components/builders/storage";
import { parseStackConfig } from "../../components/config";
import type { StackConfig } from "../mockRun";

/** The floor: the same manifests from the pure builders (each job's from its plan), serialized to YAML. */
export function baseline(config: StackConfig, secretKeys: string[]): number {
  const secrets = new Set(secretKeys.map((k) => k.replace(/^finetune:/, "")));
  const parsed = parseStackConfig(config, secrets, undefined, Number.POSITIVE_INFINITY);
  const ns = parsed.namespace;
  const jobs = Object.entries(parsed.jobs);
  const objects: unknown[] = [
    buildNamespace(ns, podSecurityLabels(podSecurityLevel(jobs.map(([, j]) => j)))),
    buildServiceAccount(ns),
    buildHfTokenSecret(ns, "[secret]"),
    buildS3CredentialsSecret(ns, "[secret]", "[secret]"),
    buildDefaultDenyPolicy(ns),
    buildDnsPolicy(ns),
  ];
  // Each job's objects from the same plan the FineTuneJob component declares.
  const backend = backendOf(parsed.trainingOperator.generation);
  for (const [name, job] of jobs) {
    const plan = planRun({
      name,
      namespace: ns,
      job,
      backend,
      staging: parsed.staging,
      credentials: { hfToken: parsed.hasHfToken, s3Credentials: parsed.hasS3Credentials },
      imagePullSecrets: parsed.hasImagePullSecrets,
      networkPolicy: parsed.networkPolicy,
      programWaits: programWaits(job, !parsed.cluster.skipAwait),
    });
    objects.push(
      ...plan.networkPolicies.map((p) => p.manifest),
      ...plan.claims.map((c) => c.manifest),
      ...plan.staging.map((j) => j.manifest),
      ...(plan.prepare ? [plan.prepare] : []),
      plan.training,
    );
  }
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n").length;
}
