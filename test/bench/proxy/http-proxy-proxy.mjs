// A Node anchor of the issue: the `http-proxy` package (node-http-proxy) on a node:http server,
// forwarding every request for host bench.example.com, path prefix /api/ to one upstream over a
// keep-alive http.Agent, 404 otherwise; the same rule as bare-undici-proxy.mjs. No metrics, no
// access log. The package is not a project dependency: proxy.sh installs it into MODULES_DIR, and
// it is loaded from there.
// Usage: node http-proxy-proxy.mjs HTTP_PORT HTTPS_PORT UPSTREAM_PORT CERT_FILE KEY_FILE MODULES_DIR
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import { join } from "node:path";

const [httpPort, httpsPort, upstreamPort] = process.argv.slice(2, 5).map(Number);
const [certFile, keyFile, modulesDir] = process.argv.slice(5, 8);
const require = createRequire(join(modulesDir, "package.json"));
const { createProxyServer } = require("http-proxy");

// Without an agent of its own, http-proxy asks the upstream to close every connection.
const proxy = createProxyServer({
  target: `http://127.0.0.1:${upstreamPort}`,
  agent: new http.Agent({ keepAlive: true, maxSockets: 128 }),
});
proxy.on("error", (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});

function handle(req, res) {
  if (req.headers.host?.split(":")[0] !== "bench.example.com" || !req.url.startsWith("/api/")) {
    res.writeHead(404).end();
    return;
  }
  proxy.web(req, res);
}
http.createServer(handle).listen(httpPort, "127.0.0.1");
https
  .createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.3" }, handle)
  .listen(httpsPort, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
