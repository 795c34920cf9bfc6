// The whole loopback cluster of the lifecycle suite, in start order: the CONNECT proxy for
// webhooks, etcd and kube-apiserver with the egress selector, the controllers, the scheduler and
// KWOK with GPU nodes, and the supervisor that runs the training operator once a stack installs
// it. One per test file; stop() ends it all.
import * as os from "node:os";
import * as path from "node:path";
import { type Cluster, freePort, startCluster } from "./cluster";
import { type ControllerOptions, type Controllers, startControllers } from "./controllers";
import { type Operator, superviseOperator } from "./operator";

/** A running cluster with its controllers and the operator supervisor. */
export interface FullCluster {
  readonly cluster: Cluster;
  readonly controllers: Controllers;
  readonly operator: Operator;
  /** Reads `kubectl get KIND ... -o json` items. */
  items(...args: string[]): Promise<Record<string, any>[]>;
  stop(): Promise<void>;
}

/** Starts it all from the toolchain in `bin`. */
export async function startFullCluster(bin: string, options: ControllerOptions = {}): Promise<FullCluster> {
  const webhookPort = await freePort();
  // The socket's path must be short (unix sockets allow about 100 bytes), so it is made first.
  const socket = path.join(os.tmpdir(), `finetune-egress-${process.pid}.sock`);
  const cluster = await startCluster(bin, { controllers: true, egressSocket: socket });
  cluster.processes.start("connect-proxy", process.execPath, [
    "--import",
    "tsx",
    path.join(__dirname, "connectProxy.ts"),
    socket,
    String(webhookPort),
  ]);
  const controllers = await startControllers(cluster, bin, options);
  const operator = superviseOperator(cluster, bin, webhookPort);
  return {
    cluster,
    controllers,
    operator,
    items: async (...args) => JSON.parse(await cluster.kubectlAsync("get", ...args, "-o", "json")).items ?? [],
    stop: async () => {
      operator.stop();
      await controllers.stop();
      await cluster.stop();
    },
  };
}
