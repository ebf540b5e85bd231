import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GatewayHostProblem } from "./gateway-host";
import { validateGatewayHost } from "./gateway-host";

describe("validateGatewayHost", () => {
  const short = (h: string): GatewayHostProblem => ({
    rule: "short-name",
    message: `must be a fully qualified domain name or "*" (got ${JSON.stringify(h)})`,
  });
  const cases: Array<[string, GatewayHostProblem[]]> = [
    ["foo.bar.com", []],
    ["*", []],
    ["*/*", []],
    ["./foo.com", []],
    ["ns1/*.foo.com", []],
    ["1.1.1.1", []],
    ["foo", [short("foo")]],
    [
      "foo.*.com",
      [
        {
          rule: "domain",
          message: `each label must be 1 to 63 letters, digits or "-", not starting or ending with "-" (got "*" in "foo.*.com")`,
        },
        {
          rule: "partial-wildcard",
          message: `a wildcard must be the whole host or its whole first label, as in "*.example.com" (got "foo.*.com")`,
        },
      ],
    ],
    ["ns1/foo", [short("foo")]],
    ["::1", [short("::1")]],
    [
      "~/foo.bar.com",
      [
        {
          rule: "namespace",
          message: `namespace must be "*", "." or a DNS-1123 label (got "~" in "~/foo.bar.com")`,
        },
      ],
    ],
    [
      "*bar.com",
      [
        {
          rule: "partial-wildcard",
          message: `a wildcard must be the whole host or its whole first label, as in "*.example.com" (got "*bar.com")`,
        },
      ],
    ],
    [
      "/foo.com",
      [
        {
          rule: "empty-part",
          message: `namespace and host name on either side of "/" must not be empty (got "/foo.com")`,
        },
        {
          rule: "namespace",
          message: `namespace must be "*", "." or a DNS-1123 label (got "" in "/foo.com")`,
        },
      ],
    ],
    [
      "ns/",
      [
        {
          rule: "empty-part",
          message: `namespace and host name on either side of "/" must not be empty (got "ns/")`,
        },
        short(""),
        { rule: "domain", message: `must not be empty (got "")` },
      ],
    ],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.deepEqual(validateGatewayHost(s), want));

  it("accepts the ~ namespace only with Gateway API semantics", () => {
    assert.deepEqual(validateGatewayHost("~/foo.bar.com", true), []);
  });
});
