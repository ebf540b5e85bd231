/**
 * The shape of a VirtualService, as Istio's CRD schema enforces it (CRD-VS-1, -3, -4): required
 * destinations and SNI hosts, uint32/int32 ranges, enums, and protobuf `oneof`s as at-most-one
 * rules. Durations are plain strings here: their rule (at least 1ms, whole milliseconds) is the
 * VirtualService rules' to report, so a bad duration is reported once. Strict: an unknown field is
 * a finding.
 */
import { z } from "zod";
import { RedirectPortSelection, UnmatchedPreflights } from "../model";
import { atMostOne } from "./at-most-one";
import { objectMetaSchema } from "./meta";
import { base64Bytes, double, duration, int32, stringMap, uint32 } from "./scalars";

/** {@link StringMatch}: at most one of `exact`, `prefix`, `regex`. */
export const stringMatchSchema = atMostOne(
  z.strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
  }),
  [{ fields: ["exact", "prefix", "regex"], form: "oneOf" }],
);

/** {@link PortSelector}. */
export const portSelectorSchema = z.strictObject({ number: uint32().optional() });

/** {@link Destination}. */
export const destinationSchema = z.strictObject({
  host: z.string(),
  subset: z.string().optional(),
  port: portSelectorSchema.optional(),
});

/** {@link HeaderOperations}. */
export const headerOperationsSchema = z.strictObject({
  set: stringMap().optional(),
  add: stringMap().optional(),
  remove: z.array(z.string()).optional(),
});

/** {@link Headers}. */
export const headersSchema = z.strictObject({
  request: headerOperationsSchema.optional(),
  response: headerOperationsSchema.optional(),
});

/** {@link Percent}. */
export const percentSchema = z.strictObject({ value: double().optional() });

/** {@link HTTPMatchRequest}. */
export const httpMatchRequestSchema = z.strictObject({
  name: z.string().optional(),
  uri: stringMatchSchema.optional(),
  scheme: stringMatchSchema.optional(),
  method: stringMatchSchema.optional(),
  authority: stringMatchSchema.optional(),
  headers: z.record(z.string(), stringMatchSchema).optional(),
  port: uint32().optional(),
  sourceLabels: stringMap().optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), stringMatchSchema).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), stringMatchSchema).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});

/** {@link HTTPRouteDestination}. */
export const httpRouteDestinationSchema = z.strictObject({
  destination: destinationSchema,
  weight: int32().optional(),
  headers: headersSchema.optional(),
});

/** {@link RouteDestination}. */
export const routeDestinationSchema = z.strictObject({
  destination: destinationSchema,
  weight: int32().optional(),
});

/** {@link HTTPRedirect}: at most one of `port`, `derivePort`. */
export const httpRedirectSchema = atMostOne(
  z.strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: uint32().optional(),
    derivePort: z.enum(RedirectPortSelection).optional(),
    scheme: z.string().optional(),
    redirectCode: uint32().optional(),
    prefixRewrite: z.string().optional(),
  }),
  [{ fields: ["port", "derivePort"], form: "oneOf" }],
);

/** {@link HTTPBody}: at most one of `string`, `bytes`. */
export const httpBodySchema = atMostOne(
  z.strictObject({
    string: z.string().optional(),
    bytes: base64Bytes().optional(),
  }),
  [{ fields: ["string", "bytes"], form: "oneOf" }],
);

/** {@link HTTPDirectResponse}. */
export const httpDirectResponseSchema = z.strictObject({
  status: uint32(),
  body: httpBodySchema.optional(),
});

/** {@link Delegate}. */
export const delegateSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});

/** {@link RegexRewrite}. */
export const regexRewriteSchema = z.strictObject({
  match: z.string().optional(),
  rewrite: z.string().optional(),
});

/** {@link HTTPRewrite}. */
export const httpRewriteSchema = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: regexRewriteSchema.optional(),
});

