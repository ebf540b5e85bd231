// A Node anchor of the issue: a bare node:http server forwarding every request for host
// bench.example.com, path prefix /api/ to one upstream with http.request over a keep-alive
// http.Agent, piping both bodies, 404 otherwise; the same rule and header handling as
// bare-undici-proxy.mjs, with node's own HTTP client in place of undici. No metrics, no access log.
// Usage: node node-http-agent-proxy.mjs HTTP_PORT HTTPS_PORT UPSTREAM_PORT CERT_FILE KEY_FILE
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

const [httpPort, httpsPort, upstreamPort] = process.argv.slice(2, 5).map(Number);
const [certFile, keyFile] = process.argv.slice(5, 7);
// As many sockets as the undici Pool of bare-undici-proxy.mjs has connections.
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

function handle(req, res) {
  if (req.headers.host?.split(":")[0] !== "bench.example.com" || !req.url.startsWith("/api/")) {
    res.writeHead(404).end();
    return;
  }
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k)) headers[k] = v;
  const upstream = http.request(
    { agent, host: "127.0.0.1", port: upstreamPort, path: req.url, method: req.method, headers },
    (upstreamRes) => {
      const upstreamHeaders = {};
      for (const [k, v] of Object.entries(upstreamRes.headers)) if (!hopByHop.has(k)) upstreamHeaders[k] = v;
      res.writeHead(upstreamRes.statusCode, upstreamHeaders);
      upstreamRes.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  // A client that goes away takes its upstream request with it, as undici's stream does.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
http.createServer(handle).listen(httpPort, "127.0.0.1");
https
  .createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.3" }, handle)
  .listen(httpsPort, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
