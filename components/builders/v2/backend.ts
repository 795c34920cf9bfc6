// Kubeflow Trainer v2 as a backend: one TrainJob (trainer.kubeflow.org/v1alpha1) per job.
import type { Backend } from "../backend";
import { patchTrainerInstall } from "./install";
import { TRAINER_NODE } from "./names";
import { trainJobProblems, v2JobDefaults, v2JobNameProblem, v2OperatorKeyProblems, v2UnreadJobKeys } from "./rules";
import { readTrainerProgress, readTrainJobStatus, waitAnnotations } from "./status";
import { buildTrainJob } from "./trainJob";

/** TrainJob `trainer.kubeflow.org/v1alpha1`, run by Kubeflow Trainer v2.3 and JobSet. */
export const TRAINJOB_BACKEND: Backend = {
  generation: 2,
  // The manager, with its JobSet dependency; the built-in runtimes are a second overlay.
  installOverlay: "manager",
  installsRuntimes: true,
  // Gang scheduling is the runtime's (podGroupPolicy), not the operator's.
  operatorGangs: false,
  operatorKeyProblems: v2OperatorKeyProblems,
  // Trainer v2 adds no init container: the trainer's pods are the program's own.
  workerPodSecurity: () => "restricted",
  unreadJobKeys: v2UnreadJobKeys,
  jobDefaults: v2JobDefaults,
  jobNameProblem: v2JobNameProblem,
  jobProblems: trainJobProblems,
  // The manager's TrainJobStatus feature gate, when asked.
  patchInstall: patchTrainerInstall,
  operatorPulledImages: {},
  waitAnnotations,
  kind: "TrainJob",
  resourceSuffix: "trainjob",
  apiVersion: "trainer.kubeflow.org/v1alpha1",
  build: buildTrainJob,
  readStatus: (status) => readTrainJobStatus(status as Parameters<typeof readTrainJobStatus>[0]),
  // JobSet labels the trainer's pods; the first node's pod has completion index 0.
  logsTarget: (name) =>
    `-l jobset.sigs.k8s.io/jobset-name=${name},jobset.sigs.k8s.io/replicatedjob-name=${TRAINER_NODE},batch.kubernetes.io/job-completion-index=0 -c ${TRAINER_NODE}`,
  // JobSet labels every pod of every replicated job (initializers, launcher, nodes) with its name.
  podSelector: (name) => `jobset.sigs.k8s.io/jobset-name=${name}`,
  readProgress: (status) => readTrainerProgress(status as Parameters<typeof readTrainerProgress>[0]),
};
