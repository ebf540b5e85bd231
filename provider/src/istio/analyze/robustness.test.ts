import { describe, it } from "node:test";
import fc from "fast-check";
import type { Resource } from "../model";
import { analyzeResources } from "./analyze";

// Loosely shaped resources: the right kinds, with any value where a field should be.
const any = fc.anything({ maxDepth: 3 });
const meta = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      name: fc.oneof(fc.string(), any),
      namespace: fc.oneof(fc.constantFrom("default", "istio-system"), any),
    },
    { requiredKeys: [] },
  ),
);
const server = fc.record(
  {
    port: fc.oneof(
      any,
      fc.record({
        number: fc.oneof(fc.integer(), any),
        protocol: fc.oneof(fc.constantFrom("HTTP", "HTTPS", "TLS", "TCP"), any),
        name: fc.string(),
      }),
    ),
    hosts: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom("*", "a.com", "*.a.com", "./a.com", "*/*", "ns/a.com"), any)),
      any,
    ),
    tls: fc.oneof(
      any,
      fc.record(
        { mode: fc.constantFrom("SIMPLE", "PASSTHROUGH"), credentialName: fc.oneof(fc.string(), any) },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const gw = fc.record(
  {
    kind: fc.constant("Gateway"),
    metadata: meta,
    spec: fc.oneof(
      any,
      fc.record(
        {
          servers: fc.oneof(fc.array(fc.oneof(server, any)), any),
          selector: fc.oneof(any, fc.dictionary(fc.string(), fc.string())),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ["kind"] },
);
const match = fc.oneof(
  any,
  fc.record(
    {
      port: fc.oneof(fc.integer(), any),
      gateways: fc.oneof(fc.array(fc.oneof(fc.string(), any)), any),
      sniHosts: any,
    },
    { requiredKeys: [] },
  ),
);
const rule = fc.oneof(
  any,
  fc.record(
    {
      match: fc.oneof(fc.array(match), any),
      route: any,
      mirror: any,
      mirrors: any,
      delegate: any,
      fault: any,
    },
    { requiredKeys: [] },
  ),
);
const vs = fc.record(
  {
    kind: fc.constant("VirtualService"),
    metadata: meta,
    spec: fc.oneof(
      any,
      fc.record(
        {
          hosts: fc.oneof(fc.array(fc.oneof(fc.constantFrom("a.com", "*", "reviews"), any)), any),
          gateways: fc.oneof(fc.array(fc.oneof(fc.constantFrom("gw", "istio-system/gw", "mesh"), any)), any),
          http: fc.oneof(fc.array(rule), any),
          tls: fc.oneof(fc.array(rule), any),
          tcp: fc.oneof(fc.array(rule), any),
          exportTo: any,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ["kind"] },
);
const other = fc.record(
  {
    kind: fc.constantFrom("Secret", "Pod", "Service", "DestinationRule", "ServiceEntry"),
    metadata: meta,
    spec: any,
    data: any,
    stringData: any,
  },
  { requiredKeys: ["kind"] },
);

describe("analyzeResources on malformed input", () => {
  it("never throws", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(gw, vs, other), { maxLength: 6 }), (rs) => {
        analyzeResources(rs as unknown as Resource[]);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
