// Result parsing and the printed table of proxy.sh.
//   node report.mjs wrk FILE CPU_US -> "RPS P50_MS P99_MS BAD CPU_US_PER_REQUEST" from one
//                                    `wrk --latency` output and the gateway's CPU time over it, where
//                                    BAD counts non-2xx/3xx answers plus socket errors
//   node report.mjs table FILE N [GAP]
//                                 -> the table, from lines "SERVER<TAB>METRIC<TAB>VALUE" (a metric
//                                    given several times, once per round, shows its median), and a
//                                    verdict per target, judged on the median of the round-by-round
//                                    ratios to nginx; N is the idle connections of the RSS figure,
//                                    GAP the paced figure's mean pause in ms
import { readFileSync } from "node:fs";

const [command, file] = process.argv.slice(2);
// For the table: how many idle connections the RSS figure was taken with.
const idleConnections = Number(process.argv[4] ?? 1000).toLocaleString("en-US");
// For the table: the paced HTTP figure's mean pause between an answer and the next request.
const pacedGap = Number(process.argv[5] ?? 16);
const text = readFileSync(file, "utf8");

/** wrk prints durations as 812.00us, 1.23ms, 2.00s or 1.50m. */
function toMs(value) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (!m) return NaN;
  const n = Number(m[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60000 }[m[2]];
}

function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  let bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (errors) bad += errors.slice(1).reduce((a, b) => a + Number(b), 0);
  return { rps, requests, p50, p99, bad };
}

