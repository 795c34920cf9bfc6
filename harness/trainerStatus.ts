// What a Trainer v2 trainer does to report its progress with the TrainJobStatus gate on: it posts
// `{trainerStatus: ...}` to the URL the manager injected (`KUBEFLOW_TRAINER_SERVER_URL`), over TLS
// verified with the CA the manager copied into the job's namespace, with a service account token
// whose audience is the TrainJob's status endpoint. The harness runs the manager on loopback: the
// request goes to the status server's loopback port, with the Service's name for TLS.
import * as https from "node:https";
import type { Cluster } from "./cluster";

type Json = Record<string, any>;

/** The answer of the status server. */
export interface StatusAnswer {
  readonly status: number;
  readonly body: string;
}

/** Posts a trainer status as the trainer of `pod` would, to the manager's status server on `port`. */
export async function postTrainerStatus(
  cluster: Cluster,
  pod: Json,
  port: number,
  trainerStatus: Json,
): Promise<StatusAnswer> {
  const container = pod.spec.containers.find((c: Json) =>
    (c.env ?? []).some((e: Json) => e.name === "KUBEFLOW_TRAINER_SERVER_URL"),
  );
  if (container === undefined) throw new Error(`pod ${pod.metadata.name} was given no KUBEFLOW_TRAINER_SERVER_URL`);
  const url = new URL(container.env.find((e: Json) => e.name === "KUBEFLOW_TRAINER_SERVER_URL").value);
  const namespace = pod.metadata.namespace;
  const job = /\/trainjobs\/([^/]+)\/status$/.exec(url.pathname)?.[1];
  const configMap = JSON.parse(
    await cluster.kubectlAsync("get", "configmap", `${job}-tls-config`, "-n", namespace, "-o", "json"),
  );
  const audience = `trainer.kubeflow.org/v1alpha1/namespaces/${namespace}/trainjobs/${job}/status`;
  const token = (
    await cluster.kubectlAsync(
      "create",
      "token",
      pod.spec.serviceAccountName ?? "default",
      "-n",
      namespace,
      `--audience=${audience}`,
      "--bound-object-kind=Pod",
      `--bound-object-name=${pod.metadata.name}`,
      `--bound-object-uid=${pod.metadata.uid}`,
    )
  ).trim();
  const body = JSON.stringify({ trainerStatus });
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        path: url.pathname,
        method: "POST",
        servername: url.hostname,
        ca: configMap.data["ca.crt"],
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
