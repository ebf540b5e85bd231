// The zero-build proxy: the bundle is byte-identical from build to build (an unchanged proxy makes
// no diff), fits a ConfigMap, and the loader the pod runs starts the command line from it with a
// read-only copy of the ConfigMap's files, as the pod mounts them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { brotliDecompressSync } from "node:zlib";
import { configMapName, proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import type { ProxyBundle } from "../../provider/src/components/gateway-proxy/proxy-bundle";
import {
  BUNDLE_KEY,
  buildProxyBundle,
  CONFIGMAP_BUNDLE_LIMIT,
  LOADER_KEY,
} from "../../provider/src/components/gateway-proxy/proxy-bundle";
import { bookinfoSettings } from "./fixtures";

const run = promisify(execFile);

describe("proxy bundle", { timeout: 600_000 }, () => {
  let first: ProxyBundle;
  let second: ProxyBundle;
  let dir: string;
  before(async () => {
    first = await buildProxyBundle();
    second = await buildProxyBundle();
    // The ConfigMap's files as the pod sees them: read-only, in their own directory.
    dir = mkdtempSync(join(tmpdir(), "igw-bundle-"));
    const configMap = proxyManifests(
      bookinfoSettings({ bundle: { sha256: first.sha256, base64: first.compressed.toString("base64") } }),
    ).configMap as unknown as { data: Record<string, string>; binaryData: Record<string, string> };
    writeFileSync(join(dir, LOADER_KEY), configMap.data[LOADER_KEY]);
    writeFileSync(join(dir, BUNDLE_KEY), Buffer.from(configMap.binaryData[BUNDLE_KEY], "base64"));
    for (const f of [LOADER_KEY, BUNDLE_KEY]) chmodSync(join(dir, f), 0o444);
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("is byte-identical from one build to the next", () => {
    assert.equal(first.sha256, second.sha256);
    assert.ok(first.compressed.equals(second.compressed), "compressed bundles differ");
  });

  it("gives the same ConfigMap, named by the bundle's hash, so an unchanged proxy makes no diff", () => {
    const cm = (b: ProxyBundle) =>
      proxyManifests(
        bookinfoSettings({ bundle: { sha256: b.sha256, base64: b.compressed.toString("base64") } }),
      ).configMap;
    assert.deepEqual(cm(first), cm(second));
    assert.equal(cm(first)?.metadata.name, configMapName("ingress", first.sha256));
    assert.match(cm(first)?.metadata.name ?? "", /^ingress-proxy-[0-9a-f]{12}$/);
  });

  it("decompresses to the bundle it was made from", () => {
    assert.equal(brotliDecompressSync(first.compressed).length, first.size);
  });

  it("fits a ConfigMap", () => {
    const encoded = first.compressed.toString("base64").length;
    console.log(`bundle: ${first.size} bytes, ${first.compressed.length} compressed, ${encoded} in base64`);
    assert.ok(encoded <= CONFIGMAP_BUNDLE_LIMIT, `${encoded} bytes in base64`);
  });

  it("runs the istio-gateway command line through the loader", async () => {
    const { stdout } = await run(process.execPath, [join(dir, LOADER_KEY), "--help"], { timeout: 60_000 });
    assert.equal(stdout.split("\n")[0], "Usage: istio-gateway [options] [command]");
  });

  it("runs the proxy command with its Kubernetes mode", async () => {
    const { stdout } = await run(process.execPath, [join(dir, LOADER_KEY), "proxy", "--help"], {
      timeout: 60_000,
    });
    assert.match(stdout, /--kubernetes/);
  });
});
