// The real operators, run out of cluster for the Deployments a stack installs: the training
// operator v1.9.4, Kubeflow Trainer v2.3.0's controller manager with JobSet v0.12.0, and Kueue
// v0.19.0 (installed by the suite, as a cluster admin would). The
// harness plays the kubelet of each controller's pod: once the program has created the
// Deployment, it starts the binary with the container's own arguments, in a private mount
// namespace where the pod's volumes are files (the webhook certificates from their Secret, config
// files from their ConfigMap, downward API files) and the service account's namespace file says
// the pod's namespace; it gives each controller free loopback ports (all of them bind 9443, 8081
// and 8443 in a pod), routes the API server's webhook calls for the controller's Service to its
// port (connectProxy.ts), and lets KWOK mark the pod Ready only when the controller is ready, so
// the provider's wait for the Deployment means what it does in a real cluster.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { type Cluster, freePort, httpStatus, until } from "./cluster";
import { OPERATOR_READY_ANNOTATION } from "./controllers";

type Json = Record<string, any>;

/** The path each controller's cert rotator and webhook server use, compiled in. */
const CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";
/** Where a pod's service account files are; JobSet and Trainer v2 read their namespace there. */
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The loopback ports a controller gets. */
export interface Ports {
  readonly webhook: number;
  readonly probe: number;
  readonly status: number;
}

/** How to run one controller Deployment out of cluster. */
export interface ControllerProfile {
  /** A short name, for logs. */
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  /** The label selector of its pods. */
  readonly selector: string;
  readonly container: string;
  /** Its binary in the toolchain's bin folder. */
  readonly binary: string;
  /** The Service the API server calls its webhooks through. */
  readonly webhookService: string;
  /** The Secret its cert rotator fills. */
  readonly certSecret: string;
  /** The container's arguments made to run on loopback: extra flags and edited config files. */
  localize(args: string[], files: Map<string, string>, ports: Ports, kubeconfig: string): string[];
}

/** Sets the port keys of a controller-runtime style config file (Trainer v2, JobSet). */
function localizeConfig(text: string, ports: Ports, trainer: boolean): string {
  const config = (parse(text) ?? {}) as Json;
  config.health = { ...config.health, healthProbeBindAddress: `127.0.0.1:${ports.probe}` };
  config.metrics = { ...config.metrics, bindAddress: "0" };
  config.webhook = { ...config.webhook, port: ports.webhook };
  config.leaderElection = { ...config.leaderElection, leaderElect: false };
  if (trainer) config.statusServer = { ...config.statusServer, port: ports.status };
  return stringify(config);
}

/** Points `--config=<file>` at the localized copy of that file. */
function configArg(args: string[], files: Map<string, string>, ports: Ports, trainer: boolean): string[] {
  return args.map((arg) => {
    const m = /^--config=(.+)$/.exec(arg);
    const text = m ? files.get(m[1]) : undefined;
    if (!m || text === undefined) return arg;
    files.set(`${m[1]}.local`, localizeConfig(text, ports, trainer));
    return `--config=${m[1]}.local`;
  });
}

/** The training operator v1.9.4, as the v1 bundle (and the program's restricted init container) deploy it. */
export const TRAINING_OPERATOR_V1: ControllerProfile = {
  name: "training-operator",
  namespace: "kubeflow",
  deployment: "training-operator",
  selector: "control-plane=kubeflow-training-operator",
  container: "training-operator",
  binary: "training-operator",
  webhookService: "training-operator",
  certSecret: "training-operator-webhook-cert",
  localize: (args, _files, ports, kubeconfig) => [
    ...args,
    `--kubeconfig=${kubeconfig}`,
    "--metrics-bind-address=0",
    `--health-probe-bind-address=127.0.0.1:${ports.probe}`,
    `--webhook-server-port=${ports.webhook}`,
  ],
};

/** JobSet v0.12.0, as Trainer v2.3.0's manager bundle deploys it. */
export const JOBSET: ControllerProfile = {
  name: "jobset",
  namespace: "kubeflow-system",
  deployment: "jobset-controller-manager",
  selector: "app.kubernetes.io/name=jobset",
  container: "manager",
  binary: "jobset",
  webhookService: "jobset-webhook-service",
  certSecret: "jobset-webhook-server-cert",
  localize: (args, files, ports, kubeconfig) => [...configArg(args, files, ports, false), `--kubeconfig=${kubeconfig}`],
};

/** Kubeflow Trainer v2.3.0's controller manager. */
export const TRAINER_V2: ControllerProfile = {
  name: "trainer",
  namespace: "kubeflow-system",
  deployment: "kubeflow-trainer-controller-manager",
  selector: "app.kubernetes.io/name=trainer",
  container: "manager",
  binary: "trainer-controller-manager",
  webhookService: "kubeflow-trainer-controller-manager",
  certSecret: "kubeflow-trainer-webhook-cert",
  localize: (args, files, ports, kubeconfig) => [...configArg(args, files, ports, true), `--kubeconfig=${kubeconfig}`],
};

