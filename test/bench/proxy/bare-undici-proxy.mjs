// The reference the targets were set against: a bare node:http server forwarding every
// request for host bench.example.com, path prefix /api/ to one upstream through an undici Pool
// (keep-alive), streaming the body back, 404 otherwise; no metrics, no access log. It shows what
// Node itself reaches on this machine in the same run.
// Usage: node bare-undici-proxy.mjs HTTP_PORT HTTPS_PORT UPSTREAM_PORT CERT_FILE KEY_FILE
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Pool } from "undici";

const [httpPort, httpsPort, upstreamPort] = process.argv.slice(2, 5).map(Number);
const [certFile, keyFile] = process.argv.slice(5, 7);
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128, pipelining: 1 });
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

function handle(req, res) {
  if (req.headers.host?.split(":")[0] !== "bench.example.com" || !req.url.startsWith("/api/")) {
    res.writeHead(404).end();
    return;
  }
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k)) headers[k] = v;
  pool.stream(
    {
      path: req.url,
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? null : req,
    },
    ({ statusCode, headers: upstreamHeaders }) => {
      for (const k of hopByHop) delete upstreamHeaders[k];
      res.writeHead(statusCode, upstreamHeaders);
      return res;
    },
    (err) => {
      if (err && !res.headersSent) res.writeHead(502).end();
    },
  );
}
http.createServer(handle).listen(httpPort, "127.0.0.1");
https
  .createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.3" }, handle)
  .listen(httpsPort, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
