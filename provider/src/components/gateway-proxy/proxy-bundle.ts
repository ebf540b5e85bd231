/**
 * The proxy as the zero-build Deployment runs it: the `istio-gateway` command line bundled by
 * esbuild into one CommonJS file, compressed with Brotli so that it fits a ConfigMap (1 MiB), and
 * a small loader that decompresses it in memory (the root file system is read-only) and runs it.
 *
 * Deterministic on purpose: the same sources, esbuild and Node.js give byte-identical output, so
 * an unchanged proxy gives an unchanged ConfigMap and `pulumi preview` shows no diff.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import type { BuildOptions } from "esbuild";

/** The bundled proxy. */
export interface ProxyBundle {
  /** The bundle, Brotli-compressed: the ConfigMap's `proxy.js.br`. */
  compressed: Buffer;
  /** Size of the bundle before compression, in bytes. */
  size: number;
  /** Hex SHA-256 of the uncompressed bundle: names the ConfigMap, so a new proxy rolls the pods. */
  sha256: string;
}

/** The package root (`provider/`), where the bundle's entry resolves from. */
export const PACKAGE_ROOT = join(__dirname, "..", "..", "..");

/** Where the ConfigMap is mounted in the pod. */
export const BUNDLE_MOUNT_PATH = "/etc/istio-gateway";

/** The ConfigMap key of the loader, run by `node`. */
export const LOADER_KEY = "main.js";

/** The ConfigMap key of the compressed bundle. */
export const BUNDLE_KEY = "proxy.js.br";

/** A ConfigMap holds at most 1 MiB; leave room for the loader and the object's metadata. */
export const CONFIGMAP_BUNDLE_LIMIT = 1_000_000;

// The entry is the command line itself, so the pod runs exactly `istio-gateway proxy ...`.
const ENTRY = `require("./src/cli/main").main(process.argv.slice(2)).then((code) => { process.exitCode = code; });`;

/** What esbuild is asked: everything that can change the output is fixed here. */
export function bundleOptions(root: string = PACKAGE_ROOT): BuildOptions {
  return {
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: "istio-gateway-proxy.js", loader: "js" },
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    charset: "utf8",
    write: false,
    logLevel: "silent",
  };
}

/**
 * The loader: reads the compressed bundle next to it, decompresses it and runs it as the main
 * module would run, so `process.argv` and `require` behave as for `node proxy.js`.
 */
export const LOADER_SOURCE = `"use strict";
// Runs the Brotli-compressed istio-gateway bundle next to this file (generated; do not edit).
const { readFileSync } = require("node:fs");
const { brotliDecompressSync } = require("node:zlib");
const Module = require("node:module");
const file = require("node:path").join(__dirname, "proxy.js");
const bundle = new Module(file, module);
bundle.filename = file;
bundle.paths = [];
bundle._compile(brotliDecompressSync(readFileSync(file + ".br")).toString("utf8"), file);
`;

/** Compresses a bundle with fixed parameters (same input, same bytes). */
export function compressBundle(code: Uint8Array): Buffer {
  return brotliCompressSync(code, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: code.length,
    },
  });
}

/** The bundle itself, uncompressed: what provider/Dockerfile puts in a custom image. */
export async function buildProxyCode(root: string = PACKAGE_ROOT): Promise<Uint8Array> {
  // Loaded lazily: only a zero-build deployment needs esbuild, and its start-up is not free.
  const esbuild = await import("esbuild");
  const result = await esbuild.build(bundleOptions(root));
  const code = result.outputFiles?.[0]?.contents;
  if (code === undefined) throw new Error("esbuild produced no output for the proxy bundle");
  return code;
}

/** Bundles the proxy from the sources under `root` (default: this package). */
export async function buildProxyBundle(root: string = PACKAGE_ROOT): Promise<ProxyBundle> {
  const code = await buildProxyCode(root);
  const compressed = compressBundle(code);
  const encoded = Math.ceil(compressed.length / 3) * 4;
  if (encoded > CONFIGMAP_BUNDLE_LIMIT) {
    throw new Error(
      `the proxy bundle is ${encoded} bytes in base64, more than a ConfigMap holds (${CONFIGMAP_BUNDLE_LIMIT}): set "image" to a custom image built with provider/Dockerfile`,
    );
  }
  return { compressed, size: code.length, sha256: createHash("sha256").update(code).digest("hex") };
}

let cached: Promise<ProxyBundle> | undefined;

/** The bundle of this package's proxy, built once per process (every GatewayProxy ships the same). */
export function proxyBundle(): Promise<ProxyBundle> {
  cached ??= buildProxyBundle();
  return cached;
}
