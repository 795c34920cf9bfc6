// The benchmark's floor: the manifests of a stack built by the pure builders alone, as plain
// objects, serialized to YAML (what declaring them cannot cost less than).
import { stringify } from "yaml";
import { buildPrepareJob, buildStagingJob } from "../../components/builders/dataJobs";
import {
  buildDefaultDenyPolicy,
  buildDnsPolicy,
  buildServiceAccount,
  buildStagingPolicy,
  buildTrainingPolicy,
  podSecurityLabels,
  podSecurityLevel,
} from "../../components/builders/security";
import {
  buildHfTokenSecret,
  buildNamespace,
  buildPersistentVolumeClaim,
  buildS3CredentialsSecret,
} from "../../components/builders/storage";
import { buildPyTorchJob } from "../../components/builders/v1/pytorchJob";
import { type InstructLabTrainer, parseStackConfig } from "../../components/config";
import type { StackConfig } from "../mockRun";

/** The floor: the same manifests from the pure builders, as plain objects, serialized to YAML. */
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
  for (const [name, job] of jobs) {
    for (const role of ["model", "dataset", "output"] as const) {
      const v = job[role];
      if (v?.kind === "new") objects.push(buildPersistentVolumeClaim(name, role, v, ns));
    }
    for (const role of ["model", "dataset"] as const) {
      const v = job[role];
      if (v?.fetch) {
        objects.push(
          buildStagingJob({
            job: name,
            role,
            volume: v,
            source: v.fetch,
            image: job.image,
            namespace: ns,
            secrets: { hfToken: true, s3Credentials: true },
            imagePullSecrets: false,
          }),
        );
      }
    }
    if (job.trainer.type === "instructlab" && job.trainer.processData && job.model && job.dataset) {
      const trainer = job.trainer as InstructLabTrainer;
      objects.push(
        buildPrepareJob({
          name,
          namespace: ns,
          job: { ...job, trainer, model: job.model, dataset: job.dataset },
          imagePullSecrets: false,
        }),
      );
    }
    objects.push(buildPyTorchJob({ name, namespace: ns, job, hfToken: true }));
    objects.push(buildTrainingPolicy(name, ns));
    const staging = buildStagingPolicy(
      name,
      ns,
      [job.model?.fetch, job.dataset?.fetch].filter((f) => f !== undefined),
    );
    if (staging) objects.push(staging);
  }
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n").length;
}
