// `istio-gateway demo --no-cluster`: the gateway on the embedded Bookinfo configuration, with no
// toolchain, reached with real HTTP requests, then stopped with Ctrl-C (SIGINT). The default mode,
// on a local control plane, is test/e2e/demo.test.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../provider/src/local/free-port";
import { repoRoot } from "./run-cli";

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => done({ status: res.statusCode ?? 0, body }));
      })
      .on("error", fail);
  });
}

describe("istio-gateway demo --no-cluster", () => {
  let child: ChildProcess;
  let port: number;
  let stderr = "";

  before(async () => {
    port = await freePort();
    const statusPort = await freePort();
    child = spawn(
      process.execPath,
      [
        resolve(repoRoot, "provider/bin/istio-gateway.js"),
        "demo",
        "--no-cluster",
        "--listen-port",
        `${port}`,
        "--status-port",
        `${statusPort}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes("serving configuration")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("routes /productpage to the productpage stand-in", async () => {
    assert.deepEqual(await get(port, "/productpage"), {
      status: 200,
      body: "productpage v1: GET /productpage\n",
    });
  });

  it("splits /reviews between the v1 and v2 subsets", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 2; i++) seen.add((await get(port, "/reviews/7")).body);
    assert.deepEqual([...seen].sort(), ["reviews v1: GET /reviews/7\n", "reviews v2: GET /reviews/7\n"]);
  });

  it("answers 404 where no route matches", async () => {
    assert.equal((await get(port, "/ratings")).status, 404);
  });

  it("prints the curl commands and stops cleanly on Ctrl-C", async () => {
    assert.match(stderr, new RegExp(`curl -i http://127\\.0\\.0\\.1:${port}/productpage`));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });
});
