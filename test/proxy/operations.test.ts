import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { proxyCommand } from "./support/proxy-command";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { textSink } from "./support/access-log-sinks";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

function gatewayYaml(paths: string[], host = "*"): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["${host}"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
${paths.map((p) => `  - match: [{uri: {prefix: ${p}}}]\n    route: [{destination: {host: web, port: {number: 80}}}]`).join("\n")}
`;
}

const waitFor = async (check: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
};

describe("live configuration and operability", () => {
  const dir = new ConfigDir();
  let web: Backend;
  let proxy: GatewayProxy;
  let base: string;
  let status: string;
  const logs: string[] = [];
  const access: string[] = [];

  before(async () => {
    web = await startEchoBackend("web");
    dir.write("gw.yaml", gatewayYaml(["/a"]));
    proxy = await startFileProxy(
      [dir.dir],
      [8080],
      [{ host: "web", ip: "127.0.0.1", port: web.port }],
      logs,
      textSink(access),
    );
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
    status = `http://127.0.0.1:${proxy.statusPort}`;
  });
  after(async () => {
    await proxy.close();
    await web.close();
    dir.dispose();
  });

  it("reports ready on the status port", async () => {
    const r = await curl([`${status}/healthz/ready`]);
    assert.equal(r.status, 200);
  });

  it("takes a changed file, and refuses a broken one while the last good configuration keeps serving", async () => {
    assert.equal((await curl([`${base}/b`])).status, 404);
    dir.write("gw.yaml", gatewayYaml(["/a", "/b"]));
    await waitFor(async () => (await curl([`${base}/b`])).status === 200);
    assert.equal((await curl([`${base}/a`])).status, 200);
    const before = logs.length;
    dir.write(
      "gw.yaml",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: istio-system}\nspec:\n  hosts: [\n",
    );
    await waitFor(async () => logs.slice(before).some((l) => l.startsWith("configuration refused")));
    assert.ok(
      logs.slice(before).some((l) => /^Error .*gw\.yaml:\d+:\d+: /.test(l)),
      logs.slice(before).join("\n"),
    );
    assert.equal((await curl([`${base}/b`])).status, 200);
    dir.write("gw.yaml", gatewayYaml(["/a"]).replace("prefix: /a", "prefix: 7"));
    await waitFor(
      async () => logs.slice(before).filter((l) => l.startsWith("configuration refused")).length >= 2,
    );
    assert.equal((await curl([`${base}/b`])).status, 200);
    dir.write("gw.yaml", gatewayYaml(["/a", "/b"]));
  });

  it("takes every save of a file replaced by rename, and files in directories made later", async () => {
    // Editors and `sed -i` save by writing a new file and renaming it over the old one.
    const replace = (text: string) => {
      writeFileSync(join(dir.dir, "gw.yaml.tmp"), text);
      renameSync(join(dir.dir, "gw.yaml.tmp"), join(dir.dir, "gw.yaml"));
    };
    const serves = (path: string, code: number) => async () =>
      (await curl([`${base}${path}`])).status === code;
    replace(gatewayYaml(["/a", "/b", "/c"]));
    await waitFor(serves("/c/1", 200));
    replace(gatewayYaml(["/a", "/b", "/d"]));
    await waitFor(serves("/d/1", 200));
    assert.equal((await curl([`${base}/c/2`])).status, 404);
    // And written in place after those renames.
    dir.write("gw.yaml", gatewayYaml(["/a", "/b", "/e"]));
    await waitFor(serves("/e/1", 200));
    // A directory made after the start, and a file written into it later.
    mkdirSync(join(dir.dir, "more", "routes"), { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    dir.write(
      "more/routes/vs-f.yaml",
      gatewayYaml(["/f"]).split("---\n")[1]!.replace("name: vs,", "name: vs-f,"),
    );
    await waitFor(serves("/f/1", 200));
    rmSync(join(dir.dir, "more"), { recursive: true });
    dir.write("gw.yaml", gatewayYaml(["/a", "/b"]));
    await waitFor(serves("/f/2", 404));
    assert.equal((await curl([`${base}/b/1`])).status, 200);
  });

  it("serves Istio's metric names and labels", async () => {
    await curl([`${base}/a/metrics-probe`]);
    const r = await curl([`${status}/metrics`]);
    assert.equal(r.status, 200);
    const line = r.body
      .split("\n")
      .find((l) => l.startsWith("istio_requests_total{") && l.includes('response_code="200"'));
    assert.ok(line !== undefined, r.body.slice(0, 2000));
    for (const label of [
      'reporter="source"',
      'destination_service="web.istio-system.svc.cluster.local"',
      'destination_service_name="web"',
      'destination_service_namespace="istio-system"',
      'request_protocol="http"',
      'response_flags="-"',
      'source_workload="istio-ingressgateway"',
    ]) {
      assert.ok(line.includes(label), `${label} in ${line}`);
    }
    for (const name of [
      "istio_request_duration_milliseconds_bucket",
      "istio_request_bytes_bucket",
      "istio_response_bytes_bucket",
    ]) {
      assert.ok(r.body.includes(`${name}{`), name);
    }
  });

  it("counts requests no route matched under destination unknown with flag NR, as Istio does", async () => {
    const unrouted = (body: string) =>
      body
        .split("\n")
        .find(
          (l) =>
            l.startsWith("istio_requests_total{") &&
            l.includes('destination_service="unknown"') &&
            l.includes('response_code="404"') &&
            l.includes('response_flags="NR"'),
        );
    const countOf = (line: string | undefined) => (line === undefined ? 0 : Number(line.split(" ").pop()));
    const before = countOf(unrouted((await curl([`${status}/metrics`])).body));
    assert.equal((await curl([`${base}/nowhere`])).status, 404);
    assert.equal((await curl([`${base}/nowhere/else`])).status, 404);
    const line = unrouted((await curl([`${status}/metrics`])).body);
    assert.ok(line?.includes('request_protocol="http"'), line);
    assert.equal(countOf(line), before + 2);
  });

  it("dumps the active configuration", async () => {
    const r = await curl([`${status}/config_dump`]);
    assert.equal(r.status, 200);
    const dump = JSON.parse(r.body) as { listeners: { name: string }[]; clusters: { name: string }[] };
    assert.deepEqual(
      dump.listeners.map((l) => l.name),
      ["0.0.0.0_8080"],
    );
    assert.deepEqual(
      dump.clusters.map((c) => c.name),
      ["outbound|80||web.istio-system.svc.cluster.local"],
    );
  });

  it("finishes a request in flight on the configuration it started with", async () => {
    const slow = curl([`${base}/b/delay/400`]);
    await new Promise((r) => setTimeout(r, 100));
    dir.write("gw.yaml", gatewayYaml(["/a"]));
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Echo).url, "/b/delay/400");
    await waitFor(async () => (await curl([`${base}/b`])).status === 404);
  });
});

