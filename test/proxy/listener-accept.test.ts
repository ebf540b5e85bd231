// How the proxy's listeners accept: nothing is left bound by a configuration that could not be
// bound whole.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { refusingPort } from "./support/backends";
import { ConfigDir, startFileProxy } from "./support/samples";

function gatewayYaml(ports: number[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${ports.map((p) => `  - port: {number: ${p}, name: http-${p}, protocol: HTTP}\n    hosts: ["*"]`).join("\n")}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
`;
}

/**
 * Descriptors process `pid` holds on the IPv4 socket listening on `port`: the socket's inode is read
 * from /proc/net/tcp, and the process's descriptors pointing at it are counted.
 */
function listeningDescriptors(pid: number | "self", port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A")
    .map((f) => `socket:[${f[9]}]`);
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (inodes.includes(readlinkSync(`/proc/${pid}/fd/${fd}`))) count++;
    } catch {
      // Closed between the listing and the read.
    }
  }
  return count;
}

describe("binding a configuration", () => {
  it("releases the ports it had bound when another of its ports is taken", async () => {
    const dir = new ConfigDir();
    const taken = net.createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const takenPort = (taken.address() as net.AddressInfo).port;
    const freePort = await refusingPort();
    dir.write("gw.yaml", gatewayYaml([8080, 9090]));
    const logs: string[] = [];
    try {
      await assert.rejects(
        startFileProxy([dir.dir], [8080, 9090], [], logs, undefined, {
          bind: "127.0.0.1",
          listenPorts: new Map([
            [8080, freePort],
            [9090, takenPort],
          ]),
        }),
        /the configuration was refused/,
      );
      assert.ok(
        logs.some(
          (l) => l.includes(`cannot listen on `) && l.includes(`:${takenPort}`) && l.includes("EADDRINUSE"),
        ),
        logs.join("\n"),
      );
      // The first listener was bound before the second failed: its port is free again.
      assert.equal(listeningDescriptors("self", freePort), 0);
      const again = net.createServer().listen(freePort, "127.0.0.1");
      await once(again, "listening");
      again.close();
    } finally {
      taken.close();
      dir.dispose();
    }
  });
});
