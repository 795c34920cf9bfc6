// A fake Kubernetes API server on loopback HTTPS, with its own certificate authority (made by
// openssl), answering discovery, gets and lists of the objects it is given, and a CONNECT proxy:
// enough for @kubernetes/client-node to read through, as the program reads a cluster.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

type Json = Record<string, any>;

/** A CA and a server certificate for 127.0.0.1, in a new folder. */
export function certificates(): { dir: string; ca: string; cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=finetune-test-ca", "-days", "2");
  run("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  fs.writeFileSync(path.join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1\n");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "san.cnf",
  );
  return { dir, ca: path.join(dir, "ca.crt"), cert: path.join(dir, "server.crt"), key: path.join(dir, "server.key") };
}

/** A request the server saw. */
export interface Seen {
  readonly path: string;
  readonly authorization?: string;
}

/** A running fake API server. */
export interface ApiServer {
  readonly url: string;
  /** Its CA certificate, base64 (certificate-authority-data). */
  readonly caData: string;
  readonly seen: Seen[];
  /** Who may read: a bearer token's acceptance; 401 otherwise. */
  accept: (authorization: string | undefined) => boolean;
  /** Paths answered 403. */
  forbidden: RegExp | undefined;
  close(): Promise<void>;
}

/** Kinds it serves: apiVersion -> [plural, kind, namespaced]. */
const KINDS: Record<string, [string, string, boolean][]> = {
  v1: [
    ["namespaces", "Namespace", false],
    ["configmaps", "ConfigMap", true],
  ],
  "kubeflow.org/v1": [["pytorchjobs", "PyTorchJob", true]],
  "kueue.x-k8s.io/v1beta2": [["workloads", "Workload", true]],
};

/** Serves `objects` (each with apiVersion, kind, metadata) over HTTPS with `tls`. */
export async function startApiServer(tls: ReturnType<typeof certificates>, objects: Json[]): Promise<ApiServer> {
  const seen: Seen[] = [];
  const state = { accept: (_: string | undefined) => true, forbidden: undefined as RegExp | undefined };
  const server = https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    seen.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    const send = (code: number, body: Json) =>
      res.writeHead(code, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    const status = (code: number, reason: string, message: string) =>
      send(code, { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });
    if (!state.accept(req.headers.authorization)) return status(401, "Unauthorized", "Unauthorized");
    if (state.forbidden?.test(url.pathname))
      return status(403, "Forbidden", `${url.pathname} is forbidden: User "ci" cannot get it`);
    const parts = url.pathname.split("/").filter(Boolean);
    const group = parts[0] === "api" ? 1 : 2;
    const apiVersion = parts.slice(1, group + 1).join("/");
    const kinds = KINDS[apiVersion];
    if (kinds === undefined) return status(404, "NotFound", "the server could not find the requested resource");
    let rest = parts.slice(group + 1);
    if (rest.length === 0) {
      return send(200, {
        kind: "APIResourceList",
        groupVersion: apiVersion,
        resources: kinds.map(([name, kind, namespaced]) => ({
          name,
          singularName: "",
          namespaced,
          kind,
          verbs: ["get", "list"],
        })),
      });
    }
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length > 2) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const kind = kinds.find(([plural]) => plural === rest[0])?.[1];
    const matches = objects.filter(
      (o) =>
        o.apiVersion === apiVersion &&
        o.kind === kind &&
        (namespace === undefined || o.metadata.namespace === namespace),
    );
    if (rest.length === 2) {
      const found = matches.find((o) => o.metadata.name === rest[1]);
      return found ? send(200, found) : status(404, "NotFound", `${rest[0]} "${rest[1]}" not found`);
    }
    const selector = url.searchParams.get("labelSelector");
    const [key, value] = selector?.split("=") ?? [];
    const items = matches.filter((o) => selector === null || o.metadata.labels?.[key] === value);
    return send(200, {
      kind: `${kind}List`,
      apiVersion,
      metadata: {},
      items: items.map(({ apiVersion: _, kind: __, ...o }) => o),
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caData: fs.readFileSync(tls.ca).toString("base64"),
    seen,
    get accept() {
      return state.accept;
    },
    set accept(f) {
      state.accept = f;
    },
    get forbidden() {
      return state.forbidden;
    },
    set forbidden(r) {
      state.forbidden = r;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** An HTTP CONNECT proxy on loopback that counts the tunnels it opened. */
export async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
