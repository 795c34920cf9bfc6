// The real Kubeflow training operator v1.9.4, run out of cluster for the Deployment a stack
// installs. The harness plays the kubelet of the operator's pod: once the program has created the
// Deployment, it starts the operator binary with the container's own arguments, turns the pod's
// volumes into files (the webhook certificates from their Secret, the init container template
// from the pod's downward API annotation), and lets KWOK mark the pod Ready only when the
// operator's webhook answers, so the provider's wait for the Deployment means what it does in a
// real cluster. The API server reaches the webhook through the CONNECT proxy (connectProxy.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { type Cluster, freePort, httpStatus, sleep, until } from "./cluster";
import { OPERATOR_READY_ANNOTATION } from "./controllers";

type Json = Record<string, any>;

/** Where the operator's webhook server reads its certificates: a path compiled into it. */
const CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";

/** The operator as it runs. */
export interface Operator {
  /** Resolves when the operator runs and its webhook answers; rejects if it could not start. */
  readonly started: Promise<void>;
  /** The arguments it was started with (the Deployment container's, plus the harness's own). */
  readonly args: () => readonly string[];
  /** Stops supervising (the process stops with the cluster). */
  stop(): void;
}

async function getJson(cluster: Cluster, ...args: string[]): Promise<Json | undefined> {
  try {
    return JSON.parse(await cluster.kubectlAsync("get", ...args, "-o", "json"));
  } catch {
    return undefined;
  }
}

/** The files of a downward API volume, from the pod's metadata. */
function downwardApiFiles(volume: Json, pod: Json): Record<string, string> {
  const files: Record<string, string> = {};
  for (const item of volume.downwardAPI?.items ?? []) {
    const m = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef?.fieldPath ?? "");
    if (m) files[item.path] = pod.metadata.annotations?.[m[1]] ?? "";
  }
  return files;
}

/**
 * Watches for the operator Deployment `kubeflow/training-operator` and runs the operator for it,
 * with its webhook on `webhookPort` (where the CONNECT proxy sends the API server).
 */
export function superviseOperator(cluster: Cluster, bin: string, webhookPort: number): Operator {
  let stopped = false;
  let args: string[] = [];
  const started = (async () => {
    // The operator's pod, created by the Deployment's ReplicaSet and scheduled on a node.
    let pod: Json | undefined;
    await until(
      "the training operator's pod",
      async () => {
        if (stopped) throw new Error("stopped");
        const pods = await getJson(cluster, "pods", "-n", "kubeflow", "-l", "control-plane=kubeflow-training-operator");
        pod = (pods?.items ?? []).find((p: Json) => p.spec.nodeName && !p.metadata.deletionTimestamp);
        return pod !== undefined;
      },
      15 * 60_000,
    );
    const podSpec = (pod as Json).spec;
    const container = podSpec.containers.find((c: Json) => c.name === "training-operator");

    // Files the container would see: the pod's downward API volumes under a folder of the harness.
    const root = path.join(cluster.dir, "operator-root");
    const mapped: [string, string][] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = (podSpec.volumes ?? []).find((v: Json) => v.name === mount.name);
      if (!volume?.downwardAPI) continue;
      const local = path.join(root, mount.mountPath);
      fs.mkdirSync(local, { recursive: true });
      for (const [file, text] of Object.entries(downwardApiFiles(volume, pod as Json))) {
        fs.writeFileSync(path.join(local, file), text);
      }
      mapped.push([mount.mountPath, local]);
    }
    const own = (container.args ?? []).map((a: string) =>
      mapped.reduce((arg, [from, to]) => arg.replace(`=${from}/`, `=${to}/`), a),
    );

    // The cert rotator reads its Secret at start and gives up after a few seconds without it.
    await until(
      "the webhook cert Secret",
      async () => (await getJson(cluster, "secret", "-n", "kubeflow", "training-operator-webhook-cert")) !== undefined,
      120_000,
    );
    fs.rmSync(CERT_DIR, { recursive: true, force: true });
    fs.mkdirSync(CERT_DIR, { recursive: true });
    const probePort = await freePort();
    args = [
      ...own,
      `--kubeconfig=${cluster.kubeconfig}`,
      "--metrics-bind-address=0",
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      `--webhook-server-port=${webhookPort}`,
    ];
    cluster.processes.start("training-operator", path.join(bin, "training-operator"), args);

    // The kubelet's part: the Secret volume, once the operator has written its certificates.
    await cluster.processes.ready(
      "training-operator",
      async () => {
        const secret = await getJson(cluster, "secret", "-n", "kubeflow", "training-operator-webhook-cert");
        const data = secret?.data ?? {};
        if (!data["tls.crt"] || !data["tls.key"] || !data["ca.crt"]) return false;
        for (const key of ["ca.crt", "tls.crt", "tls.key"]) {
          fs.writeFileSync(path.join(CERT_DIR, key), Buffer.from(data[key], "base64"));
        }
        return true;
      },
      120_000,
    );
    await cluster.processes.ready(
      "training-operator",
      async () => (await httpStatus(`http://127.0.0.1:${probePort}/readyz`)) === 200,
      120_000,
    );
    // Now the pod may become Ready, and the provider's wait for the Deployment end.
    await cluster.kubectlAsync(
      "annotate",
      "pod",
      "-n",
      "kubeflow",
      (pod as Json).metadata.name,
      `${OPERATOR_READY_ANNOTATION}=true`,
      "--overwrite",
    );
  })();
  started.catch(() => undefined);
  return {
    started,
    args: () => args,
    stop: () => {
      stopped = true;
    },
  };
}

/** Waits until the webhook rejects an invalid PyTorchJob through the API server (it is reachable). */
export async function webhookAnswers(cluster: Cluster): Promise<string> {
  const file = path.join(cluster.dir, "invalid-pytorchjob.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "kubeflow.org/v1",
      kind: "PyTorchJob",
      metadata: { name: "webhook-probe", namespace: "default" },
      spec: {
        pytorchReplicaSpecs: {
          Master: { replicas: 2, template: { spec: { containers: [{ name: "pytorch", image: "x" }] } } },
        },
      },
    }),
  );
  for (let i = 0; ; i++) {
    try {
      await cluster.kubectlAsync("create", "--dry-run=server", "-f", file);
    } catch (e) {
      const message = (e as Error).message;
      if (message.includes("denied the request")) return message;
      if (i > 60) throw e;
      await sleep(1000);
      continue;
    }
    throw new Error("the webhook admitted a PyTorchJob with 2 Masters");
  }
}
