// Kubeflow Trainer v2 as a backend: one TrainJob (trainer.kubeflow.org/v1alpha1) per job.
import type { Backend } from "../backend";
import { TRAINER_NODE } from "./names";
import { readTrainJobStatus } from "./status";
import { buildTrainJob } from "./trainJob";

/** TrainJob `trainer.kubeflow.org/v1alpha1`, run by Kubeflow Trainer v2.3 and JobSet. */
export const TRAINJOB_BACKEND: Backend = {
  generation: 2,
  kind: "TrainJob",
  resourceSuffix: "trainjob",
  apiVersion: "trainer.kubeflow.org/v1alpha1",
  build: buildTrainJob,
  readStatus: (status) => readTrainJobStatus(status as Parameters<typeof readTrainJobStatus>[0]),
  // JobSet labels the trainer's pods; the first node's pod has completion index 0.
  logsTarget: (name) =>
    `-l jobset.sigs.k8s.io/jobset-name=${name},jobset.sigs.k8s.io/replicatedjob-name=${TRAINER_NODE},batch.kubernetes.io/job-completion-index=0 -c ${TRAINER_NODE}`,
};
