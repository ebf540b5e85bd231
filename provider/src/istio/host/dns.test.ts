import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isDNS1123Label,
  isIPAddress,
  isWildcardDNS1123Label,
  validateFQDN,
  validateGatewayBoundVirtualServiceHost,
  validatePartialWildcard,
  validateVirtualServiceHost,
  validateWildcardDomain,
} from "./dns";

const labelRule = `each label must be 1 to 63 letters, digits or "-", not starting or ending with "-"`;
const firstLabelRule = `first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-"`;

describe("isDNS1123Label / isWildcardDNS1123Label", () => {
  const cases: Array<[string, boolean, boolean]> = [
    ["foo", true, true],
    ["Foo-1", true, true],
    ["-foo", false, false],
    ["foo-", false, false],
    ["", false, false],
    ["a".repeat(63), true, true],
    ["a".repeat(64), false, false],
    ["*", false, true],
    ["*foo", false, true],
    ["*-foo", false, true],
    ["*--foo", false, false],
    ["foo*", false, false],
    ["**", false, false],
    ["fo_o", false, false],
  ];
  for (const [s, label, wildcard] of cases) {
    it(JSON.stringify(s), () =>
      assert.deepEqual([isDNS1123Label(s), isWildcardDNS1123Label(s)], [label, wildcard]),
    );
  }
});

describe("isIPAddress (Go netip.ParseAddr)", () => {
  const cases: Array<[string, boolean]> = [
    ["1.1.1.1", true],
    ["255.255.255.255", true],
    ["256.1.1.1", false],
    ["01.1.1.1", false],
    ["1.1.1", false],
    ["1.1.1.1.", false],
    ["1.1.A.1", false],
    ["::", true],
    ["::1", true],
    ["2001:1::1", true],
    ["2001:1:G::1", false],
    ["2001:db8::1%eth0", true],
    ["2001:db8::1%", false],
    ["%eth0", false],
    ["::ffff:1.2.3.4", true],
    ["1:2:3:4:5:6:1.2.3.4", true],
    ["1:2:3:4:5:1.2.3.4", false],
    ["1:2:3:4:5:6:7:8", true],
    ["1:2:3:4:5:6:7:8:9", false],
    ["1:2:3:4:5:6:7::8", false],
    ["1::2::3", false],
    ["12345::1", false],
    ["1:", false],
    [":1", false],
    ["[::1]", false],
    ["foo.com", false],
    ["", false],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.equal(isIPAddress(s), want));
});

describe("validateWildcardDomain", () => {
  const cases: Array<[string, string | undefined]> = [
    ["", `must not be empty (got "")`],
    ["x".repeat(256), `must be at most 255 bytes long (got 256 bytes)`],
    ["x".repeat(63), undefined],
    ["*", undefined],
    ["*.bar.com", undefined],
    ["*foo", undefined],
    ["*foo.bar.com", undefined],
    ["*-foo.bar.com", undefined],
    ["reviews", undefined],
    ["istio.io.", undefined],
    ["*.", undefined],
    ["foo.*.com", `${labelRule} (got "*" in "foo.*.com")`],
    ["foo*.bar.com", `${firstLabelRule} (got "foo*" in "foo*.bar.com")`],
    ["1.1.1.1", `top-level domain must not be all-numeric (got "1" in "1.1.1.1")`],
    ["foo.-1", `top-level domain must not be all-numeric (got "-1" in "foo.-1")`],
    // Go's strconv.Atoi fails on overflow, so Istio does not see this top-level domain as numeric.
    ["foo.99999999999999999999", undefined],
    ["foo..com", `${labelRule} (got "" in "foo..com")`],
    ["my.domain.com:443", `${labelRule} (got "com:443" in "my.domain.com:443")`],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.equal(validateWildcardDomain(s), want));
});

describe("validateFQDN", () => {
  const cases: Array<[string, string | undefined]> = [
    ["istio.io", undefined],
    ["istio.io.", undefined],
    ["istio-pilot.istio-system.svc.cluster.local.", undefined],
    ["*.istio.io", `${labelRule} (got "*" in "*.istio.io")`],
    ["", `must not be empty (got "")`],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.equal(validateFQDN(s), want));
});

describe("validatePartialWildcard", () => {
  const rule = `a wildcard must be the whole host or its whole first label, as in "*.example.com"`;
  const cases: Array<[string, string | undefined]> = [
    ["*", undefined],
    ["*.foo.com", undefined],
    ["foo.com", undefined],
    ["*bar.com", `${rule} (got "*bar.com")`],
    ["foo.*.com", `${rule} (got "foo.*.com")`],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.equal(validatePartialWildcard(s), want));
});

describe("virtual service hosts", () => {
  const cases: Array<[string, boolean, boolean, string | undefined]> = [
    ["reviews", false, false, undefined],
    ["*foo.com", false, false, undefined],
    ["1.1.1.1", false, false, undefined],
    ["2001:db8::1", true, true, undefined],
    ["outbound_.80_._.e2e.foobar.mesh", true, true, undefined],
    ["outbound.com", true, true, undefined],
    [
      "neverbound_.80_._.e2e.foobar.mesh",
      true,
      true,
      `${firstLabelRule} (got "neverbound_" in "neverbound_.80_._.e2e.foobar.mesh")`,
    ],
    [
      "outbound_.thisIsNotAPort_._.e2e.foobar.mesh",
      true,
      true,
      `port part must contain a digit in the form "outbound_.<PORT>_._.<HOSTNAME>" (got "thisIsNotAPort" in "outbound_.thisIsNotAPort_._.e2e.foobar.mesh")`,
    ],
    [
      "outbound_.80_._",
      true,
      true,
      `host name part must contain a letter in the form "outbound_.<PORT>_._.<HOSTNAME>" (got "" in "outbound_.80_._")`,
    ],
    [
      "outbound_.80_.a.com",
      true,
      true,
      `must have the form "outbound_.<PORT>_._.<HOSTNAME>" (got "outbound_.80_.a.com")`,
    ],
    [
      "outbound_.80_._.e2e.foobar.mesh",
      true,
      false,
      `${firstLabelRule} (got "outbound_" in "outbound_.80_._.e2e.foobar.mesh")`,
    ],
  ];
  for (const [h, gatewayOnly, sni, want] of cases) {
    it(`${JSON.stringify(h)} gatewayOnly=${gatewayOnly} sni=${sni}`, () =>
      assert.equal(validateVirtualServiceHost(h, gatewayOnly, sni), want));
  }

  it("needs a letter in the host name part", () => {
    assert.equal(
      validateGatewayBoundVirtualServiceHost(true, "outbound_.80_._.1.2"),
      `host name part must contain a letter in the form "outbound_.<PORT>_._.<HOSTNAME>" (got "1.2" in "outbound_.80_._.1.2")`,
    );
  });
});
