// Istio's own test tables for pkg/config/host (name_test.go, names_test.go) and the host syntax
// helpers (pkg/config/validation/agent/validation_test.go), re-stated here with Istio's verdicts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isIPAddress,
  validateFQDN,
  validateGatewayBoundVirtualServiceHost,
  validateWildcardDomain,
} from "./dns";
import { compareSpecificity, matches, moreSpecific, subsetOf } from "./name";
import { intersection, namesForNamespace } from "./names";

const x = (n: number): string => "x".repeat(n);

describe("TestNameMatches", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ["empty", "", "", true],
    ["mixed case", "a.facebook.com", "*.facebook.COM", false],
    ["first empty", "", "foo.com", false],
    ["second empty", "foo.com", "", false],
    ["non-wildcard domain", "foo.com", "foo.com", true],
    ["non-wildcard domain", "bar.com", "foo.com", false],
    ["non-wildcard domain - order doesn't matter", "foo.com", "bar.com", false],
    ["domain does not match subdomain", "bar.foo.com", "foo.com", false],
    ["domain does not match subdomain - order doesn't matter", "foo.com", "bar.foo.com", false],
    ["wildcard matches subdomains", "*.com", "foo.com", true],
    ["wildcard matches subdomains", "*.com", "bar.com", true],
    ["wildcard matches subdomains", "*.foo.com", "bar.foo.com", true],
    ["wildcard matches anything", "*", "foo.com", true],
    ["wildcard matches anything", "*", "*.com", true],
    ["wildcard matches anything", "*", "com", true],
    ["wildcard matches anything", "*", "*", true],
    ["wildcard matches anything", "*", "", true],
    ["wildcarded domain matches wildcarded subdomain", "*.com", "*.foo.com", true],
    ["wildcarded sub-domain does not match domain", "foo.com", "*.foo.com", false],
    ["wildcarded sub-domain does not match domain - order doesn't matter", "*.foo.com", "foo.com", false],
    ["long wildcard does not match short host", "*.foo.bar.baz", "baz", false],
    ["long wildcard does not match short host - order doesn't matter", "baz", "*.foo.bar.baz", false],
    ["long wildcard matches short wildcard", "*.foo.bar.baz", "*.baz", true],
    ["long name matches short wildcard", "foo.bar.baz", "*.baz", true],
  ];
  cases.forEach(([name, a, b, want], i) => it(`[${i}] ${name}`, () => assert.equal(matches(a, b), want)));
});

describe("TestNameSubsetOf", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ["empty", "", "", true],
    ["first empty", "", "foo.com", false],
    ["second empty", "foo.com", "", false],
    ["non-wildcard domain", "foo.com", "foo.com", true],
    ["non-wildcard domain", "bar.com", "foo.com", false],
    ["non-wildcard domain - order doesn't matter", "foo.com", "bar.com", false],
    ["domain does not match subdomain", "bar.foo.com", "foo.com", false],
    ["domain does not match subdomain - order doesn't matter", "foo.com", "bar.foo.com", false],
    ["wildcard matches subdomains", "foo.com", "*.com", true],
    ["wildcard matches subdomains", "bar.com", "*.com", true],
    ["wildcard matches subdomains", "bar.foo.com", "*.foo.com", true],
    ["wildcard matches anything", "foo.com", "*", true],
    ["wildcard matches anything", "*.com", "*", true],
    ["wildcard matches anything", "com", "*", true],
    ["wildcard matches anything", "*", "*", true],
    ["wildcard matches anything", "", "*", true],
    ["wildcarded domain matches wildcarded subdomain", "*.foo.com", "*.com", true],
    ["wildcarded sub-domain does not match domain", "*.foo.com", "foo.com", false],
    ["long wildcard does not match short host", "*.foo.bar.baz", "baz", false],
    ["long name matches short wildcard", "foo.bar.baz", "*.baz", true],
  ];
  cases.forEach(([name, a, b, want], i) => it(`[${i}] ${name}`, () => assert.equal(subsetOf(a, b), want)));
});

