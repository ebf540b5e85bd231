// Consistent hashing of TCP connections, on real sockets: Istio gives a TCP proxy Envoy's source-IP
// hash policy when the destination's DestinationRule hashes on `useSourceIp`, so every connection
// from one client goes to one endpoint of the ring; a rule hashing on anything else gives it none,
// and the ring draws each connection at random.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startTcpEcho } from "./support/backends";
import { tcpServiceYaml } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A Gateway TCP port routed to `<name>.test`, two echo endpoints, with `loadBalancer`. */
function tcpService(name: string, port: number, echoes: readonly Backend[], loadBalancer: string): string {
  return tcpServiceYaml(
    name,
    port,
    echoes.map((e) => e.port),
    `loadBalancer: ${loadBalancer}`,
  );
}

describe("TCP proxying hashes on the client's address when the DestinationRule says useSourceIp", () => {
  const dir = new ConfigDir();
  const echoes: Backend[] = [];
  let proxy: GatewayProxy;
  const ports: Record<number, number> = {};

  before(async () => {
    for (const prefix of ["s1:", "s2:", "h1:", "h2:"]) echoes.push(await startTcpEcho(prefix));
    const yaml = [
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 31420, name: tcp-source, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31421, name: tcp-header, protocol: TCP}, hosts: ["*"]}
`,
      tcpService("source", 31420, echoes.slice(0, 2), "{consistentHash: {useSourceIp: true}}"),
      tcpService("header", 31421, echoes.slice(2), "{consistentHash: {httpHeaderName: x-user}}"),
    ].join("\n---\n");
    proxy = await startFileProxy([dir.write("tcp.yaml", yaml)], [31420, 31421], []);
    for (const p of [31420, 31421]) ports[p] = proxy.boundPorts().get(p)!;
  });
  after(async () => {
    await proxy.close();
    for (const e of echoes) await e.close();
    dir.dispose();
  });

  /** The prefix of the echo that answered a connection through `port`. */
  function answerer(port: number): Promise<string> {
    return new Promise((resolve) => {
      let data = "";
      const s = net.connect(port, "127.0.0.1", () => s.write("hi"));
      const limit = setTimeout(() => s.destroy(), 2000);
      s.on("data", (d: Buffer) => {
        data += d.toString();
        s.end();
      });
      s.on("error", () => {});
      s.on("close", () => {
        clearTimeout(limit);
        resolve(data.slice(0, 3));
      });
    });
  }

  it("every connection from one client goes to one endpoint; a key a connection lacks leaves the ring to draw", async () => {
    const sourced = new Set<string>();
    const keyless = new Set<string>();
    for (let i = 0; i < 20; i++) {
      sourced.add(await answerer(ports[31420]!));
      keyless.add(await answerer(ports[31421]!));
    }
    assert.equal(sourced.size, 1, [...sourced].join(", "));
    assert.ok(["s1:", "s2:"].includes([...sourced][0]!), [...sourced].join(", "));
    // Both answer in 1 - 2^-19 of runs.
    assert.deepEqual([...keyless].sort(), ["h1:", "h2:"]);
  });
});
