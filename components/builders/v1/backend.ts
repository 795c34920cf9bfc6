// The training operator v1 as a backend: one PyTorchJob (kubeflow.org/v1) per job.
import { masterPodName, TRAINING_CONTAINER } from "../../names";
import type { Backend } from "../backend";
import { buildPyTorchJob } from "./pytorchJob";
import { readRunStatus } from "./status";

/** PyTorchJob `kubeflow.org/v1`, run by the Kubeflow Training Operator v1. */
export const PYTORCHJOB_BACKEND: Backend = {
  generation: 1,
  kind: "PyTorchJob",
  resourceSuffix: "pytorchjob",
  apiVersion: "kubeflow.org/v1",
  build: buildPyTorchJob,
  readStatus: (status) => readRunStatus(status?.conditions),
  logsTarget: (name) => `pod/${masterPodName(name)} -c ${TRAINING_CONTAINER}`,
};
