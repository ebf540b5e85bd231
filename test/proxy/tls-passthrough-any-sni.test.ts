/**
 * A PASSTHROUGH route whose `sniHosts` hold `*` serves every connection, with any SNI or none, as
 * Istio's multicluster sample (samples/multicluster/expose-istiod.yaml) relies on: Istio gives
 * such a route a filter chain without server names. Real sockets; the TLS backend's own
 * certificate coming back through the gateway proves the bytes were passed through.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink } from "./support/access-log-sinks";
import type { Backend } from "./support/backends";
import { startTlsEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { documents, staticServiceEntry } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Connects through the gateway (SNI `servername`, or none), sends a line; the subject's CN and the answer. */
async function through(port: number, ca: string, servername?: string): Promise<[string, string]> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    ca,
    // The backend's certificate names backend.test: the check below reads its subject instead.
    checkServerIdentity: () => undefined,
    ...(servername === undefined ? {} : { servername }),
  });
  await once(socket, "secureConnect");
  const cn = String(socket.getPeerCertificate().subject?.CN);
  socket.end("hello\n");
  let answer = "";
  for await (const chunk of socket) answer += String(chunk);
  return [cn, answer];
}

describe("TLS passthrough to sniHosts [*]", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let backend: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    const cert = pki.issue("backend.test", ["DNS:backend.test"]);
    backend = await startTlsEcho("backend: ", cert.cert, cert.key);
    dir.write(
      "gateway.yaml",
      documents(
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 15012, name: tls-istiod, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
`,
        `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  tls:
  - match: [{port: 15012, sniHosts: ["*"]}]
    route: [{destination: {host: backend.internal, port: {number: 80}}}]
`,
        staticServiceEntry("backend", [{ port: backend.port }], "TLS"),
      ),
    );
    proxy = await startFileProxy([dir.dir], [15012], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(15012)!;
  });

  after(async () => {
    await proxy.close();
    await backend.close();
    dir.dispose();
    pki.dispose();
  });

  it("passes through a connection with any SNI, and one without", async () => {
    assert.deepEqual(await through(port, pki.ca.cert, "istiod.example.com"), [
      "backend.test",
      "backend: hello\n",
    ]);
    assert.deepEqual(await through(port, pki.ca.cert), ["backend.test", "backend: hello\n"]);
    // Both connections were logged as passed through to the backend's cluster, in either order.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      access
        .map((e) => [e["response_flags"], e["upstream_cluster"], e["requested_server_name"] ?? "-"])
        .sort(),
      [
        ["-", "outbound|80||backend.internal", "-"],
        ["-", "outbound|80||backend.internal", "istiod.example.com"],
      ],
    );
  });
});