/** {@link HTTPRetry}. */
export const httpRetrySchema = z.strictObject({
  attempts: int32().optional(),
  perTryTimeout: duration().optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: duration().optional(),
});

/** {@link Delay}: at most one of `fixedDelay`, `exponentialDelay`. */
export const delaySchema = atMostOne(
  z.strictObject({
    percent: int32().optional(),
    fixedDelay: duration().optional(),
    exponentialDelay: duration().optional(),
    percentage: percentSchema.optional(),
  }),
  [{ fields: ["fixedDelay", "exponentialDelay"], form: "oneOf" }],
);

/** {@link Abort}: at most one of `httpStatus`, `grpcStatus`, `http2Error`. */
export const abortSchema = atMostOne(
  z.strictObject({
    httpStatus: int32().optional(),
    grpcStatus: z.string().optional(),
    http2Error: z.string().optional(),
    percentage: percentSchema.optional(),
  }),
  [{ fields: ["httpStatus", "grpcStatus", "http2Error"], form: "oneOf" }],
);

/** {@link HTTPFaultInjection}. */
export const httpFaultInjectionSchema = z.strictObject({
  delay: delaySchema.optional(),
  abort: abortSchema.optional(),
});

/** {@link HTTPMirrorPolicy}. */
export const httpMirrorPolicySchema = z.strictObject({
  destination: destinationSchema,
  percentage: percentSchema.optional(),
});

/** {@link CorsPolicy}. */
export const corsPolicySchema = z.strictObject({
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(stringMatchSchema).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: duration().optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: z.enum(UnmatchedPreflights).optional(),
});

/** {@link HTTPRoute}. */
export const httpRouteSchema = z.strictObject({
  name: z.string().optional(),
  match: z.array(httpMatchRequestSchema).optional(),
  route: z.array(httpRouteDestinationSchema).optional(),
  redirect: httpRedirectSchema.optional(),
  directResponse: httpDirectResponseSchema.optional(),
  delegate: delegateSchema.optional(),
  rewrite: httpRewriteSchema.optional(),
  timeout: duration().optional(),
  retries: httpRetrySchema.optional(),
  fault: httpFaultInjectionSchema.optional(),
  mirror: destinationSchema.optional(),
  mirrorPercent: uint32().optional(),
  mirrorPercentage: percentSchema.optional(),
  mirrors: z.array(httpMirrorPolicySchema).optional(),
  corsPolicy: corsPolicySchema.optional(),
  headers: headersSchema.optional(),
});

/** {@link TLSMatchAttributes}. */
export const tlsMatchAttributesSchema = z.strictObject({
  sniHosts: z.array(z.string()),
  destinationSubnets: z.array(z.string()).optional(),
  port: uint32().optional(),
  sourceLabels: stringMap().optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});

/** {@link L4MatchAttributes}. */
export const l4MatchAttributesSchema = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: uint32().optional(),
  sourceSubnet: z.string().optional(),
  sourceLabels: stringMap().optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});

/** {@link TLSRoute}. */
export const tlsRouteSchema = z.strictObject({
  match: z.array(tlsMatchAttributesSchema),
  route: z.array(routeDestinationSchema).optional(),
});

/** {@link TCPRoute}. */
export const tcpRouteSchema = z.strictObject({
  match: z.array(l4MatchAttributesSchema).optional(),
  route: z.array(routeDestinationSchema).optional(),
});

/** {@link VirtualServiceSpec}. */
export const virtualServiceSpecSchema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(z.string()).optional(),
  http: z.array(httpRouteSchema).optional(),
  tls: z.array(tlsRouteSchema).optional(),
  tcp: z.array(tcpRouteSchema).optional(),
  exportTo: z.array(z.string()).optional(),
});

/** {@link VirtualService}: the whole resource (without `status`). */
export const virtualServiceSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal("VirtualService"),
  metadata: objectMetaSchema,
  spec: virtualServiceSpecSchema,
});
