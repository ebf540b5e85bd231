#!/usr/bin/env node
// Entry point of the `istio-gateway` command: loads the TypeScript sources through tsx, so the
// command runs straight from a checkout after `npm ci` with no build step.
"use strict";
require("tsx/cjs/api").register();
// tsx compiles a module it has not cached through esbuild's service: a child process and a worker
// thread that stay for the life of the process, 15 to 20 MB between them. A proxy serving has
// loaded every module it runs on, so they go then (a later require would start them again).
process.once("istio-gateway:serving", () => {
  void require("esbuild").stop();
});
require("../src/cli/main.ts")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
