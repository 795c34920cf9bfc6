// Where things are, for the harness, the tests and the tools: the repository, the shared folder
// beside it (../shared: the operators' rendered bundles) and the e2e toolchain.
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.join(__dirname, "..");

/** The shared folder beside the repository (CI has it too). */
export const SHARED = path.join(ROOT, "..", "shared");

/** The rendered Kubeflow bundles in it. */
export const KUBEFLOW = path.join(SHARED, "kubeflow");

/** The training operator v1.9.4's rendered bundle. */
export const OPERATOR_V1_BUNDLE = path.join(KUBEFLOW, "training-operator-v1.9.4.yaml");

/** Kubeflow Trainer v2.3.0's rendered bundle (with JobSet v0.12.0), and its built-in runtimes. */
export const TRAINER_V2_BUNDLE = path.join(KUBEFLOW, "trainer-v2.3.0.yaml");
export const TRAINER_V2_RUNTIMES = path.join(KUBEFLOW, "trainer-v2.3.0-runtimes.yaml");

/** The e2e toolchain's build scripts (build.sh, node.sh). */
export const TOOLCHAIN = path.join(ROOT, "test", "e2e", "toolchain");
