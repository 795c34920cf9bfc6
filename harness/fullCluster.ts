// The whole loopback cluster of the lifecycle suites, in start order: etcd and kube-apiserver with
// the egress selector, the CONNECT proxy for webhooks, the controllers, the scheduler and KWOK with
// GPU nodes; and supervisors that run an operator once a stack installs it. One per test file;
// stop() ends it all.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Cluster, startCluster } from "./cluster";
import { type ControllerOptions, type Controllers, startControllers } from "./controllers";
import { type Controller, type ControllerProfile, superviseController } from "./operators";

/** A running cluster with its controllers. */
export interface FullCluster {
  readonly cluster: Cluster;
  readonly controllers: Controllers;
  /** Runs the operator of `profile` once a stack has installed its Deployment. */
  supervise(profile: ControllerProfile): Controller;
  /** Reads `kubectl get KIND ... -o json` items. */
  items(...args: string[]): Promise<Record<string, any>[]>;
  stop(): Promise<void>;
}

/** Starts it all from the toolchain in `bin`. */
export async function startFullCluster(bin: string, options: ControllerOptions = {}): Promise<FullCluster> {
  // The socket's path must be short (unix sockets allow about 100 bytes), so it is made first.
  const socket = path.join(os.tmpdir(), `finetune-egress-${process.pid}.sock`);
  const cluster = await startCluster(bin, { controllers: true, egressSocket: socket });
  const routesFile = path.join(cluster.dir, "webhook-routes.json");
  const routes: Record<string, number> = {};
  fs.writeFileSync(routesFile, "{}");
  cluster.processes.start("connect-proxy", process.execPath, [
    "--import",
    "tsx",
    path.join(__dirname, "connectProxy.ts"),
    socket,
    routesFile,
  ]);
  const controllers = await startControllers(cluster, bin, options);
  // The API server reaches a node's kubelet (for pod logs) through the same egress proxy.
  for (const address of controllers.kubelet.addresses) {
    routes[`${address}:${controllers.kubelet.port}`] = controllers.kubelet.port;
  }
  fs.writeFileSync(routesFile, JSON.stringify(routes));
  const supervised: Controller[] = [];
  return {
    cluster,
    controllers,
    supervise: (profile) => {
      const controller = superviseController(cluster, bin, profile, (address, port) => {
        routes[address] = port;
        fs.writeFileSync(routesFile, JSON.stringify(routes));
      });
      supervised.push(controller);
      return controller;
    },
    items: async (...args) => JSON.parse(await cluster.kubectlAsync("get", ...args, "-o", "json")).items ?? [],
    stop: async () => {
      for (const controller of supervised) controller.stop();
      await controllers.stop();
      await cluster.stop();
    },
  };
}
