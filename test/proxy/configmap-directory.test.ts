// A directory laid out as Kubernetes mounts a ConfigMap: each file a link through the hidden `..data`
// link to a hidden directory of the current version, which the kubelet replaces by making a new
// version's directory and renaming a new `..data` link over the old one. The proxy reads the files
// through their links and takes each new version as the swap happens.
import assert from "node:assert/strict";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { curl } from "./support/curl";
import { documents, httpGateway, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Every host answered with `body`. */
const config = (body: string) =>
  documents(
    httpGateway(8080),
    `${virtualServiceHead()}  - directResponse: {status: 200, body: {string: ${body}}}\n`,
  );

describe("a mounted ConfigMap directory", () => {
  const dir = new ConfigDir();
  let proxy: GatewayProxy;

  /** Writes version `name` of the ConfigMap and points `..data` at it, as the kubelet does. */
  const publish = (name: string, body: string) => {
    mkdirSync(join(dir.dir, `..${name}`));
    writeFileSync(join(dir.dir, `..${name}`, "gateway.yaml"), config(body));
    symlinkSync(`..${name}`, join(dir.dir, "..data_tmp"));
    renameSync(join(dir.dir, "..data_tmp"), join(dir.dir, "..data"));
  };

  before(async () => {
    publish("2026_11_28_v1", "first");
    symlinkSync(join("..data", "gateway.yaml"), join(dir.dir, "gateway.yaml"));
    proxy = await startFileProxy([dir.dir], [8080], []);
  });
  after(async () => {
    await proxy.close();
    dir.dispose();
  });

  const answer = async () => (await curl([`http://127.0.0.1:${proxy.boundPorts().get(8080)!}/`])).body;

  it("is read through its links", async () => {
    assert.equal(await answer(), "first");
    assert.equal(proxy.config?.listeners.length, 1);
  });

  it("takes a new version when the kubelet swaps ..data", async () => {
    publish("2026_11_28_v2", "second");
    const until = Date.now() + 5000;
    while ((await answer()) !== "second" && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await answer(), "second");
  });
});
