// The Pulumi program: load and validate the stack config, then declare the stack.
// Everything else lives in components/ (see README.md).
import { loadConfig } from "./components/config";
import { declareStack } from "./components/stack";

const stack = declareStack(loadConfig());

/** The jobs' namespace. */
export const namespace = stack.namespace;
/** Per job: its PyTorchJob name, namespace and output claim. */
export const jobs = stack.jobs;