describe("BenchmarkNameMatch table", () => {
  const cases: Array<[string, string, boolean]> = [
    ["foo.com", "foo.com", true],
    ["*.com", "foo.com", true],
    ["*.foo.com", "bar.foo.com", true],
    ["*", "foo.com", true],
    ["*", "*.com", true],
    ["*", "", true],
    ["*.com", "*.foo.com", true],
    ["foo.com", "*.foo.com", false],
    ["*.foo.bar.baz", "baz", false],
  ];
  cases.forEach(([a, b, want], i) => it(`[${i}] ${a} ${b}`, () => assert.equal(matches(a, b), want)));
});

describe("TestNamesIntersection", () => {
  const cases: Array<[string[], string[], string[]]> = [
    [["foo,com"], ["bar.com"], []],
    [["foo.com", "bar.com"], ["bar.com"], ["bar.com"]],
    [["foo.com", "bar.com"], ["*.com"], ["foo.com", "bar.com"]],
    [["*.com"], ["foo.com", "bar.com"], ["foo.com", "bar.com"]],
    [
      ["foo.com", "*.net"],
      ["*.com", "bar.net"],
      ["foo.com", "bar.net"],
    ],
    [["foo.com", "*.net"], ["*.bar.net"], ["*.bar.net"]],
    [["foo.com", "bar.net"], ["*"], ["foo.com", "bar.net"]],
    [["foo.com"], [], []],
    [[], ["bar.com"], []],
    [["*", "foo.com"], ["foo.com"], ["foo.com"]],
    [["*"], ["foo.com"], ["foo.com"]],
    [["foo.com"], ["Foo.com"], []],
  ];
  cases.forEach(([a, b, want], i) => it(`${i}`, () => assert.deepEqual(intersection(a, b), want)));
});

describe("TestNamesForNamespace", () => {
  const cases: Array<[string[], string, string[]]> = [
    [["ns1/foo.com", "ns2/bar.com"], "ns1", ["foo.com"]],
    [["ns1/foo.com", "ns2/bar.com"], "ns3", []],
    [["ns1/foo.com", "*/bar.com"], "ns1", ["foo.com", "bar.com"]],
    [["ns1/foo.com", "*/bar.com"], "ns3", ["bar.com"]],
    [["foo.com", "ns2/bar.com"], "ns2", ["foo.com", "bar.com"]],
    [["foo.com", "ns2/bar.com"], "ns3", ["foo.com"]],
  ];
  cases.forEach(([hosts, ns, want], i) =>
    it(`${i}`, () => assert.deepEqual(namesForNamespace(hosts, ns), want)),
  );
});

describe("TestNamesSortOrder", () => {
  const cases: Array<[string[], string[]]> = [
    [
      ["b", "a"],
      ["a", "b"],
    ],
    [
      ["bb", "cc", "aa"],
      ["aa", "bb", "cc"],
    ],
    [
      ["b", "a", "aa"],
      ["aa", "a", "b"],
    ],
    [
      ["foo.com", "bar.com", "foo.bar.com"],
      ["foo.bar.com", "bar.com", "foo.com"],
    ],
    [
      ["a", "*", "z"],
      ["a", "z", "*"],
    ],
    [
      ["foo.com", "bar.com", "*.com"],
      ["bar.com", "foo.com", "*.com"],
    ],
    [
      ["foo.com", "bar.com", "*.com", "*.foo.com", "*", "baz.bar.com"],
      ["baz.bar.com", "bar.com", "foo.com", "*.foo.com", "*.com", "*"],
    ],
  ];
  cases.forEach(([input, want], i) =>
    it(`${i}`, () => assert.deepEqual([...input].sort(compareSpecificity), want)),
  );
});

