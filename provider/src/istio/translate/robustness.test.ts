import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Resource } from "../model";
import {
  fullDestinationRule,
  fullGateway,
  fullSecret,
  fullServiceEntry,
  fullVirtualService,
} from "../schema/samples.fixture";
import { buildProxyConfig } from "./build-proxy-config";

const proxy = { namespace: "istio-system", labels: { istio: "ingressgateway" } };

test("every modelled field set at once translates without throwing", () => {
  const { config } = buildProxyConfig(
    [fullGateway, fullVirtualService, fullDestinationRule, fullServiceEntry, fullSecret] as Resource[],
    proxy,
  );
  assert.ok(Object.isFrozen(config));
});

// Well-typed values that validation would reject (translation runs after the shape is checked):
// translation must skip them, not crash.
const str = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    "",
    "*",
    "a.com",
    "*.a.com",
    "HTTP",
    "HTTPS",
    "TLS",
    "TCP",
    "UDP",
    "SIMPLE",
    "MUTUAL",
    "PASSTHROUGH",
    "ISTIO_MUTUAL",
    "/",
    "(",
    ".*",
    "unix:///x",
    "FROM_REQUEST_PORT",
  ),
);
const num = fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constantFrom(0, 80, 443));
const opt = { requiredKeys: [] as never[] };
const stringMatch = fc.record({ exact: str, prefix: str, regex: str }, opt);
const destination = fc.record({ host: str, subset: str, port: fc.record({ number: num }, opt) }, opt);
const server = fc.record(
  {
    port: fc.record({ number: fc.constantFrom(80, 443, 8080, 0), name: str, protocol: str }),
    hosts: fc.array(str, { maxLength: 3 }),
    bind: str,
    tls: fc.record(
      { mode: str, credentialName: str, httpsRedirect: fc.boolean(), minProtocolVersion: str },
      opt,
    ),
  },
  { requiredKeys: ["port", "hosts"] },
);
const httpRoute = fc.record(
  {
    name: str,
    match: fc.array(
      fc.record(
        {
          uri: stringMatch,
          port: num,
          headers: fc.dictionary(fc.string({ maxLength: 4 }), stringMatch, { maxKeys: 2 }),
          gateways: fc.array(str, { maxLength: 2 }),
          sourceLabels: fc.dictionary(fc.string({ maxLength: 4 }), str, { maxKeys: 1 }),
        },
        opt,
      ),
      { maxLength: 2 },
    ),
    route: fc.array(fc.record({ destination, weight: num }, { requiredKeys: ["destination"] }), {
      maxLength: 3,
    }),
    redirect: fc.record({ uri: str, port: num, scheme: str, prefixRewrite: str, redirectCode: num }, opt),
    directResponse: fc.record(
      { status: num, body: fc.record({ string: str }, opt) },
      { requiredKeys: ["status"] },
    ),
    rewrite: fc.record(
      { uri: str, authority: str, uriRegexRewrite: fc.record({ match: str, rewrite: str }, opt) },
      opt,
    ),
    timeout: str,
    retries: fc.record({ attempts: num, retryOn: str, perTryTimeout: str, backoff: str }, opt),
    fault: fc.record(
      {
        delay: fc.record({ fixedDelay: str, percentage: fc.record({ value: num }, opt) }, opt),
        abort: fc.record({ httpStatus: num, grpcStatus: str }, opt),
      },
      opt,
    ),
    mirror: destination.filter((d) => d.host !== undefined) as fc.Arbitrary<{ host: string }>,
    corsPolicy: fc.record({ allowOrigins: fc.array(stringMatch, { maxLength: 2 }), maxAge: str }, opt),
    headers: fc.record(
      {
        request: fc.record(
          {
            set: fc.dictionary(fc.string({ maxLength: 4 }), str, { maxKeys: 2 }),
            remove: fc.array(str, { maxLength: 2 }),
          },
          opt,
        ),
      },
      opt,
    ),
  },
  opt,
);
const l4Route = fc.record(
  {
    match: fc.array(
      fc.record({ sniHosts: fc.array(str, { maxLength: 2 }), port: num }, { requiredKeys: ["sniHosts"] }),
      { maxLength: 2 },
    ),
    route: fc.array(fc.record({ destination, weight: num }, { requiredKeys: ["destination"] }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: ["match"] },
);

test("arbitrary, partly invalid resources never make translation throw", () => {
  fc.assert(
    fc.property(
      fc.array(server, { maxLength: 3 }),
      fc.array(httpRoute, { maxLength: 3 }),
      fc.array(l4Route, { maxLength: 2 }),
      fc.array(str, { maxLength: 3 }),
      (servers, http, tls, hosts) => {
        const resources = [
          {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "gw", namespace: "istio-system" },
            spec: { servers },
          },
          {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "vs", namespace: "istio-system" },
            spec: { hosts, gateways: ["gw"], http, tls, tcp: tls },
          },
        ] as unknown as Resource[];
        buildProxyConfig(resources, proxy);
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

test("arbitrary rules bound to every kind of server never make translation throw", () => {
  const servers = [
    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
    { port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } },
    { port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["*"] },
  ];
  fc.assert(
    fc.property(fc.array(httpRoute, { maxLength: 4 }), fc.array(l4Route, { maxLength: 3 }), (http, l4) => {
      const resources = [
        {
          apiVersion: "networking.istio.io/v1",
          kind: "Gateway",
          metadata: { name: "gw", namespace: "istio-system" },
          spec: { servers },
        },
        {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: "vs", namespace: "istio-system" },
          spec: { hosts: ["*"], gateways: ["gw"], http, tls: l4, tcp: l4 },
        },
      ] as unknown as Resource[];
      buildProxyConfig(resources, proxy);
    }),
    { numRuns: 1000, seed: 11 },
  );
});
