// Preloaded (`node --require`) by lazy-loading.test.ts: when the process exits, prints on stderr
// which of the heavy parts of the command were loaded, as one line `LOADED {...}`.
"use strict";
process.on("exit", () => {
  const loaded = Object.keys(require.cache);
  const has = (part) => loaded.some((file) => file.includes(part));
  const report = {
    proxyRuntime: has("/provider/src/proxy/gateway-proxy.ts"),
    kubernetesClient: has("/node_modules/@kubernetes/client-node/"),
  };
  process.stderr.write(`LOADED ${JSON.stringify(report)}\n`);
});