/** Kueue v0.19.0's controller manager, as its release deploys it (config/default). */
export const KUEUE: ControllerProfile = {
  name: "kueue",
  namespace: "kueue-system",
  deployment: "kueue-controller-manager",
  selector: "control-plane=controller-manager,app.kubernetes.io/name=kueue",
  container: "manager",
  binary: "kueue",
  webhookService: "kueue-webhook-service",
  certSecret: "kueue-webhook-server-cert",
  // The on-demand visibility API is an aggregated API server: the loopback cluster does not route
  // APIServices, and the suite installs Kueue without them.
  localize: (args, files, ports, kubeconfig) => [
    ...configArg(args, files, ports, false),
    `--kubeconfig=${kubeconfig}`,
    "--feature-gates=VisibilityOnDemand=false",
  ],
};

/** Kueue's release manifests (rendered by the toolchain) with the integration of one job kind on, without its aggregated API. */
export function kueueInstall(bin: string, framework: string): string {
  const bundle = fs.readFileSync(path.join(bin, "..", "manifests", "kueue-v0.19.0.yaml"), "utf8");
  const objects = parseAllDocuments(bundle)
    .map((d) => d.toJS() as Json)
    .filter((o) => o && o.kind !== "APIService");
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "kueue-manager-config");
  if (configMap === undefined) throw new Error("the Kueue bundle has no kueue-manager-config ConfigMap");
  const config = parse(configMap.data["controller_manager_config.yaml"]) as Json;
  config.integrations = { frameworks: [framework] };
  configMap.data["controller_manager_config.yaml"] = stringify(config);
  return objects.map((o) => `---\n${stringify(o)}`).join("");
}

/** A controller as it runs. */
export interface Controller {
  /** Resolves when it runs and its webhook answers; rejects if it could not start. */
  readonly started: Promise<void>;
  /** The arguments it was started with. */
  readonly args: () => readonly string[];
  /** The loopback ports it was given, once started. */
  readonly ports: () => Ports | undefined;
  /** Kills the running process (SIGKILL, as a crashed or evicted pod); it stays down until `start`. */
  kill(): Promise<void>;
  /** Starts it again with the same arguments and files, and waits until it is ready. */
  start(): Promise<void>;
  stop(): void;
}

async function getJson(cluster: Cluster, ...args: string[]): Promise<Json | undefined> {
  try {
    return JSON.parse(await cluster.kubectlAsync("get", ...args, "-o", "json"));
  } catch {
    return undefined;
  }
}

/** The files a pod's volume mount shows, from the pod's metadata and the objects it names. */
async function mountedFiles(cluster: Cluster, pod: Json, mount: Json): Promise<Record<string, string>> {
  const volume = (pod.spec.volumes ?? []).find((v: Json) => v.name === mount.name) ?? {};
  const files: Record<string, string> = {};
  if (volume.downwardAPI) {
    for (const item of volume.downwardAPI.items ?? []) {
      const m = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef?.fieldPath ?? "");
      if (m) files[item.path] = pod.metadata.annotations?.[m[1]] ?? "";
    }
  }
  if (volume.configMap) {
    const cm = await getJson(cluster, "configmap", "-n", pod.metadata.namespace, volume.configMap.name);
    Object.assign(files, cm?.data ?? {});
  }
  return files;
}

/**
 * Watches for the profile's Deployment and runs the controller for it. `route` tells the CONNECT
 * proxy where the webhook Service's calls go.
 */
