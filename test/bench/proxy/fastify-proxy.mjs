// A Node anchor of the issue: fastify with @fastify/http-proxy (through @fastify/reply-from and its
// default undici pool of 128 connections), the same rule as the other gateways: host
// bench.example.com (a fastify route constraint), path prefix /api/ forwarded unchanged, fastify's
// own 404 otherwise. No request logging, as bare-undici-proxy.mjs has none. The packages are not
// project dependencies: proxy.sh installs them into MODULES_DIR, and they are loaded from there.
// Usage: node fastify-proxy.mjs HTTP_PORT HTTPS_PORT UPSTREAM_PORT CERT_FILE KEY_FILE MODULES_DIR
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [httpPort, httpsPort, upstreamPort] = process.argv.slice(2, 5).map(Number);
const [certFile, keyFile, modulesDir] = process.argv.slice(5, 8);
const require = createRequire(join(modulesDir, "package.json"));
const fastify = require("fastify");
const httpProxy = require("@fastify/http-proxy");
const hopByHop = ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"];

async function start(port, https) {
  const app = fastify({ https });
  await app.register(httpProxy, {
    upstream: `http://127.0.0.1:${upstreamPort}`,
    prefix: "/api",
    rewritePrefix: "/api",
    // Only /api/*: the default routes would also take "/api", which the other gateways refuse.
    routes: ["/*"],
    constraints: { host: /^bench\.example\.com(:\d+)?$/ },
    // reply-from copies the upstream's hop-by-hop headers to HTTP/1.1 clients: its "connection:
    // keep-alive" overrides a client's Connection: close, and node then refuses that client's next
    // request with a 400. Drop them, as the other Node proxies do.
    replyOptions: {
      rewriteHeaders: (headers) => {
        const kept = { ...headers };
        for (const k of hopByHop) delete kept[k];
        return kept;
      },
    },
  });
  await app.listen({ port, host: "127.0.0.1" });
}
await start(httpPort, null);
await start(httpsPort, { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.3" });
process.on("SIGTERM", () => process.exit(0));
