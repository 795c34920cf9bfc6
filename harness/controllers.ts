// What makes the loopback control plane a cluster: kube-controller-manager (Jobs, ReplicaSets,
// garbage collection, namespaces, PV binding), kube-scheduler, and KWOK playing the kubelet of
// simulated GPU nodes, with stages that run containers to completion, or to failure for the pods
// a test names. A tiny provisioner binds each new PVC to a PersistentVolume of its own (no
// storage driver runs here). Nothing runs for real: pods pass through admission, scheduling and
// their phases, and that is what the suite can observe.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { type Cluster, freePort, httpStatus, sleep } from "./cluster";

type Json = Record<string, any>;

/** The annotation that lets an operator's pod become Ready (set once its webhook answers). */
export const OPERATOR_READY_ANNOTATION = "e2e.finetune/operator-ready";

/**
 * A pod's identity for failure injection: the Job name of a batch Job's pod, else
 * `<PyTorchJob>/<replica type>` (`granite/master`).
 */
const IDENTITY =
  '.metadata.labels["batch.kubernetes.io/job-name"] // ((.metadata.labels["training.kubeflow.org/job-name"] // "") + "/" + (.metadata.labels["training.kubeflow.org/replica-type"] // ""))';

/**
 * A container that crashes, as the kubelet shows it in a pod whose restartPolicy is OnFailure or
 * Always (the training replicas): restarted in place, so the pod stays Running and each restart
 * adds one to restartCount, which the training operator counts against the job's backoffLimit.
 */
function crashTemplate(exitCode: number, reason: string, message: string): string {
  return `{{ $now := Now }}
{{ $root := . }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  type: ContainersReady
containerStatuses:
{{ range $index, $item := .spec.containers }}
{{ $origin := index $root.status.containerStatuses $index }}
- image: {{ $item.image | Quote }}
  name: {{ $item.name | Quote }}
  ready: false
  started: false
  restartCount: {{ add1 $origin.restartCount }}
  lastState:
    terminated:
      exitCode: ${exitCode}
      reason: ${reason}
      message: "${message}"
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: "back-off restarting failed container"
{{ end }}
phase: Running
`;
}

const CRASH_TEMPLATE = crashTemplate(1, "Error", "the training program exited with 1");

/**
 * Images whose pods KWOK plays as a kubelet would see them fail, whatever test runs them: a pull
 * that never succeeds (`unpullable.e2e/...`: ErrImagePull, the pod Pending), a container killed
 * for memory (`oom.e2e/...`: exit code 137, OOMKilled, restarted in place).
 */
export const E2E_IMAGES = { unpullable: "unpullable.e2e/", oomKilled: "oom.e2e/" } as const;

/** A selector expression: the pod's first container's image starts with `prefix`. */
function imageIs(prefix: string, operator: "In" | "NotIn"): Json {
  return { key: `.spec.containers.[0].image | startswith("${prefix}")`, operator, values: ["true"] };
}

/** A pull error, as the kubelet shows it after trying the image. */
const PULL_ERROR_TEMPLATE = `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    waiting:
      reason: ErrImagePull
      message: {{ printf "failed to pull and unpack image %q: not found" .image | Quote }}
{{ end }}
phase: Pending
`;

/**
 * The stages the e2e cluster starts from, made from KWOK's own (`upstream`: the toolchain's
 * kwok-stages file, its module's kustomize/stage): as they are, but for `pod-complete`, which
 * becomes `e2e-pod-complete`: for the pods of PyTorchJobs too, not only Jobs', and 5 seconds after
 * the pod runs, so that a test sees it Running first.
 */
export function e2eStages(upstream: string): Json[] {
  const stages = parseAllDocuments(upstream).map((d) => d.toJS() as Json);
  for (const stage of stages.filter((s) => s.metadata.name === "pod-complete")) {
    stage.metadata.name = "e2e-pod-complete";
    const owners = (stage.spec.selector.matchExpressions as Json[]).find(
      (e) => e.key === ".metadata.ownerReferences.[].kind",
    );
    if (owners === undefined) throw new Error("KWOK's pod-complete stage no longer selects pods by their owner's kind");
    owners.values.push("PyTorchJob");
    stage.spec.delay = { durationMilliseconds: 5000 };
  }
  return stages;
}

