/**
 * Istio's own analyzer test cases (`pkg/config/analysis/analyzers/analyzers_test.go`), run
 * through `analyzeResources`. Each case compares, per Istio message code and resource, what
 * Istio's analyzer reports with what we report under the codes standing for that analyzer.
 * Where we differ on purpose, `ours` says what we report and `why` says why.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeResources } from "../../provider/src/istio/analyze";
import { loadDocuments } from "../../provider/src/istio/load";
import type { Resource } from "../../provider/src/istio/model";

const dir = join(__dirname, "testdata", "istio");

/** Our codes for each Istio analyzer (a test case runs one analyzer). */
const ANALYZER_CODES = {
  IngressGatewayPortAnalyzer: ["IGW4007", "IGW4008"],
  SecretAnalyzer: ["IGW4005", "IGW4006", "IGW4007"],
  ConflictingGatewayAnalyzer: ["IGW4003"],
  CertificateAnalyzer: ["IGW4004"],
  GatewayAnalyzer: ["IGW4001", "IGW4002"],
  DestinationRuleAnalyzer: ["IGW4020"],
  DestinationHostAnalyzer: ["IGW4021"],
  ConflictingMeshGatewayHostsAnalyzer: ["IGW4022"],
  FieldAnalyzer: ["IGW4023"],
} as const;

interface ParityCase {
  /** Istio's test case name. */
  name: string;
  file: string;
  analyzer: keyof typeof ANALYZER_CODES;
  /** Istio's expectation: `IST0101 Gateway default/httpbin-gateway` (default namespace spelled out). */
  istio: string[];
  /** What we report, when it differs from `istio`. */
  ours?: string[];
  /** Why we differ. */
  why?: string;
}

