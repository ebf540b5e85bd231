/**
 * Istio's analyzer test cases, run through `analyzeResources`. The cases re-state, in inputs of
 * our own (`cases/`), the scenarios of Istio's `pkg/config/analysis/analyzers/analyzers_test.go`
 * without copying its data; the case names and the expected messages are Istio's, applied to our
 * inputs. Each case compares, per Istio message code and resource, what Istio's analyzer reports
 * with what we report under the codes standing for that analyzer. Where we differ on purpose,
 * `ours` says what we report and `why` says why.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeResources } from "../../provider/src/istio/analyze";
import { loadDocuments } from "../../provider/src/istio/load";
import type { Resource } from "../../provider/src/istio/model";

const dir = join(__dirname, "cases");

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
  /** The input, under `cases/`. */
  file: string;
  /** Load the input with `apiVersion: networking.istio.io/v1beta1` in place of `v1`. */
  beta?: true;
  analyzer: keyof typeof ANALYZER_CODES;
  /** What Istio's analyzer reports for the input: `IST0101 Gateway shop/storefront-typo`. */
  istio: string[];
  /** What we report, when it differs from `istio`. */
  ours?: string[];
  /** Why we differ. */
  why?: string;
}

const cases: ParityCase[] = [
  {
    name: "deprecation",
    file: "deprecated-fault-delay-percent.yaml",
    analyzer: "FieldAnalyzer",
    // Istio's case also has a Sidecar it flags; Sidecars are not part of this project's input.
    istio: ["IST0002 VirtualService shop/checkout"],
  },
  {
    name: "gatewayNoWorkload",
    file: "gateway-selector-without-pods.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0101 Gateway shop/storefront-gateway"],
    ours: [],
    why: "selectors are checked against Pods only when the input has Pods (files rarely carry the gateway pods)",
  },
  {
    name: "gatewayBadPort",
    file: "gateway-port-outside-default-service.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway shop/storefront-gateway"],
    ours: [],
    why: "ports are checked against Services only when the input has Services",
  },
  {
    name: "gatewayCorrectPort",
    file: "gateway-port-of-default-service.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayCustomIngressGateway",
    file: "custom-gateway-port-is-target-port.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayCustomIngressGatewayBadPort",
    file: "custom-gateway-port-not-exposed.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway edge/partner-gateway"],
  },
  {
    name: "gatewayCustomIngressGatewayBadPortWithoutTarget",
    file: "custom-gateway-port-not-exposed-no-target.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway edge/partner-gateway"],
  },
  {
    name: "gatewayCustomIngressGatewayTranslation",
    file: "custom-gateway-port-is-service-port.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: [],
  },
  {
    name: "gatewayServiceMatchPod",
    file: "gateway-port-on-service-of-other-pods.yaml",
    analyzer: "IngressGatewayPortAnalyzer",
    istio: ["IST0162 Gateway edge/public-api"],
  },
  {
    name: "gatewaySecret",
    file: "gateway-credential-lookup.yaml",
    analyzer: "SecretAnalyzer",
    istio: [
      "IST0101 Gateway shop/storefront-typo",
      "IST0101 Gateway shop/edge-storefront",
      "IST0101 Gateway shop/orphan-storefront",
    ],
  },
  {
    name: "gatewaySecretValidations",
    file: "gateway-credential-contents.yaml",
    analyzer: "SecretAnalyzer",
    istio: [
      "IST0161 Gateway shop/checkout-opaque-text",
      "IST0161 Gateway shop/checkout-cert-without-key",
      "IST0161 Gateway shop/checkout-key-as-cert",
      "IST0161 Gateway shop/checkout-expired",
    ],
  },
  {
    name: "conflicting gateways detect",
    file: "conflicting-gateways.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway mail/smtp-gateway", "IST0145 Gateway mail/webmail-gateway"],
  },
  {
    name: "gateways with different port are non-conflicting",
    file: "gateways-on-different-ports.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: [],
  },
  {
    name: "conflicting gateways with multiple port declarations",
    file: "conflicting-gateways-one-shared-port.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway mail/smtp-gateway", "IST0145 Gateway mail/webmail-gateway"],
  },
  {
    name: "conflicting gateways detect by sub selector",
    file: "conflicting-gateways-nested-selectors.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: ["IST0145 Gateway mail/smtp-gateway", "IST0145 Gateway mail/webmail-gateway"],
  },
  {
    name: "conflicting gateways detect: no port",
    file: "gateways-without-ports.yaml",
    analyzer: "ConflictingGatewayAnalyzer",
    istio: [],
  },
  {
    name: "certificate duplication in Gateway",
    file: "shared-gateway-certificates.yaml",
    analyzer: "CertificateAnalyzer",
    istio: [
      "IST0138 Gateway istio-system/docs-gateway",
      "IST0138 Gateway istio-system/blog-gateway",
      "IST0138 Gateway istio-system/store-gateway",
      "IST0138 Gateway shop/wiki-gateway",
    ],
  },
  {
    name: "virtualServiceConflictingMeshGatewayHosts",
    file: "mesh-host-conflicts.yaml",
    analyzer: "ConflictingMeshGatewayHostsAnalyzer",
    istio: [
      "IST0109 VirtualService web/frontend",
      "IST0109 VirtualService web/frontend-canary",
      "IST0109 VirtualService web/catalog",
      "IST0109 VirtualService ops/catalog",
      "IST0109 VirtualService green/catalog",
      "IST0109 VirtualService red/catalog",
      "IST0109 VirtualService yellow/catalog",
    ],
  },
  {
    name: "virtualServiceConflictingMeshGatewayHostsWithExportTo",
    file: "mesh-wildcard-host-conflicts-export-to.yaml",
    analyzer: "ConflictingMeshGatewayHostsAnalyzer",
    istio: [
      "IST0109 VirtualService north/assets",
      "IST0109 VirtualService south/assets",
      "IST0109 VirtualService north/styles",
      "IST0109 VirtualService south/styles",
      "IST0109 VirtualService north/scripts",
      "IST0109 VirtualService south/scripts",
    ],
  },
  {
    name: "virtualServiceDestinationHosts",
    file: "destination-hosts.yaml",
    analyzer: "DestinationHostAnalyzer",
    istio: [
      // Twice: once for the route entry without a destination, once for the missing host.
      "IST0101 VirtualService shop/cart-typo",
      "IST0101 VirtualService shop/cart-typo",
      "IST0101 VirtualService shop/vendor-catalog",
      "IST0101 VirtualService shop/cart-shadow-typo",
      "IST0101 VirtualService shop/cart-wrong-port",
      "IST0112 VirtualService shop/inventory-no-port",
      "IST0101 VirtualService ops/pricing-from-ops",
      "IST0101 VirtualService finance/ledger-elsewhere",
    ],
    ours: ["IST0101 VirtualService shop/cart-typo", "IST0101 VirtualService shop/cart-shadow-typo"],
    why:
      "only Kubernetes Service hosts in namespaces the input has Services for are checked; external hosts, " +
      "ports (IST0101 host:port, IST0112) and Service exportTo annotations are not, to avoid false positives on partial input",
  },
  {
    name: "virtualServiceDestinationRules",
    file: "destination-subsets.yaml",
    analyzer: "DestinationRuleAnalyzer",
    istio: ["IST0101 VirtualService shop/search-canary", "IST0101 VirtualService shop/search-shadow-canary"],
  },
  {
    name: "virtualServiceGateways",
    file: "virtual-service-gateway-references.yaml",
    analyzer: "GatewayAnalyzer",
    istio: [
      "IST0101 VirtualService shop/web-typo",
      "IST0132 VirtualService shop/web-partner",
      "IST0132 VirtualService shop/web-typo",
      "IST0132 VirtualService shop/web",
    ],
    ours: [
      "IST0101 VirtualService shop/web-typo",
      "IST0132 VirtualService shop/web-partner",
      "IST0132 VirtualService shop/web",
    ],
    why: "a missing Gateway is reported once (IST0101), not also as hosts missing from it (IST0132)",
  },
  // Istio runs these two scenarios twice, the second time with the beta networking API version.
  ...[false, true].map((beta): ParityCase => ({
    name: `host defined in virtualservice not found in the gateway${beta ? "(beta version)" : ""}`,
    file: "virtual-service-hosts-not-on-gateway.yaml",
    ...(beta ? { beta } : {}),
    analyzer: "GatewayAnalyzer",
    istio: [
      "IST0132 VirtualService shop/exact-miss",
      "IST0132 VirtualService shop/wildcard-miss",
      "IST0132 VirtualService shop/two-gateways-miss",
      "IST0132 VirtualService shop/two-servers-miss",
    ],
  })),
  ...[false, true].map((beta): ParityCase => ({
    name: `host defined in virtualservice not found in the gateway with ns${beta ? "(beta version)" : ""}`,
    file: "virtual-service-hosts-gateway-namespace-prefix.yaml",
    ...(beta ? { beta } : {}),
    analyzer: "GatewayAnalyzer",
    istio: ["IST0132 VirtualService shop/own-namespace"],
  })),
];

/** The input text, with the networking API version lowered to v1beta1 for the beta cases. */
function input(c: ParityCase): string {
  const text = readFileSync(join(dir, c.file), "utf8");
  if (c.beta !== true) return text;
  const lowered = text.replace(
    /^apiVersion: networking\.istio\.io\/v1$/gm,
    "apiVersion: networking.istio.io/v1beta1",
  );
  assert.notEqual(lowered, text);
  return lowered;
}

function findings(c: ParityCase): string[] {
  const { objects, errors } = loadDocuments(input(c), c.file);
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
      `istio parity: ${cases.length} cases, ${agree} agree fully; ${matched} of ${messages} expected messages reported`,
    );
    assert.deepEqual([cases.length, agree, matched, messages], [26, 22, 51, 60]);
  });
});
