// The Pulumi program: load and validate the stack config (its secrets' shape included, before
// anything is declared), then declare the stack. Everything else lives in components/ (see
// docs/architecture.md). An async default export: the Node.js runtime awaits it, and a rejection (bad
// config, a failed run) fails `pulumi preview` and `pulumi up` with a non-zero exit.
import { loadConfig, verifyConfigSecrets } from "./components/config";
import { declareStack, readStackJobs, stackReader } from "./components/stack";
import { programVersion } from "./components/version";

export = async () => {
  const config = loadConfig();
  await verifyConfigSecrets(config);
  // Read before anything is declared: which data Jobs keep their spec is a resource option.
  const reader = stackReader(config);
  const held = await readStackJobs(config, reader);
  const stack = declareStack(config, { cluster: reader, held });
  return {
    /** The version of this program that deployed the stack last (package.json; docs/upgrading.md). */
    version: programVersion(),
    /** The jobs' namespace. */
    namespace: stack.namespace,
    /** Per job: its job's name, namespace, output claim, checkpoint path, conditions, logs command and run account. */
    jobs: stack.jobs,
  };
};
