// The source's own behaviour against a stand-in API server (HTTPS on loopback, certificate made at
// test time): debouncing a burst of watch events into one rebuild, keeping the last configuration
// while the server is gone, reconnecting with bounded exponential backoff (each attempt logged),
// and resuming the watch from the last resourceVersion. Runs without the toolchain.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { KubernetesConfigSource } from "../../provider/src/proxy/kubernetes";
import { kubeconfigText } from "../e2e/support/cluster";
import { eventually } from "./support";

function gateway(name: string, port: number, resourceVersion: string) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "istio-system", resourceVersion },
    spec: {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    },
  };
}

/** Lists one Gateway, holds every watch open, and records the requests. */
class StandInApiServer {
  readonly requests: string[] = [];
  readonly gatewayWatches: ServerResponse[] = [];
  private server: https.Server | undefined;
  port = 0;

  constructor(private readonly tls: { key: Buffer; cert: Buffer }) {}

  async open(port = this.port): Promise<void> {
    const server = https.createServer(this.tls, (req, res) => {
      this.requests.push(req.url ?? "");
      const url = new URL(req.url ?? "/", "https://stand-in");
      const gateways = url.pathname === "/apis/networking.istio.io/v1/gateways";
      if (url.searchParams.get("watch") === "true") {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        if (gateways) this.gatewayWatches.push(res);
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          items: gateways ? [gateway("a", 80, "1")] : [],
          metadata: { resourceVersion: "1" },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Sends a watch event to every open Gateway watch. */
  send(type: string, object: unknown): void {
    for (const w of this.gatewayWatches)
      if (!w.writableEnded) w.write(JSON.stringify({ type, object }) + "\n");
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.gatewayWatches.length = 0;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("Kubernetes source against a stand-in API server", () => {
  let dir: string;
  let api: StandInApiServer;
  let source: KubernetesConfigSource;
  const lines: string[] = [];
  let changes = 0;
  const listeners = () => (source.lastLoad?.config?.listeners ?? []).map((l) => l.name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "igw-k8s-source-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=stand-in",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { cwd: dir, stdio: "ignore" },
    );
    const tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
    api = new StandInApiServer(tls);
    await api.open(0);
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigText(`https://127.0.0.1:${api.port}`, tls.cert.toString("utf8"), "token"));
    source = new KubernetesConfigSource({
      kubeConfig: kc,
      identity: { namespace: "istio-system", labels: { istio: "ingressgateway" } },
      onChange: () => changes++,
      log: (line) => lines.push(line),
      debounceMs: 100,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
    });
    await source.start();
  });

  after(async () => {
    source?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds from the first lists", () => {
    assert.deepEqual(listeners(), ["0.0.0.0_8080"]);
    assert.deepEqual(api.requests.filter((r) => !r.includes("watch=true")).sort(), [
      "/api/v1/namespaces/istio-system/secrets",
      "/apis/networking.istio.io/v1/destinationrules",
      "/apis/networking.istio.io/v1/gateways",
      "/apis/networking.istio.io/v1/serviceentries",
      "/apis/networking.istio.io/v1/virtualservices",
      "/apis/security.istio.io/v1/authorizationpolicies",
      "/apis/security.istio.io/v1/requestauthentications",
    ]);
  });

  it("rebuilds once for a burst of events", async () => {
    await eventually("the Gateway watch", () => api.gatewayWatches.length === 1);
    const before = changes;
    for (let i = 0; i < 20; i++) api.send("ADDED", gateway(`burst-${i}`, 9000 + i, String(10 + i)));
    await eventually("the burst applied", () => listeners().length === 21);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(changes - before, 1);
  });

  it("keeps the configuration while the server is gone, backs off, and resumes from the last resourceVersion", async () => {
    api.send("DELETED", gateway("burst-0", 9000, "40"));
    await eventually("burst-0 gone", () => listeners().length === 20);
    const served = listeners();
    lines.length = 0;
    const before = api.requests.length;
    await api.close();
    const gatewayAttempts = () =>
      lines
        .filter((l) => l.startsWith("cannot watch gateways.networking.istio.io: "))
        .map(
          (l) =>
            / attempt \d+ failed, retrying in \d+ ms \(the last good configuration keeps serving\)$/.exec(
              l,
            )?.[0],
        );
    await eventually("five failed attempts", () => gatewayAttempts().length >= 5);
    assert.deepEqual(gatewayAttempts().slice(0, 5), [
      " attempt 1 failed, retrying in 100 ms (the last good configuration keeps serving)",
      " attempt 2 failed, retrying in 200 ms (the last good configuration keeps serving)",
      " attempt 3 failed, retrying in 400 ms (the last good configuration keeps serving)",
      " attempt 4 failed, retrying in 400 ms (the last good configuration keeps serving)",
      " attempt 5 failed, retrying in 400 ms (the last good configuration keeps serving)",
    ]);
    assert.deepEqual(listeners(), served);
    const down = source.status().watches.find((w) => w.resource === "gateways.networking.istio.io");
    assert.equal(down?.connected, false);
    assert.equal(down?.retryInMs, 400);

    await api.open();
    await eventually("every watch back", () => source.status().watches.every((w) => w.connected));
    assert.equal(
      lines.filter((l) =>
        /^watching gateways\.networking\.istio\.io again after \d+ failed attempts$/.test(l),
      ).length,
      1,
    );
    // Resumed, not re-listed: the cache was never dropped.
    assert.deepEqual(
      [
        ...new Set(
          api.requests.slice(before).filter((r) => r.startsWith("/apis/networking.istio.io/v1/gateways")),
        ),
      ],
      ["/apis/networking.istio.io/v1/gateways?watch=true&resourceVersion=40"],
    );
    await eventually("the Gateway watch again", () => api.gatewayWatches.length === 1);
    api.send("DELETED", gateway("burst-1", 9001, "41"));
    await eventually("burst-1 gone", () => listeners().length === 19);
  });
});