describe("the proxy command", () => {
  const dir = new ConfigDir();
  let web: Backend;
  after(async () => {
    await web.close();
    dir.dispose();
  });

  before(async () => {
    web = await startEchoBackend("web");
  });

  /** The proxy command as a process on the configuration directory, its stdout and stderr piped. */
  const spawnProxy = (...flags: string[]) =>
    spawn(
      process.execPath,
      proxyCommand(
        "--config",
        dir.dir,
        "--port",
        "8080=0",
        "--status-port",
        "0",
        "--bind",
        "127.0.0.1",
        "--resolve",
        `web=127.0.0.1:${web.port}`,
        ...flags,
      ),
      { stdio: ["ignore", "pipe", "pipe"] },
    );

  it("says which Gateways it skipped, serves, and drains in-flight requests on SIGTERM", async () => {
    dir.write("gw.yaml", gatewayYaml(["/"]));
    dir.write(
      "other.yaml",
      "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: elsewhere, namespace: istio-system}\nspec:\n  selector: {app: other}\n  servers:\n  - port: {number: 9090, name: http, protocol: HTTP}\n    hosts: ['*']\n",
    );
    const child = spawnProxy("--drain-timeout", "5");
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    await waitFor(async () => /listeners \S+@127\.0\.0\.1:(\d+)/.test(stderr), 60_000);
    const port = /listeners \S+@127\.0\.0\.1:(\d+)/.exec(stderr)![1];
    assert.match(stderr, /Gateway istio-system\/elsewhere/);
    const slow = new Promise<number>((res, rej) => {
      http
        .get(`http://127.0.0.1:${port}/delay/500`, (r) => {
          r.resume();
          r.on("end", () => res(r.statusCode ?? 0));
        })
        .on("error", rej);
    });
    await new Promise((r) => setTimeout(r, 150));
    child.kill("SIGTERM");
    assert.equal(await slow, 200);
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
    assert.match(stderr, /SIGTERM: draining/);
    assert.match(stderr, /drained/);
    const logged = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(logged.find((l) => l["path"] === "/delay/500")?.["response_code"], 200);
  });

  it("serves a request sent on an idle keep-alive connection during the drain, then closes it", async () => {
    dir.write("gw.yaml", gatewayYaml(["/"]));
    const child = spawnProxy("--drain-timeout", "10");
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    await waitFor(async () => /listeners \S+@127\.0\.0\.1:(\d+)/.test(stderr), 60_000);
    const port = Number(/listeners \S+@127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = () =>
      new Promise<{ status: number; connection: string | undefined }>((res, rej) => {
        const req = http.request({ port, host: "127.0.0.1", path: "/posted", method: "POST", agent }, (r) => {
          r.resume();
          r.on("end", () => res({ status: r.statusCode ?? 0, connection: r.headers["connection"] }));
        });
        req.on("error", rej);
        req.end("a body a client would not resend");
      });
    assert.deepEqual(await post(), { status: 200, connection: undefined });
    const started = Date.now();
    child.kill("SIGTERM");
    await waitFor(async () => /SIGTERM: draining/.test(stderr), 5000);
    // The connection sat idle when the drain began: the request on it is answered, and the
    // connection closed after it.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await post(), { status: 200, connection: "close" });
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
    // With no connection left, the drain ends well before its deadline.
    assert.ok(Date.now() - started < 5000, `drained in ${Date.now() - started} ms`);
    agent.destroy();
  });

  it("takes --request-timeout: a slow upload gets 408 after it, and none with 0, as Istio leaves it", async () => {
    dir.write("gw.yaml", gatewayYaml(["/"]));
    /** A POST whose head goes at once and whose 5 bytes come one every 400 ms: its status. */
    const slowUpload = (port: number) =>
      new Promise<number>((res, rej) => {
        const req = http.request(
          {
            port,
            host: "127.0.0.1",
            path: "/slow-upload",
            method: "POST",
            headers: { "content-length": "5" },
          },
          (r) => {
            r.resume();
            r.on("end", () => res(r.statusCode ?? 0));
          },
        );
        req.on("error", rej);
        // The head now, so that the request's time runs from the start: 2 s of upload against the
        // 1 s limit, with room for a busy machine's late timers.
        req.flushHeaders();
        let sent = 0;
        const tick = setInterval(() => {
          if (req.destroyed) return clearInterval(tick);
          req.write("x");
          if (++sent === 5) {
            clearInterval(tick);
            req.end();
          }
        }, 400);
      });
    for (const [limit, want] of [
      ["1", 408],
      ["0", 200],
    ] as const) {
      const child = spawnProxy("--request-timeout", limit);
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      try {
        await waitFor(async () => /listeners \S+@127\.0\.0\.1:(\d+)/.test(stderr), 60_000);
        const port = Number(/listeners \S+@127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
        assert.equal(await slowUpload(port), want, `--request-timeout ${limit}`);
      } finally {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
  });

  it("keeps serving with bounded memory when nobody reads its access log, and logs again once read", async () => {
    dir.write("gw.yaml", gatewayYaml(["/"]));
    const child = spawnProxy();
    try {
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      // stdout is never read until the end: the pipe and this side's buffer fill up, as when a
      // container's log reader stalls.
      child.stdout.pause();
      await waitFor(async () => /listeners \S+@127\.0\.0\.1:(\d+)/.test(stderr), 60_000);
      const port = Number(/listeners \S+@127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
      // Lines of about 8 KB: 1,000 of them are twice the 4 MiB the log may hold back.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const get = (path: string) =>
        new Promise<number>((res, rej) => {
          http
            .get(
              { port, host: "127.0.0.1", path, agent, headers: { "user-agent": "u".repeat(4000) } },
              (r) => {
                r.resume();
                r.on("end", () => res(r.statusCode ?? 0));
              },
            )
            .on("error", rej);
        });
      const statuses: number[] = [];
      for (let i = 0; i < 125; i++) {
        statuses.push(
          ...(await Promise.all(
            Array.from({ length: 8 }, (_, j) => get(`/${i * 8 + j}/${"p".repeat(4000)}`)),
          )),
        );
      }
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(statuses.length, 1000);
      assert.match(stderr, /access log: its reader is not keeping up; lines are dropped until it does/);

      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stdout.resume();
      await waitFor(async () => stdout.length > 0 && child.stdout.readableLength === 0);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await get("/after"), 200);
      await waitFor(async () => stdout.includes('"/after"'));
      agent.destroy();
      const kept = stdout
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { path: string }).path);
      const dropped = Number(/writing again, after dropping (\d+) lines/.exec(stderr)?.[1]);
      assert.equal(kept.at(-1), "/after");
      assert.equal(kept.length - 1 + dropped, 1000, `${kept.length - 1} lines written, ${dropped} dropped`);
      assert.ok(dropped >= 400, `${dropped} dropped`);
    } finally {
      // A child that already exited has fired "exit": waiting for it again would never end.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
  });
});
