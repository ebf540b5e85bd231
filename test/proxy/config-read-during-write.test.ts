// A configuration file read while it is being written is not taken. A reload already under way
// reads files at any moment, including between a writer's truncation and its write: taken, that
// empty read would stop every listener, and the next reload would bind them again (on another
// port when listening on port 0), refusing connections in between.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadProxyConfig } from "../../provider/src/proxy/config/config-loader";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { curl } from "./support/curl";
import { documents, httpGateway, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Every host answered with `name`. */
const config = (name: string) =>
  documents(
    httpGateway(8080),
    `${virtualServiceHead()}  - directResponse: {status: 200, body: {string: ${name}}}\n`,
  );

describe("a configuration read while it is written", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  let proxy: GatewayProxy;
  let file: string;
  /** Run by the next load, after it has read the files and before it returns what it read. */
  let afterRead: (() => Promise<void>) | undefined;

  before(async () => {
    file = dir.write("gw.yaml", config("one"));
    const identity = { namespace: "istio-system", labels: { istio: "ingressgateway" } };
    proxy = await startFileProxy([file], [8080], [], logs, undefined, {
      load: async () => {
        const read = await loadProxyConfig([file], identity);
        const hook = afterRead;
        afterRead = undefined;
        await hook?.();
        return read;
      },
    });
  });
  after(async () => {
    await proxy.close();
    dir.dispose();
  });

  it("is read again once the writer is done, and the listener never stops", async () => {
    const port = proxy.boundPorts().get(8080);
    const from = logs.length;
    // The moment between a writer's truncation and its write, read by a reload...
    dir.write("gw.yaml", "");
    afterRead = async () => {
      // ...which has read the empty file when the writer finishes.
      dir.write("gw.yaml", config("two"));
      await new Promise((r) => setTimeout(r, 100));
    };
    assert.equal(await proxy.reload(), true);
    assert.equal(afterRead, undefined, "the load ran with the write in the middle of it");
    const taken = logs.slice(from);
    assert.deepEqual(
      taken.filter((l) => l.includes("(none)") || l.includes("stopped")),
      [],
      taken.join("\n"),
    );
    assert.equal(proxy.boundPorts().get(8080), port);
    const r = await curl([`http://127.0.0.1:${port}/`]);
    assert.deepEqual([r.status, r.body], [200, "two"]);
  });
});
