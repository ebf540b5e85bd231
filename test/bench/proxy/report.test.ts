// The benchmark's result parsing and table (test/bench/proxy/report.mjs), run as proxy.sh runs it,
// on a fixed wrk output and a fixed set of results: no benchmark is run here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const report = join(__dirname, "report.mjs");
const dir = mkdtempSync(join(tmpdir(), "bench-report-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): string {
  return execFileSync(process.execPath, [report, ...args], { encoding: "utf8" });
}

describe("report.mjs wrk", () => {
  it("reads req/s, p50 and p99 in ms, bad answers plus socket errors, and CPU per request", () => {
    const file = join(dir, "wrk.txt");
    writeFileSync(
      file,
      [
        "Running 5s test @ http://127.0.0.1:1/api/bench",
        "  1 threads and 64 connections",
        "  Latency Distribution",
        "     50%  812.00us",
        "     75%    3.00ms",
        "     90%    4.00ms",
        "     99%    1.50s",
        "  100000 requests in 5.00s, 10.00MB read",
        "  Socket errors: connect 1, read 2, write 3, timeout 4",
        "  Non-2xx or 3xx responses: 5",
        "Requests/sec:  19999.50",
        "",
      ].join("\n"),
    );
    // 5 s of gateway CPU over 100,000 requests: 50 us each.
    assert.equal(run("wrk", file, "5000000"), "19999.5 0.812 1500 15 50\n");
  });
});

describe("report.mjs table", () => {
  it("orders the anchors, takes medians, divides by nginx and says where the proxy stands", () => {
    // Listed out of order, as gateways may be added. nginx's and istio-gateway's HTTP req/s and p99
    // over three rounds, round by round: the verdict on a target takes the median of the ratios of
    // each round (req/s 0.15x, 0.31x, 0.17x; p99 2.5x, 4x, 3.6x), which the medians' ratio can
    // differ from either way (0.20x; 3x).
    const results: [string, string, number][] = [
      ["nginx", "http_rps", 20000],
      ["nginx", "http_p99", 2],
      ["nginx", "http_rps", 16000],
      ["nginx", "http_p99", 1.5],
      ["nginx", "http_rps", 24000],
      ["nginx", "http_p99", 2.5],
      ["nginx", "http_cpu", 50],
      ["nginx", "https_rps", 10000],
      ["nginx", "https_cpu", 100],
      ["istio-gateway", "http_rps", 3000],
      ["istio-gateway", "http_p99", 5],
      ["istio-gateway", "http_rps", 5000],
      ["istio-gateway", "http_p99", 6],
      ["istio-gateway", "http_rps", 4000],
      ["istio-gateway", "http_p99", 9],
      ["istio-gateway", "http_cpu", 200],
      ["istio-gateway", "https_rps", 3000],
      ["istio-gateway", "https_cpu", 250],
      ["haproxy", "http_rps", 21000],
      ["fastify", "http_rps", 2000],
      ["fastify", "http_cpu", 400],
      ["fastify", "https_rps", 2500],
      ["fastify", "https_cpu", 300],
      ["istio-gateway-w2", "http_rps", 6000],
      ["caddy", "http_rps", 8000],
      ["caddy", "http_cpu", 125],
      ["caddy", "https_rps", 2000],
      ["bare-undici", "http_rps", 5000],
      ["bare-undici", "http_cpu", 160],
      ["bare-undici", "https_rps", 4000],
      ["bare-undici", "https_cpu", 250],
      // The paced figure over three rounds: p99 2x, 2x and 3.75x nginx's (median 2x), 2.4x from
      // the medians (1.2 over 0.5).
      ["nginx", "paced_rps", 3900],
      ["nginx", "paced_p99", 0.5],
      ["nginx", "paced_p99", 0.6],
      ["nginx", "paced_p99", 0.4],
      ["istio-gateway", "paced_rps", 3850],
      ["istio-gateway", "paced_p50", 0.45],
      ["istio-gateway", "paced_p99", 1],
      ["istio-gateway", "paced_p99", 1.2],
      ["istio-gateway", "paced_p99", 1.5],
      ["istio-gateway", "paced_cpu", 120],
    ];
    const file = join(dir, "results.tsv");
    writeFileSync(file, results.map((r) => `${r.join("\t")}\n`).join(""));
    const expected = [
      "each figure: the median of its rounds, and beside every gateway but nginx its ratio to nginx's",
      "median; the verdicts below take the median of the ratios of each round instead",
      "",
      "figure                                      unit   nginx        haproxy         caddy  istio-gateway  istio-gateway-w2   bare-undici       fastify  target (x nginx)",
      "------------------------------------------  -----  -----  -------------  ------------  -------------  ----------------  ------------  ------------  ----------------",
      "HTTP/1.1 keep-alive, 64 conns               req/s  20000  21000 (1.05x)  8000 (0.40x)   4000 (0.20x)      6000 (0.30x)  5000 (0.25x)  2000 (0.10x)           >= 0.33",
      "  HTTP p50 latency                          ms       n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "  HTTP p99 latency                          ms      2.00            n/a           n/a   6.00 (3.00x)               n/a           n/a           n/a              <= 3",
      "  HTTP gateway CPU per request              us        50            n/a   125 (2.50x)    200 (4.00x)               n/a   160 (3.20x)   400 (8.00x)                  ",
      "  HTTP requests per gateway CPU-second      req    20000            n/a  8000 (0.40x)   5000 (0.25x)               n/a  6250 (0.31x)  2500 (0.13x)           >= 0.33",
      "HTTPS keep-alive (TLS 1.3), 64 conns        req/s  10000            n/a  2000 (0.20x)   3000 (0.30x)               n/a  4000 (0.40x)  2500 (0.25x)           >= 0.35",
      "  HTTPS p50 latency                         ms       n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "  HTTPS p99 latency                         ms       n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "  HTTPS gateway CPU per request             us       100            n/a           n/a    250 (2.50x)               n/a   250 (2.50x)   300 (3.00x)                  ",
      "  HTTPS requests per gateway CPU-second     req    10000            n/a           n/a   4000 (0.40x)               n/a  4000 (0.40x)  3333 (0.33x)           >= 0.35",
      "HTTP paced (64 conns, 16 ms mean pause)     req/s   3900            n/a           n/a   3850 (0.99x)               n/a           n/a           n/a                  ",
      "  paced HTTP p50 latency                    ms       n/a            n/a           n/a           0.45               n/a           n/a           n/a                  ",
      "  paced HTTP p99 latency                    ms      0.50            n/a           n/a   1.20 (2.40x)               n/a           n/a           n/a              <= 3",
      "  paced HTTP gateway CPU per request        us       n/a            n/a           n/a            120               n/a           n/a           n/a                  ",
      "new TLS 1.3 handshakes (Connection: close)  /s       n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "  gateway CPU per handshake                 us       n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "RSS idle                                    MiB      n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "RSS with 1,000 idle keep-alive conns        MiB      n/a            n/a           n/a            n/a               n/a           n/a           n/a                  ",
      "",
      "istio-gateway: HTTP/1.1 keep-alive, 64 conns: 0.17x nginx round by round (0.15x, 0.31x, 0.17x), 0.20x from the medians; target >= 0.33x: NOT met",
      "istio-gateway-w2: HTTP/1.1 keep-alive, 64 conns: 0.30x nginx round by round (0.30x), 0.30x from the medians; target >= 0.33x: NOT met",
      "istio-gateway: HTTP p99 latency: 3.60x nginx round by round (2.50x, 4.00x, 3.60x), 3.00x from the medians; target <= 3x: NOT met",
      "istio-gateway-w2: HTTP p99 latency: target <= 3x: not measured",
      "istio-gateway: HTTP requests per gateway CPU-second: 0.25x nginx round by round (0.25x), 0.25x from the medians; target >= 0.33x: NOT met",
      "istio-gateway-w2: HTTP requests per gateway CPU-second: target >= 0.33x: not measured",
      "istio-gateway: HTTPS keep-alive (TLS 1.3), 64 conns: 0.30x nginx round by round (0.30x), 0.30x from the medians; target >= 0.35x: NOT met",
      "istio-gateway-w2: HTTPS keep-alive (TLS 1.3), 64 conns: target >= 0.35x: not measured",
      "istio-gateway: HTTPS requests per gateway CPU-second: 0.40x nginx round by round (0.40x), 0.40x from the medians; target >= 0.35x: met",
      "istio-gateway-w2: HTTPS requests per gateway CPU-second: target >= 0.35x: not measured",
      "istio-gateway: paced HTTP p99 latency: 2.00x nginx round by round (2.00x, 2.00x, 3.75x), 2.40x from the medians; target <= 3x: met",
      "istio-gateway-w2: paced HTTP p99 latency: target <= 3x: not measured",
      "",
      "istio-gateway: HTTP req/s: ahead of fastify (2.00x); behind caddy (0.50x), bare-undici (0.80x)",
      "istio-gateway: HTTP requests per CPU-second: ahead of fastify (2.00x); behind caddy (0.63x), bare-undici (0.80x)",
      "istio-gateway: HTTPS req/s: ahead of caddy (1.50x), fastify (1.20x); behind bare-undici (0.75x)",
      "istio-gateway: HTTPS requests per CPU-second: ahead of fastify (1.20x); level with bare-undici (1.00x); not measured against caddy",
      "istio-gateway-w2: HTTP req/s: ahead of bare-undici (1.20x), fastify (3.00x); behind caddy (0.75x)",
      "istio-gateway-w2: HTTP requests per CPU-second: not measured against caddy, bare-undici, fastify",
      "istio-gateway-w2: HTTPS req/s: not measured against caddy, bare-undici, fastify",
      "istio-gateway-w2: HTTPS requests per CPU-second: not measured against caddy, bare-undici, fastify",
    ];
    assert.equal(run("table", file, "1000", "16"), `${expected.join("\n")}\n`);
  });
});
