// The backends by generation: the one place that maps `trainingOperator.version`'s generation (the
// major version of kubeflow/trainer) to how jobs are run. A third generation is one more entry.
import type { Backend, Generation, InstallOptions } from "./backend";
import { withMirroredImages } from "./operatorImages";
import { PYTORCHJOB_BACKEND } from "./v1/backend";
import { TRAINJOB_BACKEND } from "./v2/backend";

/** Every backend, by generation. */
export const BACKENDS: Readonly<Record<Generation, Backend>> = {
  1: PYTORCHJOB_BACKEND,
  2: TRAINJOB_BACKEND,
};

/** The backend of a generation. */
export function backendOf(generation: Generation): Backend {
  return BACKENDS[generation];
}

/**
 * An object of an operator install as the program installs it: each backend patches its own
 * operator's objects and leaves any other as it is; then every image is pulled from its mirror.
 */
export function patchInstall<T extends object>(obj: T, kind: string | undefined, options: InstallOptions): T {
  const patched = Object.values(BACKENDS).reduce((o, backend) => backend.patchInstall(o, kind, options), obj);
  return withMirroredImages(patched, options.images);
}
