// The benchmark's stacks: a stack of `n` generated jobs in a realistic mix (multi-node, staged
// sources, secrets, NetworkPolicies), as the engine would pass its config.
import type { StackConfig } from "../mockRun";

/** A stack of `n` jobs in a realistic mix, as the engine would pass its config. */
export function generateStack(n: number): { config: StackConfig; secretKeys: string[] } {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const base = { image: `registry.example.com/ml/trainer:1.${i % 7}`, output: { size: "100Gi" } };
    switch (i % 4) {
      case 0:
        jobs[`job-${i}`] = {
          ...base,
          nodes: 2,
          gpusPerNode: 8,
          resources: { cpu: "32", memory: "512Gi" },
          model: { source: "hf://ibm-granite/granite-3.1-8b-base@main", size: "40Gi", storageClass: "nfs" },
          dataset: { source: `s3://data/run-${i}`, endpoint: "https://minio.example.com:9000", size: "10Gi" },
          trainer: { type: "instructlab", epochs: 2, learningRate: 0.00002 },
          wait: "running",
          scheduling: { gang: true, queue: "research", schedulerName: "volcano" },
        };
        break;
      case 1:
        jobs[`job-${i}`] = {
          ...base,
          model: { existingClaim: "shared-models" },
          dataset: { existingClaim: "shared-data" },
          trainer: { type: "command", command: ["torchrun", "train.py", `--seed=${i}`] },
          env: { NCCL_DEBUG: "WARN" },
        };
        break;
      case 2:
        jobs[`job-${i}`] = {
          ...base,
          nodes: 4,
          gpuResource: "amd.com/gpu",
          gpusPerNode: 8,
          model: { source: "pvc://shared-models/granite" },
          dataset: { size: "20Gi" },
          output: { size: "1Ti", storageClass: "nfs" },
          trainer: { type: "instructlab", maxSeqLen: 8192 },
          wait: "succeeded",
          timeout: "48h",
        };
        break;
      default:
        jobs[`job-${i}`] = {
          ...base,
          dataset: { source: `s3://data/sweep-${i}`, size: "5Gi" },
          trainer: { type: "command", command: ["python", "-m", "sweep", `--trial=${i}`] },
          rerun: `trial-${i}`,
        };
    }
  }
  return {
    config: {
      "finetune:namespace": "bench",
      "finetune:networkPolicy": "true",
      "finetune:hfToken": "hf_bench",
      "finetune:s3AccessKeyId": "AKIA_BENCH",
      "finetune:s3SecretAccessKey": "bench",
      "finetune:jobs": JSON.stringify(jobs),
    },
    secretKeys: ["finetune:hfToken", "finetune:s3AccessKeyId", "finetune:s3SecretAccessKey"],
  };
}
