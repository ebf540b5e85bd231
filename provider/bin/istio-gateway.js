#!/usr/bin/env node
// Entry point of the `istio-gateway` command: loads the TypeScript sources through tsx, so the
// command runs straight from a checkout after `npm ci` with no build step.
"use strict";
require("tsx/cjs/api").register();
require("../src/cli/main.ts")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