if (command === "wrk") {
  const r = parseWrk(text);
  const cpuPerRequest = r.requests > 0 ? Math.round(Number(process.argv[4]) / r.requests) : NaN;
  process.stdout.write(`${r.rps} ${r.p50} ${r.p99} ${r.bad} ${cpuPerRequest}\n`);
} else if (command === "table") {
  const results = new Map();
  const servers = [];
  for (const line of text.split("\n")) {
    const [server, metric, value] = line.split("\t");
    if (!metric) continue;
    if (!results.has(server)) {
      results.set(server, new Map());
      servers.push(server);
    }
    const values = results.get(server);
    if (!values.has(metric)) values.set(metric, []);
    values.get(metric).push(Number(value));
  }
  // Each figure is the median of its rounds (a figure taken once is its own median).
  const median = (xs) => {
    const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
    if (sorted.length === 0) return NaN;
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  // Each round's figures, kept for the round-by-round ratios: the n-th value of a metric is round n's.
  const rounds = new Map([...results].map(([server, values]) => [server, new Map(values)]));
  for (const values of results.values()) {
    for (const [metric, xs] of values) values.set(metric, median(xs));
  }
  // Requests per CPU-second of the gateway: what it would serve with a core to itself. On a
  // shared, noisy machine req/s swing with whatever else runs; CPU per request moves far less,
  // so this ratio to nginx is the steadier reading of the same target.
  for (const server of servers) {
    const m = results.get(server);
    for (const kind of ["http", "https"]) {
      const cpu = Number(m.get(`${kind}_cpu`));
      if (Number.isFinite(cpu) && cpu > 0) m.set(`${kind}_per_cpu`, 1e6 / cpu);
    }
  }
  const get = (server, metric) => Number(results.get(server)?.get(metric) ?? NaN);
  // A figure of every round: requests per CPU-second come from the round's CPU per request.
  const perRound = (server, metric) => {
    const m = rounds.get(server);
    if (metric.endsWith("_per_cpu"))
      return (m?.get(metric.replace("_per_cpu", "_cpu")) ?? []).map((cpu) => 1e6 / cpu);
    return m?.get(metric) ?? [];
  };
  // metric, label, unit, digits, "higher" or "lower" is better, target as a ratio to nginx
  const rows = [
    ["http_rps", "HTTP/1.1 keep-alive, 64 conns", "req/s", 0, "higher", 0.33],
    ["http_p50", "  HTTP p50 latency", "ms", 2, "lower"],
    ["http_p99", "  HTTP p99 latency", "ms", 2, "lower", 3],
    ["http_cpu", "  HTTP gateway CPU per request", "us", 0, "lower"],
    ["http_per_cpu", "  HTTP requests per gateway CPU-second", "req", 0, "higher", 0.33],
    ["https_rps", "HTTPS keep-alive (TLS 1.3), 64 conns", "req/s", 0, "higher", 0.35],
    ["https_p50", "  HTTPS p50 latency", "ms", 2, "lower"],
    ["https_p99", "  HTTPS p99 latency", "ms", 2, "lower"],
    ["https_cpu", "  HTTPS gateway CPU per request", "us", 0, "lower"],
    ["https_per_cpu", "  HTTPS requests per gateway CPU-second", "req", 0, "higher", 0.35],
    // The same connections pausing between requests: a load every gateway serves with time to
    // spare, so its latency is its own work; at saturation it is a queue (Little's law).
    ["paced_rps", `HTTP paced (64 conns, ${pacedGap} ms mean pause)`, "req/s", 0, "higher"],
    ["paced_p50", "  paced HTTP p50 latency", "ms", 2, "lower"],
    ["paced_p99", "  paced HTTP p99 latency", "ms", 2, "lower", 3],
    ["paced_cpu", "  paced HTTP gateway CPU per request", "us", 0, "lower"],
    ["handshake_rps", "new TLS 1.3 handshakes (Connection: close)", "/s", 0, "higher"],
    ["handshake_cpu", "  gateway CPU per handshake", "us", 0, "lower"],
    ["rss_idle", "RSS idle", "MiB", 1, "lower"],
    ["rss_1k", `RSS with ${idleConnections} idle keep-alive conns`, "MiB", 1, "lower"],
  ];
  const fmt = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
  const ratio = (v, ref) => (Number.isFinite(v) && Number.isFinite(ref) && ref > 0 ? v / ref : NaN);
  // nginx first: it is the reference every other column is divided by. Then the other native
  // gateways, the proxy under test, and the Node proxies from the bare ceiling down.
  const places = [
    "nginx",
    "haproxy",
    "caddy",
    "istio-gateway",
    "bare-undici",
    "node-http-agent",
    "fastify",
    "http-proxy",
  ];
  const place = (s) => {
    const i = places.indexOf(s.startsWith("istio-gateway") ? "istio-gateway" : s);
    return i === -1 ? places.length : i;
  };
  const order = servers.map((s, i) => [s, i]).sort((a, b) => place(a[0]) - place(b[0]) || a[1] - b[1]);
  const columns = order.map(([s]) => s);
  const head = ["figure", "unit", ...columns, "target (x nginx)"];
  const table = [head];
  const verdicts = [];
  for (const [metric, label, unit, digits, better, target] of rows) {
    const ref = get("nginx", metric);
    const cells = [label, unit];
    for (const s of columns) {
      const v = get(s, metric);
      const r = ratio(v, ref);
      cells.push(
        s === "nginx" || !Number.isFinite(r) ? fmt(v, digits) : `${fmt(v, digits)} (${r.toFixed(2)}x)`,
      );
    }
    let targetText = "";
    if (target !== undefined) {
      targetText = better === "higher" ? `>= ${target}` : `<= ${target}`;
      for (const s of columns.filter((x) => x.startsWith("istio-gateway"))) {
        // Judged round by round: the proxy's figure over nginx's of the same round, taken seconds
        // apart, so that the machine's drift between rounds cancels; then the median of those.
        const refs = perRound("nginx", metric);
        const each = perRound(s, metric).map((v, i) => ratio(v, refs[i]));
        const r = median(each);
        const met = better === "higher" ? r >= target : r <= target;
        const targetLine = `target ${targetText}x`;
        if (!Number.isFinite(r)) {
          verdicts.push(`${s}: ${label.trim()}: ${targetLine}: not measured`);
          continue;
        }
        const eachText = each.map((x) => `${fmt(x, 2)}x`).join(", ");
        const fromMedians = fmt(ratio(get(s, metric), ref), 2);
        verdicts.push(
          `${s}: ${label.trim()}: ${fmt(r, 2)}x nginx round by round (${eachText}), ` +
            `${fromMedians}x from the medians; ${targetLine}: ${met ? "met" : "NOT met"}`,
        );
      }
    }
    cells.push(targetText);
    table.push(cells);
  }
  const widths = head.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const line = (r) =>
    r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  process.stdout.write(
    "each figure: the median of its rounds, and beside every gateway but nginx its ratio to nginx's\n" +
      "median; the verdicts below take the median of the ratios of each round instead\n\n",
  );
  process.stdout.write(`${line(table[0])}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const r of table.slice(1)) process.stdout.write(`${line(r)}\n`);
  process.stdout.write("\n");
  for (const v of verdicts) process.stdout.write(`${v}\n`);
  // The other target: ahead of every Node proxy and Caddy. Each line says where one
  // istio-gateway row stands against those anchors on one figure, with the ratio proxy / anchor.
  const anchors = columns.filter(
    (s) => s === "caddy" || (place(s) > place("istio-gateway") && place(s) < places.length),
  );
  if (anchors.length > 0) process.stdout.write("\n");
  const standings = [
    ["http_rps", "HTTP req/s"],
    ["http_per_cpu", "HTTP requests per CPU-second"],
    ["https_rps", "HTTPS req/s"],
    ["https_per_cpu", "HTTPS requests per CPU-second"],
  ];
  for (const s of columns.filter((x) => x.startsWith("istio-gateway"))) {
    for (const [metric, label] of standings) {
      if (anchors.length === 0) break;
      const ahead = [];
      const level = [];
      const behind = [];
      const unmeasured = [];
      for (const a of anchors) {
        const r = ratio(get(s, metric), get(a, metric));
        // Level when the printed ratio says so, rather than ahead or behind by a rounding error.
        if (!Number.isFinite(r)) unmeasured.push(a);
        else if (r.toFixed(2) === "1.00") level.push(`${a} (1.00x)`);
        else (r > 1 ? ahead : behind).push(`${a} (${r.toFixed(2)}x)`);
      }
      const parts = [];
      if (ahead.length > 0) parts.push(`ahead of ${ahead.join(", ")}`);
      if (level.length > 0) parts.push(`level with ${level.join(", ")}`);
      if (behind.length > 0) parts.push(`behind ${behind.join(", ")}`);
      if (unmeasured.length > 0) parts.push(`not measured against ${unmeasured.join(", ")}`);
      process.stdout.write(`${s}: ${label}: ${parts.join("; ")}\n`);
    }
  }
} else {
  process.stderr.write(
    "usage: node report.mjs wrk FILE CPU_US | table FILE IDLE_CONNECTIONS [PACED_GAP_MS]\n",
  );
  process.exit(2);
}
