import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pulumiEnvironment } from "./pulumi-cli";

describe("pulumi CLI environment", () => {
  it("points the CLI at the local backend, passphrase and plugin cache, and this node first on PATH", () => {
    assert.deepEqual(
      pulumiEnvironment(
        { PATH: "/usr/bin:/bin", HOME: "/home/dev", PULUMI_HOME: "/home/dev/.pulumi" },
        { dir: "/tmp/p", passphrase: "pw", nodeDir: "/opt/node/bin", env: { KUBECONFIG: "/tmp/k" } },
      ),
      {
        PATH: "/opt/node/bin:/usr/bin:/bin",
        HOME: "/home/dev",
        PULUMI_HOME: "/tmp/p/home",
        PULUMI_BACKEND_URL: "file:///tmp/p/state",
        PULUMI_CONFIG_PASSPHRASE: "pw",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        KUBECONFIG: "/tmp/k",
      },
    );
  });

  it("works without a PATH", () => {
    assert.equal(pulumiEnvironment({}, { dir: "/d", passphrase: "p", nodeDir: "/n" }).PATH, "/n");
  });
});
