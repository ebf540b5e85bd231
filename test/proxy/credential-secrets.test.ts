/**
 * Credential Secrets over a proxy's life, as Istio's gateway lives them: a server whose Secret is
 * not there yet still starts the proxy, its handshakes failing until the Secret comes; a Secret
 * deleted after its certificate was served leaves that certificate served (Envoy keeps the last
 * secret SDS sent), while every other change goes on applying. Real sockets, curl as the client.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { loadProxyConfig } from "../../provider/src/proxy/config/config-loader";
import { ServedSecrets } from "../../provider/src/proxy/config/served-secrets";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.test]
    tls: {mode: SIMPLE, credentialName: secure-credential}
`;

/** A VirtualService answering `path` with `body` on the HTTPS server. */
function answering(path: string, body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: [secure.test]
  gateways: [gw]
  http:
  - match: [{uri: {exact: ${path}}}]
    directResponse: {status: 200, body: {string: ${body}}}
`;
}

describe("credential Secrets that come late or go", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  const logs: string[] = [];
  let proxy: GatewayProxy;
  let port: number;

  /** GETs `path` over HTTPS with SNI secure.test, trusting the test CA. */
  const get = (path: string) =>
    curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `secure.test:${port}:127.0.0.1`,
      `https://secure.test:${port}${path}`,
    ]);

  before(async () => {
    dir.write("gateway.yaml", documents(GATEWAY, answering("/one", "one")));
    const served = new ServedSecrets();
    const identity = { namespace: "istio-system", labels: { istio: "ingressgateway" } };
    proxy = await startFileProxy([dir.dir], [443], [], logs, undefined, {
      load: () => loadProxyConfig([dir.dir], identity, served),
      // Reloads are asked for by the test, one at a time.
      watchPaths: [],
    });
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    dir.dispose();
    pki.dispose();
  });

  it("starts without the Secret, failing handshakes, and serves once it comes", async () => {
    // No certificate to answer with: the connection closes during the handshake.
    await assert.rejects(get("/one"), /SSL_ERROR_SYSCALL/);

    const cert = pki.issue("secure.test", ["DNS:secure.test"]);
    dir.write(
      "secret.yaml",
      [
        "apiVersion: v1",
        "kind: Secret",
        "metadata: {name: secure-credential, namespace: istio-system}",
        "type: kubernetes.io/tls",
        "data:",
        `  tls.crt: ${Buffer.from(cert.cert).toString("base64")}`,
        `  tls.key: ${Buffer.from(cert.key).toString("base64")}`,
        "",
      ].join("\n"),
    );
    assert.equal(await proxy.reload(), true);
    const late = await get("/one");
    assert.deepEqual([late.status, late.body], [200, "one"]);
  });

  it("keeps serving a deleted Secret's certificate while other changes apply", async () => {
    rmSync(`${dir.dir}/secret.yaml`);
    dir.write("gateway.yaml", documents(GATEWAY, answering("/two", "two")));
    logs.length = 0;
    assert.equal(await proxy.reload(), true);
    const after = await get("/two");
    assert.deepEqual([after.status, after.body], [200, "two"]);
    assert.ok(
      logs.some((l) =>
        l.includes(
          "Warning [IGW6023] (Secret istio-system/secure-credential) is missing, or has no certificate and key or CA bundle",
        ),
      ),
      logs.join("\n"),
    );
  });
});
