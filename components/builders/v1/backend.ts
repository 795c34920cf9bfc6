// The training operator v1 as a backend: one PyTorchJob (kubeflow.org/v1) per job.
import type { Backend } from "../backend";
import { splitImage } from "../operatorImages";
import { masterPodName, TRAINING_CONTAINER } from "./names";
import { INIT_IMAGE_DEFAULT, withRestrictedInitContainer } from "./operatorInitContainer";
import { buildPyTorchJob } from "./pytorchJob";
import { v1JobNameProblem, v1OperatorKeyProblems, v1UnreadJobKeys, v1WorkerPodSecurity } from "./rules";
import { readRunStatus, waitAnnotations } from "./status";

/** PyTorchJob `kubeflow.org/v1`, run by the Kubeflow Training Operator v1. */
export const PYTORCHJOB_BACKEND: Backend = {
  generation: 1,
  installOverlay: "standalone",
  installsRuntimes: false,
  operatorGangs: true,
  operatorKeyProblems: v1OperatorKeyProblems,
  workerPodSecurity: v1WorkerPodSecurity,
  unreadJobKeys: v1UnreadJobKeys,
  jobDefaults: () => ({}),
  jobNameProblem: v1JobNameProblem,
  jobProblems: () => [],
  patchInstall: withRestrictedInitContainer,
  operatorPulledImages: { [splitImage(INIT_IMAGE_DEFAULT).name]: "the Worker init container" },
  waitAnnotations,
  kind: "PyTorchJob",
  resourceSuffix: "pytorchjob",
  apiVersion: "kubeflow.org/v1",
  build: buildPyTorchJob,
  readStatus: (status) => readRunStatus(status?.conditions),
  logsTarget: (name) => `pod/${masterPodName(name)} -c ${TRAINING_CONTAINER}`,
  // The operator labels every replica's pod with its job's name.
  podSelector: (name) => `training.kubeflow.org/job-name=${name}`,
  // The trainer of a PyTorchJob reports nothing to the operator.
  readProgress: () => undefined,
};
