// Outlier detection fed by TCP proxying, on real sockets: as in Envoy's tcp_proxy, a connect that
// fails is a local-origin failure (a gateway error when they are not split off) and one that
// succeeds a success; two endpoints, one refusing connections.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { jsonLinesSink } from "./support/access-log-sinks";
import { refusingPort, startTcpEcho } from "./support/backends";
import { curl } from "./support/curl";
import { tcpServiceYaml } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A Gateway TCP port routed to `<name>.test`: the echo and the refusing endpoint, with `outlierDetection`. */
function tcpService(name: string, port: number, echo: number, refusing: number, outlier: string): string {
  return tcpServiceYaml(
    name,
    port,
    [echo, refusing],
    `loadBalancer: {simple: ROUND_ROBIN}, outlierDetection: {${outlier}, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}`,
  );
}

describe("TCP proxying feeds outlier detection", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  const echoes: Backend[] = [];
  let proxy: GatewayProxy;
  const ports: Record<number, number> = {};
  let refusing = 0;

  before(async () => {
    echoes.push(await startTcpEcho("plain:"), await startTcpEcho("split:"));
    refusing = await refusingPort();
    const yaml = [
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 31410, name: tcp-plain, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31411, name: tcp-split, protocol: TCP}, hosts: ["*"]}
`,
      // Not split: connect failures are gateway errors, two in a row eject.
      tcpService(
        "plain",
        31410,
        echoes[0]!.port,
        refusing,
        "consecutive5xxErrors: 0, consecutiveGatewayErrors: 2",
      ),
      // Split: they are local-origin failures only, so the gateway-error detector (1) never fires.
      tcpService(
        "split",
        31411,
        echoes[1]!.port,
        refusing,
        "consecutiveGatewayErrors: 1, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 3",
      ),
    ].join("\n---\n");
    proxy = await startFileProxy(
      [dir.write("tcp.yaml", yaml)],
      [31410, 31411],
      [],
      [],
      jsonLinesSink(access),
    );
    for (const p of [31410, 31411]) ports[p] = proxy.boundPorts().get(p)!;
  });
  after(async () => {
    await proxy.close();
    for (const e of echoes) await e.close();
    dir.dispose();
  });

  /** Connects, sends `text`, and closes once the answer came (or after 2 s); resolves with the answer. */
  function talk(port: number, text: string): Promise<string> {
    return new Promise((resolve) => {
      let data = "";
      const s = net.connect(port, "127.0.0.1", () => s.write(text));
      const limit = setTimeout(() => s.destroy(), 2000);
      s.on("data", (d: Buffer) => {
        data += d.toString();
        s.end();
      });
      s.on("error", () => {});
      s.on("close", () => {
        clearTimeout(limit);
        resolve(data);
      });
    });
  }

  /** The access log lines of a filter chain, once there are `n`: `<flags> <upstream port>`. */
  async function logged(filterChain: string, n: number): Promise<string[]> {
    const of = () => access.filter((l) => l["filter_chain"] === filterChain);
    for (let i = 0; i < 100 && of().length < n; i++) await new Promise((r) => setTimeout(r, 50));
    return of().map((l) => {
      const host = String(l["upstream_host"]);
      return `${String(l["response_flags"])} ${host.endsWith(`:${refusing}`) ? "refusing" : "echo"}`;
    });
  }

  async function ejections(cluster: string): Promise<number | undefined> {
    const text = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
    const line = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("envoy_cluster_outlier_detection_ejections_enforced_total{") &&
          l.includes(`cluster_name="${cluster}"`),
      );
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  it("not split: the refusing endpoint is ejected after consecutiveGatewayErrors connect failures", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) answers.push(await talk(ports[31410]!, String(i)));
    // Round robin alternates until the second failure; from then on every connection reaches the echo.
    assert.deepEqual(answers, ["", "plain:1", "", "plain:3", "plain:4", "plain:5", "plain:6", "plain:7"]);
    assert.deepEqual(await logged("tcp.31410", 8), [
      "UF,URX refusing",
      "- echo",
      "UF,URX refusing",
      "- echo",
      "- echo",
      "- echo",
      "- echo",
      "- echo",
    ]);
    assert.equal(await ejections("outbound|9000||plain.test"), 1);
  });

  it("split: connect failures count as local-origin failures only, ejecting at consecutiveLocalOriginFailures", async () => {
    for (let i = 0; i < 10; i++) await talk(ports[31411]!, String(i));
    const lines = await logged("tcp.31411", 10);
    assert.deepEqual(
      [lines.filter((l) => l === "UF,URX refusing").length, lines.filter((l) => l === "- echo").length],
      [3, 7],
    );
    assert.deepEqual(lines.slice(6), ["- echo", "- echo", "- echo", "- echo"]);
    assert.equal(await ejections("outbound|9000||split.test"), 1);
  });
});