describe("TestMoreSpecific", () => {
  const cases: Array<[string, string, boolean, string]> = [
    ["", "", true, "Both hostnames are empty"],
    ["", "example.com", false, "One hostname is empty, other is not"],
    ["example.com", "", true, "One hostname is empty, other is not"],
    ["example.com", "example.net", true, "Hostnames have the same length and are compared alphabetically"],
    ["example.net", "example.com", false, "Hostnames have the same length and are compared alphabetically"],
    [
      "example.com",
      "test.example.com",
      false,
      "Hostnames have different lengths, longer hostname is more specific",
    ],
    [
      "test.example.com",
      "example.com",
      true,
      "Hostnames have different lengths, longer hostname is more specific",
    ],
    ["*.example.com", "*.example.co.in", false, "Hostnames have different lengths and both have wildcards"],
    ["*.example.co.in", "*.example.com", true, "Hostnames have different lengths and both have wildcards"],
    ["*.example.com", "example.net", false, "One hostname has a wildcard but the other does not"],
    ["example.net", "*.example.com", true, "One hostname has a wildcard but the other does not"],
  ];
  cases.forEach(([a, b, want, name], i) =>
    it(`[${i}] ${name}`, () => assert.equal(moreSpecific(a, b), want)),
  );
});

describe("TestValidateFQDN", () => {
  const cases: Array<[string, string, boolean]> = [
    ["long FQDN", x(256), false],
    ["empty FQDN", "", false],
    ["standard FQDN", "istio.io", true],
    ["unambiguous FQDN", "istio.io.", true],
    ["standard kubernetes FQDN", "istio-pilot.istio-system.svc.cluster.local", true],
    ["unambiguous kubernetes FQDN", "istio-pilot.istio-system.svc.cluster.local.", true],
  ];
  for (const [name, h, valid] of cases) it(name, () => assert.equal(validateFQDN(h) === undefined, valid));
});

describe("TestValidateWildcardDomain", () => {
  const cases: Array<[string, string, boolean]> = [
    ["empty", "", false],
    ["too long", x(256), false],
    ["happy", x(63), true],
    ["wildcard", "*", true],
    ["wildcard multi-segment", "*.bar.com", true],
    ["wildcard single segment", "*foo", true],
    ["wildcard prefix", "*foo.bar.com", true],
    ["wildcard prefix dash", "*-foo.bar.com", true],
    ["bad wildcard", "foo.*.com", false],
    ["bad wildcard", "foo*.bar.com", false],
    ["IP address", "1.1.1.1", false],
  ];
  cases.forEach(([name, h, valid], i) =>
    it(`[${i}] ${name}`, () => assert.equal(validateWildcardDomain(h) === undefined, valid)),
  );
});

describe("TestValidateWildcardDomainForVirtualServiceBoundToGateway", () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    ["empty", "", false, false],
    ["too long", x(256), false, false],
    ["happy", x(63), false, true],
    ["wildcard", "*", false, true],
    ["wildcard multi-segment", "*.bar.com", false, true],
    ["wildcard single segment", "*foo", false, true],
    ["wildcard prefix", "*foo.bar.com", false, true],
    ["wildcard prefix dash", "*-foo.bar.com", false, true],
    ["bad wildcard", "foo.*.com", false, false],
    ["bad wildcard", "foo*.bar.com", false, false],
    ["IP address", "1.1.1.1", false, false],
    ["SNI domain", "outbound_.80_._.e2e.foobar.mesh", true, true],
    ["happy", "outbound.com", true, true],
    ["invalid SNI domain", "neverbound_.80_._.e2e.foobar.mesh", true, false],
    ["invalid SNI domain", "outbound_.thisIsNotAPort_._.e2e.foobar.mesh", true, false],
    ["invalid SNI domain", "outbound_.80_._", true, false],
  ];
  cases.forEach(([name, h, sni, valid], i) =>
    it(`[${i}] ${name}`, () =>
      assert.equal(validateGatewayBoundVirtualServiceHost(sni, h) === undefined, valid)),
  );
});

describe("TestValidationIPAddress", () => {
  const cases: Array<[string, string, boolean]> = [
    ["valid ipv4 address", "1.1.1.1", true],
    ["invalid ipv4 address", "1.1.A.1", false],
    ["valid ipv6 subnet", "2001:1::1", true],
    ["invalid ipv6 address", "2001:1:G::1", false],
  ];
  for (const [name, addr, valid] of cases) it(name, () => assert.equal(isIPAddress(addr), valid));
});
