// An HTTP CONNECT proxy on a unix socket, run as its own process by the end-to-end cluster. The
// API server's `cluster` egress selector sends every connection it opens towards a Service (an
// operator's admission webhook) through it, and the proxy delivers each one to the webhook server
// that operator serves on loopback: ROUTES is a JSON file of `"<cluster IP>:443": <port>`, read at
// every connection, which the harness fills as it starts each operator. Its own process, because
// the test process blocks while kubectl runs, and an API call may need a webhook meanwhile.
//
//   node --import tsx connectProxy.ts SOCKET ROUTES
// (kube-apiserver v1.34.4 crashes at start with a tcp transport without tlsConfig: unix socket.)
import * as fs from "node:fs";
import * as net from "node:net";

const [socketPath, routesFile] = process.argv.slice(2);
if (!socketPath || !routesFile) {
  process.stderr.write("usage: connectProxy SOCKET ROUTES\n");
  process.exit(2);
}

/** The loopback port for a `CONNECT` target, from the routes file as it is now. */
function portFor(target: string): number | undefined {
  try {
    const routes = JSON.parse(fs.readFileSync(routesFile, "utf8")) as Record<string, number>;
    return routes[target];
  } catch {
    return undefined;
  }
}

const server = net.createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    client.off("data", onData);
    const line = head.subarray(0, head.indexOf("\r\n")).toString();
    const [method, target] = line.split(" ");
    process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const targetPort = method === "CONNECT" && target ? portFor(target) : undefined;
    if (targetPort === undefined) {
      client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      const rest = head.subarray(end + 4);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  };
  client.on("data", onData);
});

fs.rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stdout.write(`proxy on ${socketPath}, routes in ${routesFile}\n`));