const cases: ParityCase[] = [
  {
    name: "deprecation",
    file: "deprecation.yaml",
    analyzer: "FieldAnalyzer",
    // Istio also flags a Sidecar there; Sidecars are not part of this project's input.
    istio: ["IST0002 VirtualService foo/productpage"],
  },
  {
    name: "gatewayNoWorkload",
    file: "gateway-no-workload.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0101 Gateway default/httpbin-gateway"],
    ours: [],
    why: "selectors are checked against Pods only when the input has Pods (files rarely carry the gateway pods)",
  },
  {
    name: "gatewayBadPort",
    file: "gateway-no-port.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway default/httpbin-gateway"],
    ours: [],
    why: "ports are checked against Services only when the input has Services",
  },
  {
    name: "gatewayCorrectPort",
    file: "gateway-correct-port.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayCustomIngressGateway",
    file: "gateway-custom-ingressgateway.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayCustomIngressGatewayBadPort",
    file: "gateway-custom-ingressgateway-badport.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway default/httpbin-gateway"],
  },
  {
    name: "gatewayCustomIngressGatewayBadPortWithoutTarget",
    file: "gateway-custom-ingressgateway-badport-notarget.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway default/httpbin-gateway"],
  },
  {
    name: "gatewayCustomIngressGatewayTranslation",
    file: "gateway-custom-ingressgateway-translation.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayServiceMatchPod",
    file: "gateway-custom-ingressgateway-svcselector.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway default/httpbin8002-gateway"],
  },
  {
    name: "gatewaySecret",
    file: "gateway-secrets.yaml",
    analyzer: "SecretAnalyzer",
    istio: [
      "IST0101 Gateway default/defaultgateway-bogusCredentialName",
      "IST0101 Gateway default/customgateway-wrongnamespace",
      "IST0101 Gateway default/bogusgateway",
    ],
  },
  {
    name: "gatewaySecretValidations",
    file: "gateway-secrets-validation.yaml",
    analyzer: "SecretAnalyzer",
    istio: [
      "IST0161 Gateway default/defaultgateway-invalid-keys",
      "IST0161 Gateway default/defaultgateway-missing-keys",
      "IST0161 Gateway default/defaultgateway-invalid-cert",
      "IST0161 Gateway default/defaultgateway-expired",
    ],
  },
  {
    name: "conflicting gateways detect",
    file: "conflicting-gateways.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway default/alpha", "IST0145 Gateway default/beta"],
  },
  {
    name: "gateways with different port are non-conflicting",
    file: "gateway-different-port.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: [],
  },
  {
    name: "conflicting gateways with multiple port declarations",
    file: "conflicting-gateways-multiple-ports.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway default/alpha", "IST0145 Gateway default/beta"],
  },
  {
    name: "conflicting gateways detect by sub selector",
    file: "conflicting-gateways-subSelector.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway default/alpha", "IST0145 Gateway default/beta"],
  },
  {
    name: "conflicting gateways detect: no port",
    file: "conflicting-gateways-invalid-port.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: [],
  },
  {
    name: "certificate duplication in Gateway",
    file: "gateway-duplicate-certificate.yaml",
    analyzer: "CertificateAnalyzer",
    istio: [
      "IST0138 Gateway istio-system/gateway-01-test-01",
      "IST0138 Gateway istio-system/gateway-02-test-01",
      "IST0138 Gateway istio-system/gateway-01-test-02",
      "IST0138 Gateway default/gateway-01-test-03",
    ],
  },
  {
    name: "virtualServiceConflictingMeshGatewayHosts",
    file: "virtualservice_conflictingmeshgatewayhosts.yaml",
    analyzer: "ConflictingMeshGatewayHostsAnalyzer",
    istio: [
      "IST0109 VirtualService team3/ratings",
      "IST0109 VirtualService team4/ratings",
      "IST0109 VirtualService foo/ratings",
      "IST0109 VirtualService bar/ratings",
      "IST0109 VirtualService foo/productpage",
      "IST0109 VirtualService foo/bogus-productpage",
      "IST0109 VirtualService team2/ratings",
    ],
  },
  {
    name: "virtualServiceConflictingMeshGatewayHostsWithExportTo",
    file: "virtualservice_conflictingmeshgatewayhosts_with_exportto.yaml",
    analyzer: "ConflictingMeshGatewayHostsAnalyzer",
    istio: [
      "IST0109 VirtualService foo/productpage",
      "IST0109 VirtualService bar/productpage",
      "IST0109 VirtualService foo/productpage-c",
      "IST0109 VirtualService bar/productpage-c",
      "IST0109 VirtualService foo/productpage-d",
      "IST0109 VirtualService bar/productpage-d",
    ],
  },
  {
    name: "virtualServiceDestinationHosts",
    file: "virtualservice_destinationhosts.yaml",
    analyzer: "DestinationHostAnalyzer",
    istio: [
      "IST0101 VirtualService default/reviews-bogushost",
      "IST0101 VirtualService default/reviews-bogushost",
      "IST0101 VirtualService default/reviews-bookinfo-other",
      "IST0101 VirtualService default/reviews-mirror-bogushost",
      "IST0101 VirtualService default/reviews-bogusport",
      "IST0112 VirtualService default/reviews-2port-missing",
      "IST0101 VirtualService istio-system/cross-namespace-details",
      "IST0101 VirtualService hello/hello-export-to-bogus",
    ],
    ours: [
      "IST0101 VirtualService default/reviews-bogushost",
      "IST0101 VirtualService default/reviews-mirror-bogushost",
    ],
    why:
      "only Kubernetes Service hosts in namespaces the input has Services for are checked; external hosts, " +
      "ports (IST0101 host:port, IST0112) and Service exportTo annotations are not, to avoid false positives on partial input",
  },
  {
    name: "virtualServiceDestinationRules",
    file: "virtualservice_destinationrules.yaml",
    analyzer: "DestinationRuleAnalyzer",
    istio: [
      "IST0101 VirtualService default/reviews-bogussubset",
      "IST0101 VirtualService default/reviews-mirror-bogussubset",
    ],
  },
  {
    name: "virtualServiceGateways",
    file: "virtualservice_gateways.yaml",
    analyzer: "GatewayAnalyzer",
    istio: [
      "IST0101 VirtualService default/httpbin-bogus",
      "IST0132 VirtualService default/cross-test",
      "IST0132 VirtualService default/httpbin-bogus",
      "IST0132 VirtualService default/httpbin",
    ],
    ours: [
      "IST0101 VirtualService default/httpbin-bogus",
      "IST0132 VirtualService default/cross-test",
      "IST0132 VirtualService default/httpbin",
    ],
    why: "a missing Gateway is reported once (IST0101), not also as hosts missing from it (IST0132)",
  },
  ...["", "_beta"].map((suffix): ParityCase => ({
    name: `host defined in virtualservice not found in the gateway${suffix === "" ? "" : "(beta version)"}`,
    file: `virtualservice_host_not_found_gateway${suffix}.yaml`,
    analyzer: "GatewayAnalyzer",
    istio: [
      "IST0132 VirtualService default/testing-service-02-test-01",
      "IST0132 VirtualService default/testing-service-02-test-02",
      "IST0132 VirtualService default/testing-service-02-test-03",
      "IST0132 VirtualService default/testing-service-03-test-04",
    ],
  })),
  ...["", "_beta"].map((suffix): ParityCase => ({
    name: `host defined in virtualservice not found in the gateway with ns${suffix === "" ? "" : "(beta version)"}`,
    file: `virtualservice_host_not_found_gateway_with_ns_prefix${suffix}.yaml`,
    analyzer: "GatewayAnalyzer",
    istio: ["IST0132 VirtualService default/testing-service-01-test-01"],
  })),
];

function findings(c: ParityCase): string[] {
  const { objects, errors } = loadDocuments(readFileSync(join(dir, c.file), "utf8"), c.file);
  assert.deepEqual(errors, []);
  const codes: readonly string[] = ANALYZER_CODES[c.analyzer];
  return analyzeResources(
    objects.map((o) => o.object as Resource),
    { now: new Date("2026-01-01T00:00:00Z") },
  )
    .filter((i) => codes.includes(i.code))
    .map((i) => `${i.istioCode} ${i.resource.kind} ${i.resource.namespace}/${i.resource.name}`)
    .sort();
}

describe("Istio analyzer test cases", () => {
  for (const c of cases) {
    it(`${c.name}${c.why === undefined ? "" : ` (differs: ${c.why})`}`, () => {
      assert.deepEqual(findings(c), [...(c.ours ?? c.istio)].sort());
    });
  }

  it("counts what agrees", () => {
    const agree = cases.filter((c) => c.ours === undefined).length;
    const messages = cases.reduce((n, c) => n + c.istio.length, 0);
    const matched = cases.reduce((n, c) => {
      const ours = [...(c.ours ?? c.istio)];
      return n + c.istio.filter((m) => (ours.includes(m) ? ours.splice(ours.indexOf(m), 1) : false)).length;
    }, 0);
    console.log(
      `istio parity: ${cases.length} cases ported, ${agree} agree fully; ${matched} of ${messages} expected messages reported`,
    );
    assert.deepEqual([cases.length, agree, matched, messages], [26, 22, 51, 60]);
  });
});
