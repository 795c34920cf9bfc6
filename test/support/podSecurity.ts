// Checks of rendered pod specs against the Pod Security Standards and the "no shell" rule, used by
// the security and fuzz tests.
// @see https://kubernetes.io/docs/concepts/security/pod-security-standards/

type Json = Record<string, any>;

const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

function containersOf(spec: Json): Json[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Violations of the baseline profile: host namespaces, privileged, hostPath, extra capabilities. */
export function baselineViolations(spec: Json): string[] {
  const errors: string[] = [];
  for (const host of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[host]) errors.push(`${host} is set`);
  for (const v of spec.volumes ?? []) if (v.hostPath) errors.push(`volume ${v.name} is a hostPath`);
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  if (podSeccomp === "Unconfined") errors.push("pod seccomp is Unconfined");
  for (const c of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) errors.push(`${c.name}: privileged`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) errors.push(`${c.name}: adds capability ${cap}`);
    }
    for (const p of c.ports ?? []) if (p.hostPort) errors.push(`${c.name}: hostPort ${p.hostPort}`);
    if (sc.seccompProfile?.type === "Unconfined") errors.push(`${c.name}: seccomp is Unconfined`);
  }
  return errors;
}

/** Violations of the restricted profile (baseline's included), container by container. */
export function restrictedViolations(spec: Json): string[] {
  const errors = baselineViolations(spec);
  const pod = spec.securityContext ?? {};
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!type || !RESTRICTED_VOLUMES.has(type)) errors.push(`volume ${v.name} has type ${type}`);
  }
  if (pod.runAsUser === 0) errors.push("pod runAsUser is 0");
  for (const c of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) errors.push(`${c.name}: allowPrivilegeEscalation is not false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) errors.push(`${c.name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) errors.push(`${c.name}: runAsUser is 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") errors.push(`${c.name}: seccompProfile is ${seccomp}`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) errors.push(`${c.name}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== "NET_BIND_SERVICE") errors.push(`${c.name}: adds capability ${cap}`);
    }
  }
  return errors;
}

/** Every pod spec inside a rendered object: a PyTorchJob's replicas, a Job's template, a Pod. */
export function podSpecsOf(object: Json): Json[] {
  if (object?.kind === "PyTorchJob") {
    return Object.values(object.spec?.pytorchReplicaSpecs ?? {}).map((r: any) => r.template?.spec ?? {});
  }
  if (object?.kind === "Job") return [object.spec?.template?.spec ?? {}];
  if (object?.kind === "Pod") return [object.spec ?? {}];
  return [];
}

const SHELLS = /(^|\/)(sh|bash|ash|dash|zsh|ksh)$/;

/** Containers that run a shell with `-c` (a string that a shell would interpret). */
export function shellInvocations(object: Json): string[] {
  const found: string[] = [];
  for (const spec of podSpecsOf(object)) {
    for (const c of containersOf(spec)) {
      const argv: unknown[] = [...(c.command ?? []), ...(c.args ?? [])];
      const shellAt = argv.findIndex((a) => typeof a === "string" && SHELLS.test(a));
      if (shellAt >= 0 && argv.slice(shellAt + 1).some((a) => typeof a === "string" && /^-\w*c/.test(a))) {
        found.push(`${object.metadata?.name}/${c.name}: ${JSON.stringify(argv.slice(shellAt, shellAt + 3))}`);
      }
    }
  }
  return found;
}