export function superviseController(
  cluster: Cluster,
  bin: string,
  profile: ControllerProfile,
  route: (serviceAddress: string, port: number) => void,
): Controller {
  let stopped = false;
  let args: string[] = [];
  let given: Ports | undefined;
  let relaunch: (() => Promise<void>) | undefined;
  const root = path.join(cluster.dir, "pods", profile.name);
  const started = (async () => {
    let pod: Json | undefined;
    await until(
      `the ${profile.name} pod`,
      async () => {
        if (stopped) throw new Error("stopped");
        const pods = await getJson(cluster, "pods", "-n", profile.namespace, "-l", profile.selector);
        pod = (pods?.items ?? []).find((p: Json) => p.spec.nodeName && !p.metadata.deletionTimestamp);
        return pod !== undefined;
      },
      15 * 60_000,
    );
    const p = pod as Json;
    const container = p.spec.containers.find((c: Json) => c.name === profile.container);
    // The pod's files: mounted folders and files, by their path in the container.
    const files = new Map<string, string>();
    for (const mount of container.volumeMounts ?? []) {
      if (mount.mountPath === CERT_DIR) continue;
      const shown = await mountedFiles(cluster, p, mount);
      if (mount.subPath !== undefined) files.set(mount.mountPath, shown[mount.subPath] ?? "");
      else for (const [file, text] of Object.entries(shown)) files.set(`${mount.mountPath}/${file}`, text);
    }
    const ports: Ports = { webhook: await freePort(), probe: await freePort(), status: await freePort() };
    given = ports;
    const own = profile.localize([...(container.args ?? [])], files, ports, cluster.kubeconfig);
    // Files live under the controller's root, and their paths in the arguments are rewritten to
    // them; the compiled-in folders are bind-mounted in its private mount namespace instead.
    for (const [file, text] of files) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    args = own.map((arg) =>
      [...files.keys()].reduce((a, file) => a.replace(`=${file}`, `=${path.join(root, file)}`), arg),
    );
    const certs = path.join(root, CERT_DIR);
    const account = path.join(root, SA_DIR);
    fs.mkdirSync(certs, { recursive: true });
    fs.mkdirSync(account, { recursive: true });
    fs.writeFileSync(path.join(account, "namespace"), profile.namespace);
    // The pod's service account token, as the kubelet projects it (Trainer v2's status server
    // reads its issuer there).
    const serviceAccount = p.spec.serviceAccountName ?? "default";
    let token = "";
    await until(
      `a token of the ${serviceAccount} service account`,
      async () => {
        token = await cluster
          .kubectlAsync("create", "token", serviceAccount, "-n", profile.namespace, "--duration=24h")
          .catch(() => "");
        return token.trim() !== "";
      },
      120_000,
    );
    fs.writeFileSync(path.join(account, "token"), token.trim());
    for (const dir of [CERT_DIR, SA_DIR]) fs.mkdirSync(dir, { recursive: true });

    // The pod may come before its webhook Service: the stack creates them side by side.
    let clusterIP: string | undefined;
    await until(
      `the ${profile.webhookService} Service`,
      async () => {
        const service = await getJson(cluster, "service", "-n", profile.namespace, profile.webhookService);
        clusterIP = service?.spec?.clusterIP;
        return clusterIP !== undefined;
      },
      120_000,
    );
    route(`${clusterIP}:443`, ports.webhook);

    // The cert rotator reads its Secret at start and gives up after a few seconds without it.
    await until(
      `the ${profile.certSecret} Secret`,
      async () => (await getJson(cluster, "secret", "-n", profile.namespace, profile.certSecret)) !== undefined,
      120_000,
    );
    const launch = () =>
      cluster.processes.start(profile.name, "unshare", [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount --bind "$1" "$2" && mount --bind "$3" "$4" && shift 4 && exec "$@"',
        "pod",
        certs,
        CERT_DIR,
        account,
        SA_DIR,
        path.join(bin, profile.binary),
        ...args,
      ]);
    const probed = () =>
      cluster.processes.ready(
        profile.name,
        async () => (await httpStatus(`http://127.0.0.1:${ports.probe}/readyz`)) === 200,
        180_000,
      );
    relaunch = async () => {
      launch();
      await probed();
    };
    // Like the kubelet, restart a controller that exits before it is ready (a controller started
    // before its CRDs are served exits; the kubelet's restart is what makes it work in a cluster).
    for (let attempt = 1; ; attempt++) {
      launch();
      try {
        // The kubelet's part: the Secret volume, once the rotator has written the certificates.
        await cluster.processes.ready(
          profile.name,
          async () => {
            const secret = await getJson(cluster, "secret", "-n", profile.namespace, profile.certSecret);
            const data = secret?.data ?? {};
            if (!data["tls.crt"] || !data["tls.key"] || !data["ca.crt"]) return false;
            for (const key of ["ca.crt", "tls.crt", "tls.key"]) {
              fs.writeFileSync(path.join(certs, key), Buffer.from(data[key], "base64"));
            }
            return true;
          },
          120_000,
        );
        await probed();
        break;
      } catch (e) {
        if (stopped || attempt >= 8) throw e;
        await cluster.processes.stop(profile.name);
        await new Promise((r) => setTimeout(r, 2000 * attempt));
      }
    }
    // Now the pod may become Ready, and the provider's wait for the Deployment end.
    await cluster.kubectlAsync(
      "annotate",
      "pod",
      "-n",
      profile.namespace,
      p.metadata.name,
      `${OPERATOR_READY_ANNOTATION}=true`,
      "--overwrite",
    );
  })();
  started.catch(() => undefined);
  return {
    started,
    args: () => args,
    ports: () => given,
    kill: () => cluster.processes.kill(profile.name),
    start: async () => {
      await started;
      if (!relaunch) throw new Error(`${profile.name} never started`);
      await relaunch();
    },
    stop: () => {
      stopped = true;
    },
  };
}

/**
 * Waits until an operator's validating webhook refuses `object` through the API server (so it is
 * reachable and answering); returns the API server's message.
 */
export async function webhookRefuses(cluster: Cluster, object: Json): Promise<string> {
  const file = path.join(cluster.dir, `refused-${object.kind}.json`);
  fs.writeFileSync(file, JSON.stringify(object));
  for (let i = 0; ; i++) {
    try {
      await cluster.kubectlAsync("create", "--dry-run=server", "-f", file);
    } catch (e) {
      const message = (e as Error).message;
      if (message.includes("denied the request")) return message;
      if (i > 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    throw new Error(`the webhook admitted ${object.kind} ${object.metadata?.name}`);
  }
}
