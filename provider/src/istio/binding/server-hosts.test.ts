import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serverHostsVisibleTo } from "./server-hosts";
import { resolveShortHost } from "./short-host";

describe("serverHostsVisibleTo", () => {
  const server = (hosts: string[]) => ({ port: { number: 80, protocol: "HTTP", name: "http" }, hosts });
  // Istio's namespace-prefixed server hosts, Gateway in istio-system.
  const cases: Array<[string[], string, string[]]> = [
    [["testing-01.com"], "default", ["testing-01.com"]],
    [["*/testing-01.com"], "default", ["testing-01.com"]],
    [["./testing-01.com"], "istio-system", ["testing-01.com"]],
    [["./testing-01.com"], "default", []],
    [["default/testing-01.com"], "default", ["testing-01.com"]],
    [["default/testing-01.com"], "istio-system", []],
    [["*/*"], "default", ["*"]],
    [["istio-system/*"], "istio-system", ["*"]],
    [["istio-system/*"], "default", []],
    [["a.com", "*/*", "./b.com"], "default", ["*"]],
  ];
  for (const [hosts, vsNs, want] of cases) {
    it(`${JSON.stringify(hosts)} seen from ${vsNs}`, () =>
      assert.deepEqual(serverHostsVisibleTo(server(hosts), "istio-system", vsNs), want));
  }
});

describe("resolveShortHost", () => {
  const cases: Array<[string, string]> = [
    ["reviews", "reviews.default.svc.cluster.local"],
    ["reviews.default", "reviews.default"],
    ["*", "*"],
    ["*.example.com", "*.example.com"],
    ["10.0.0.1", "10.0.0.1"],
    ["::1", "::1"],
  ];
  for (const [host, want] of cases)
    it(`${host} is ${want}`, () => assert.equal(resolveShortHost(host, "default"), want));
});