/** KWOK's stages as the toolchain writes them (build.sh), beside its bin folder. */
export function upstreamStagesFile(bin: string): string {
  return path.join(bin, "..", "manifests", "kwok-stages-v0.8.0.yaml");
}

/**
 * The stages KWOK runs: upstream's node and pod lifecycles, with (1) the controllers' pods (in the
 * kubeflow, kubeflow-system and kueue-system namespaces) kept un-Ready until the harness annotates
 * them (else jobs could reach a webhook before it serves), (2) completion for pods of Jobs and
 * PyTorchJobs, except those whose identity is in `holding` (they run until released), and (3) for
 * the pods whose identity is in `failing`, a container that fails instead: restarted in place when
 * the pod restarts containers (crash loop), the pod Failed when it does not (restartPolicy Never).
 */
export function buildStages(
  upstream: string,
  failing: readonly string[],
  holding: readonly string[] = [],
  logsFile?: string,
): string {
  const stages = e2eStages(upstream);
  const out: Json[] = [];
  const doomed = { key: IDENTITY, operator: "In", values: [...failing] };
  const restartPolicy = (operator: "In" | "NotIn") => ({
    key: ".spec.restartPolicy",
    operator,
    values: ["OnFailure", "Always"],
  });
  for (const stage of stages) {
    const expressions: Json[] = stage.spec.selector.matchExpressions;
    switch (stage.metadata.name) {
      case "pod-ready":
        expressions.push(imageIs(E2E_IMAGES.unpullable, "NotIn"));
        expressions.push({
          key: `(.metadata.namespace == "kubeflow" or .metadata.namespace == "kubeflow-system" or .metadata.namespace == "kueue-system") and .metadata.annotations["${OPERATOR_READY_ANNOTATION}"] != "true"`,
          operator: "NotIn",
          values: ["true"],
        });
        break;
      case "e2e-pod-complete":
        expressions.push(imageIs(E2E_IMAGES.oomKilled, "NotIn"));
        if (failing.length + holding.length > 0) {
          expressions.push({
            key: IDENTITY,
            operator: "NotIn",
            values: [...failing, ...holding],
          });
        }
        break;
      case "pod-container-running-failed": {
        if (failing.length === 0) continue;
        const running = expressions.filter((e) => !String(e.key).includes("pod-container-running-failed.stage"));
        stage.spec.selector.matchExpressions = [doomed, restartPolicy("NotIn"), ...running];
        out.push({
          apiVersion: stage.apiVersion,
          kind: "Stage",
          metadata: { name: "e2e-container-crash" },
          spec: {
            resourceRef: stage.spec.resourceRef,
            selector: { matchExpressions: [doomed, restartPolicy("In"), ...running] },
            delay: { durationMilliseconds: 2000, jitterDurationMilliseconds: 500 },
            next: { statusTemplate: CRASH_TEMPLATE },
          },
        });
        break;
      }
    }
    out.push(stage);
  }
  out.push(
    {
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "Stage",
      metadata: { name: "e2e-image-pull-error" },
      spec: {
        resourceRef: { apiGroup: "v1", kind: "Pod" },
        selector: {
          matchExpressions: [
            { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
            { key: ".status.phase", operator: "In", values: ["Pending"] },
            imageIs(E2E_IMAGES.unpullable, "In"),
            { key: ".status.containerStatuses.[0].state.waiting.reason", operator: "NotIn", values: ["ErrImagePull"] },
          ],
        },
        delay: { durationMilliseconds: 1000 },
        next: { statusTemplate: PULL_ERROR_TEMPLATE },
      },
    },
    {
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "Stage",
      metadata: { name: "e2e-container-oom" },
      spec: {
        resourceRef: { apiGroup: "v1", kind: "Pod" },
        selector: {
          matchExpressions: [
            { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
            { key: ".status.phase", operator: "In", values: ["Running"] },
            imageIs(E2E_IMAGES.oomKilled, "In"),
            restartPolicy("In"),
          ],
        },
        // As a kubelet: the container runs for a while, and a crashed one is restarted after its
        // back-off (10 s at first): its failure is there to be seen between restarts. (KWOK's jitter
        // is the delay's upper bound: below the duration, it is the delay.)
        delay: { durationMilliseconds: 10000, jitterDurationMilliseconds: 11000 },
        next: { statusTemplate: crashTemplate(137, "OOMKilled", "") },
      },
    },
  );
  // The kubelet keeps a pod's Ready condition current; KWOK's pod-ready stage only readies a pending
  // pod. When every node was out of touch for a moment (the control plane restarted), the node
  // lifecycle controller marks their pods not Ready: as a kubelet would, ready again each running
  // pod whose containers are ready.
  out.push({
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name: "e2e-pod-ready-again" },
    spec: {
      resourceRef: { apiGroup: "v1", kind: "Pod" },
      selector: {
        matchExpressions: [
          { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
          { key: ".status.phase", operator: "In", values: ["Running"] },
          {
            key: '.status.conditions.[] | select( .type == "ContainersReady" ) | .status',
            operator: "In",
            values: ["True"],
          },
          { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "NotIn", values: ["True"] },
        ],
      },
      next: {
        statusTemplate: 'conditions:\n- lastTransitionTime: {{ Now | Quote }}\n  status: "True"\n  type: Ready\n',
      },
    },
  });
  // The log KWOK's kubelet server serves for every container, now and before its last restart.
  if (logsFile !== undefined) {
    out.push({
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "ClusterLogs",
      metadata: { name: "e2e-container-logs" },
      spec: { logs: [{ logsFile, previousLogsFile: logsFile }] },
    });
  }
  return out.map((s) => `---\n${stringify(s, { lineWidth: 0 })}`).join("");
}

/** The simulated nodes' InternalIP. */
const NODE_IP = "10.240.0.1";

/** What every simulated container printed, as the e2e suite reads it back through the API server. */
export const CONTAINER_LOG = [
  "[rank0] loading checkpoint shards: 100%",
  "[rank0] step 40/500 loss=1.92",
  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
] as const;

/** Lines in the CRI log format a kubelet reads (`<time> <stream> F <line>`). */
function containerLog(lines: readonly string[]): string {
  return lines
    .map((l, i) => `2026-12-04T09:00:0${i}.000000000Z ${i === lines.length - 1 ? "stderr" : "stdout"} F ${l}\n`)
    .join("");
}

/** A simulated GPU node. */
function gpuNode(name: string, gpus: number): Json {
  const capacity = { cpu: "64", memory: "512Gi", pods: "110", "nvidia.com/gpu": String(gpus) };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake" },
      labels: { type: "kwok", "kubernetes.io/hostname": name, "nvidia.com/gpu.present": "true" },
    },
    status: { allocatable: capacity, capacity },
  };
}

