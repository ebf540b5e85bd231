import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProxyConfig } from "./proxy-config";
import { redactProxyConfig } from "./redact";

test("redactProxyConfig replaces inline PEM with its origin and keeps file paths", () => {
  const config = {
    version: "v",
    listeners: [
      {
        tls: {
          certificates: [
            {
              certificateChain: { inline: "-----BEGIN CERTIFICATE-----", origin: 'Secret ns/c["tls.crt"]' },
              privateKey: { filename: "/etc/key.pem" },
            },
          ],
        },
      },
    ],
    clusters: [],
  } as unknown as ProxyConfig;
  assert.deepEqual(redactProxyConfig(config), {
    version: "v",
    listeners: [
      {
        tls: {
          certificates: [
            {
              certificateChain: { redacted: 'Secret ns/c["tls.crt"]' },
              privateKey: { filename: "/etc/key.pem" },
            },
          ],
        },
      },
    ],
    clusters: [],
  });
});
