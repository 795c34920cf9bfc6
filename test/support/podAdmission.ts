// What Pod Security admission would say about every pod a program run causes: the pods of its
// PyTorchJobs and Jobs as written, and a TrainJob's as its built-in runtime's pod templates with
// the TrainJob's runtimePatches applied, each against the level the jobs' namespace enforces.
import { baselineViolations, restrictedViolations } from "./podSecurity";
import { builtInRuntimes } from "./trainJob";

type Json = Record<string, any>;

/** A runtime's pod spec with a patch applied as Trainer's controller merges it: containers by name. */
export function applyRuntimePatch(pod: Json, patch: Json | undefined): Json {
  if (patch === undefined) return pod;
  const containers = (pod.containers ?? []).map((c: Json) => {
    const p = (patch.containers ?? []).find((x: Json) => x.name === c.name);
    if (p === undefined) return c;
    return {
      ...c,
      ...p,
      securityContext: { ...c.securityContext, ...p.securityContext },
      volumeMounts: [...(c.volumeMounts ?? []), ...(p.volumeMounts ?? [])],
    };
  });
  return {
    ...pod,
    ...patch,
    securityContext: { ...pod.securityContext, ...patch.securityContext },
    volumes: [...(pod.volumes ?? []), ...(patch.volumes ?? [])],
    containers,
  };
}

/** Every pod spec an object causes, with where it comes from; a TrainJob's through its runtime. */
function podsOf(object: Json, runtimes: Map<string, Json>): [string, Json][] {
  const name = `${object.kind} ${object.metadata?.name}`;
  if (object.kind === "PyTorchJob") {
    return Object.entries(object.spec?.pytorchReplicaSpecs ?? {}).map(([role, r]: [string, any]) => [
      `${name} ${role}`,
      r.template?.spec ?? {},
    ]);
  }
  if (object.kind === "Job") return [[name, object.spec?.template?.spec ?? {}]];
  if (object.kind === "TrainJob") {
    const ref = object.spec?.runtimeRef ?? {};
    const runtime = ref.kind === "ClusterTrainingRuntime" ? runtimes.get(ref.name) : undefined;
    if (runtime === undefined) return [];
    const patches: Json[] = (object.spec?.runtimePatches ?? []).flatMap(
      (p: Json) => p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? [],
    );
    return (runtime.spec.template.spec.replicatedJobs as Json[]).map((rJob) => [
      `${name} ${rJob.name}`,
      applyRuntimePatch(
        rJob.template.spec.template.spec,
        patches.find((p) => p.name === rJob.name)?.template?.spec?.template?.spec,
      ),
    ]);
  }
  return [];
}

/**
 * The violations of the level namespace `namespace` enforces, pod by pod: the level the program
 * writes on the Namespace it creates; for a namespace it does not create, restricted unless a pod
 * asks for user 0 (which only a `baseline` namespace admits, as docs/security.md says).
 */
export function podSecurityViolations(objects: readonly Json[], namespace: string): string[] {
  const runtimes = builtInRuntimes();
  const pods = objects.flatMap((o) => podsOf(o, runtimes));
  const ns = objects.find((o) => o.kind === "Namespace" && o.metadata?.name === namespace);
  const label = ns?.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
  const asRoot = pods.some(([, spec]) => spec.securityContext?.runAsUser === 0);
  const level = label ?? (asRoot ? "baseline" : "restricted");
  const check = level === "restricted" ? restrictedViolations : baselineViolations;
  return pods.flatMap(([where, spec]) => check(spec).map((v) => `${where} (${level}): ${v}`));
}
