// The zod schemas and the model's interfaces describe one shape: a drift in either is a type
// error here (tsc fails), and a full sample of each kind parses to itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { z } from "zod";
import type * as model from "../model";
import * as schema from ".";
import { samples } from "./samples.fixture";

/** True only when A and B are the same type (optional fields, literals and index signatures included). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when `T` is `true`. */
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// Resources.
assertType<Equals<z.infer<typeof schema.gatewaySchema>, model.Gateway>>();
assertType<Equals<z.infer<typeof schema.virtualServiceSchema>, model.VirtualService>>();
assertType<Equals<z.infer<typeof schema.destinationRuleSchema>, model.DestinationRule>>();
assertType<Equals<z.infer<typeof schema.serviceEntrySchema>, model.ServiceEntry>>();
assertType<Equals<z.infer<typeof schema.authorizationPolicySchema>, model.AuthorizationPolicy>>();
assertType<Equals<z.infer<typeof schema.requestAuthenticationSchema>, model.RequestAuthentication>>();
assertType<Equals<z.infer<typeof schema.secretSchema>, model.Secret>>();
assertType<Equals<z.infer<typeof schema.serviceSchema>, model.Service>>();
assertType<Equals<z.infer<typeof schema.podSchema>, model.Pod>>();
assertType<Equals<z.infer<typeof schema.objectMetaSchema>, model.ObjectMeta>>();

// Top-level specs.
assertType<Equals<z.infer<typeof schema.gatewaySpecSchema>, model.GatewaySpec>>();
assertType<Equals<z.infer<typeof schema.virtualServiceSpecSchema>, model.VirtualServiceSpec>>();
assertType<Equals<z.infer<typeof schema.destinationRuleSpecSchema>, model.DestinationRuleSpec>>();
assertType<Equals<z.infer<typeof schema.serviceEntrySpecSchema>, model.ServiceEntrySpec>>();
assertType<Equals<z.infer<typeof schema.authorizationPolicySpecSchema>, model.AuthorizationPolicySpec>>();
assertType<Equals<z.infer<typeof schema.requestAuthenticationSpecSchema>, model.RequestAuthenticationSpec>>();
assertType<Equals<z.infer<typeof schema.serviceSpecSchema>, model.ServiceSpec>>();

// Parts other modules use on their own.
assertType<Equals<z.infer<typeof schema.serverSchema>, model.Server>>();
assertType<Equals<z.infer<typeof schema.serverTLSSettingsSchema>, model.ServerTLSSettings>>();
assertType<Equals<z.infer<typeof schema.httpRouteSchema>, model.HTTPRoute>>();
assertType<Equals<z.infer<typeof schema.httpMatchRequestSchema>, model.HTTPMatchRequest>>();
assertType<Equals<z.infer<typeof schema.stringMatchSchema>, model.StringMatch>>();
assertType<Equals<z.infer<typeof schema.destinationSchema>, model.Destination>>();
assertType<Equals<z.infer<typeof schema.tlsRouteSchema>, model.TLSRoute>>();
assertType<Equals<z.infer<typeof schema.tcpRouteSchema>, model.TCPRoute>>();
assertType<Equals<z.infer<typeof schema.subsetSchema>, model.Subset>>();
assertType<Equals<z.infer<typeof schema.trafficPolicySchema>, model.TrafficPolicy>>();
assertType<Equals<z.infer<typeof schema.servicePortSchema>, model.ServicePort>>();
assertType<Equals<z.infer<typeof schema.workloadEntrySchema>, model.WorkloadEntry>>();
assertType<Equals<z.infer<typeof schema.jwtRuleSchema>, model.JWTRule>>();

// The assertion itself can fail: these pairs differ, so Equals must say so.
assertType<Equals<Equals<{ a?: string }, { a: string }>, false>>();
assertType<Equals<Equals<{ a: string }, { a: string; b?: number }>, false>>();
assertType<Equals<Equals<{ a: "x" | "y" }, { a: string }>, false>>();

const kinds: Array<[string, z.ZodType]> = [
  ["Gateway", schema.gatewaySchema],
  ["VirtualService", schema.virtualServiceSchema],
  ["DestinationRule", schema.destinationRuleSchema],
  ["ServiceEntry", schema.serviceEntrySchema],
  ["AuthorizationPolicy", schema.authorizationPolicySchema],
  ["RequestAuthentication", schema.requestAuthenticationSchema],
  ["Secret", schema.secretSchema],
  ["Service", schema.serviceSchema],
  ["Pod", schema.podSchema],
];

describe("schema agreement", () => {
  for (const [kind, s] of kinds) {
    it(`a full ${kind} sample round-trips unchanged`, () => {
      const sample = samples[kind];
      assert.equal(sample.kind, kind);
      const result = s.safeParse(sample);
      assert.deepEqual(result.error?.issues, undefined);
      assert.deepEqual(result.data, sample);
    });
  }
});