/** Running controllers. */
export interface Controllers {
  /** The simulated nodes' names. */
  readonly nodes: readonly string[];
  /**
   * Where the API server reaches the nodes' kubelet (KWOK's server, which serves their pods' logs):
   * each node's addresses, and the port of them all.
   */
  readonly kubelet: { readonly addresses: readonly string[]; readonly port: number };
  /** Makes the pods with these identities fail from now on (restarts KWOK); none to heal. */
  setFailing(identities: readonly string[]): Promise<void>;
  /** Keeps the pods with these identities running, never completed (restarts KWOK); none to release. */
  setHolding(identities: readonly string[]): Promise<void>;
  /** Stops the provisioner (the processes stop with the cluster). */
  stop(): Promise<void>;
}

/** Options of the controllers. */
export interface ControllerOptions {
  /** How many GPU nodes. @default 3 */
  readonly nodes?: number;
  /** GPUs per node. @default 8 */
  readonly gpus?: number;
}

/** Starts kube-controller-manager, kube-scheduler, KWOK and GPU nodes, and the PV provisioner. */
export async function startControllers(
  cluster: Cluster,
  bin: string,
  options: ControllerOptions = {},
): Promise<Controllers> {
  const { processes, kubeconfig, dir } = cluster;
  processes.start("kube-controller-manager", path.join(bin, "kube-controller-manager"), [
    `--kubeconfig=${kubeconfig}`,
    // The Job controller keys its expectations by namespace/name: when a Job is replaced by one of
    // the same name within a second (JobSet recreating `<job>-node-0` for a rerun TrainJob), the
    // new Job's sync can wait on the old one's expectations, which expire after 5 minutes but are
    // only looked at again on an event or a resync (12 to 24 hours by default). Seen once here, in
    // a rerun that then never started; a resync every minute or two bounds that wait.
    "--min-resync-period=1m",
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
    `--service-account-private-key-file=${path.join(dir, "sa.key")}`,
    "--use-service-account-credentials=false",
  ]);
  processes.start("kube-scheduler", path.join(bin, "kube-scheduler"), [
    `--kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
  ]);

  const upstream = fs.readFileSync(upstreamStagesFile(bin), "utf8");
  const stagesFile = path.join(dir, "kwok-stages.yaml");
  const logsFile = path.join(dir, "container.log");
  fs.writeFileSync(logsFile, containerLog(CONTAINER_LOG));
  const kwokPort = await freePort();
  let failing: readonly string[] = [];
  let holding: readonly string[] = [];
  const startKwok = () => {
    fs.writeFileSync(stagesFile, buildStages(upstream, failing, holding, logsFile));
    processes.start("kwok", path.join(bin, "kwok"), [
      `--kubeconfig=${kubeconfig}`,
      `--config=${stagesFile}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--node-ip=${NODE_IP}`,
      `--node-port=${kwokPort}`,
      "--cidr=10.244.0.0/16",
      `--server-address=127.0.0.1:${kwokPort}`,
      "--node-lease-duration-seconds=40",
    ]);
  };
  startKwok();

  const names = Array.from({ length: options.nodes ?? 3 }, (_, i) => `kwok-gpu-${i}`);
  const nodesFile = path.join(dir, "nodes.json");
  fs.writeFileSync(
    nodesFile,
    JSON.stringify({ apiVersion: "v1", kind: "List", items: names.map((n) => gpuNode(n, options.gpus ?? 8)) }),
  );
  await cluster.kubectlAsync("apply", "-f", nodesFile);
  await processes.ready(
    "kwok",
    async () => {
      const nodes = JSON.parse(await cluster.kubectlAsync("get", "nodes", "-o", "json")).items as Json[];
      return (
        nodes.filter((n) => n.status?.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True"))
          .length === names.length
      );
    },
    60_000,
  );
  // kube-controller-manager creates every namespace's default ServiceAccount, which the
  // ServiceAccount admission plugin waits for.
  await processes.ready(
    "kube-controller-manager",
    async () => {
      try {
        await cluster.kubectlAsync("get", "serviceaccount", "default", "-n", "default");
        return true;
      } catch {
        return false;
      }
    },
    60_000,
  );

  const restartKwok = async () => {
    await processes.stop("kwok");
    startKwok();
    await processes.ready(
      "kwok",
      async () => (await httpStatus(`http://127.0.0.1:${kwokPort}/healthz`)) === 200,
      30_000,
    );
  };

  let running = true;
  const provisioner = (async () => {
    while (running) {
      try {
        await provision(cluster);
      } catch {
        // The API server may be briefly unavailable; the next pass retries.
      }
      await sleep(1000);
    }
  })();

  return {
    nodes: names,
    kubelet: { addresses: [...names, NODE_IP], port: kwokPort },
    setFailing: async (identities) => {
      failing = identities;
      await restartKwok();
    },
    setHolding: async (identities) => {
      holding = identities;
      await restartKwok();
    },
    stop: async () => {
      running = false;
      await provisioner;
    },
  };
}

/** Creates a PersistentVolume pre-bound to every pending claim that has none. */
async function provision(cluster: Cluster): Promise<void> {
  const claims = JSON.parse(await cluster.kubectlAsync("get", "pvc", "-A", "-o", "json")).items as Json[];
  const volumes: Json[] = [];
  for (const pvc of claims) {
    if (pvc.status?.phase !== "Pending" || pvc.spec.volumeName || pvc.metadata.deletionTimestamp) continue;
    const { namespace, name, uid } = pvc.metadata;
    volumes.push({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `pv-${uid}`, labels: { "e2e.finetune/claim": `${namespace}.${name}` } },
      spec: {
        capacity: { storage: pvc.spec.resources.requests.storage },
        accessModes: pvc.spec.accessModes,
        storageClassName: pvc.spec.storageClassName ?? "",
        persistentVolumeReclaimPolicy: "Retain",
        claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name, uid },
        hostPath: { path: `/var/lib/finetune-e2e/${namespace}/${name}` },
      },
    });
  }
  if (volumes.length === 0) return;
  const file = path.join(cluster.dir, "pvs.json");
  fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: volumes }));
  await cluster.kubectlAsync("create", "-f", file);
}
