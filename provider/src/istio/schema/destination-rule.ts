/**
 * The shape of a DestinationRule. Only the fields the proxy enforces are modelled; they are typed,
 * and every other field of Istio's API (`workloadSelector`, `tunnel`, ...) passes through.
 */
import { z } from "zod";
import { ClientTLSmode, H2UpgradePolicy, ProxyProtocolVersion, SimpleLB } from "../model";
import { looseObject } from "./loose";
import { objectMetaSchema } from "./meta";
import { duration, int32, stringMap, uint32 } from "./scalars";
import { portSelectorSchema } from "./virtual-service";

/** {@link HTTPCookieAttribute}. */
export const httpCookieAttributeSchema = looseObject({
  name: z.string(),
  value: z.string().optional(),
});

/** {@link HTTPCookie}. */
export const httpCookieSchema = looseObject({
  name: z.string(),
  path: z.string().optional(),
  ttl: duration().optional(),
  attributes: z.array(httpCookieAttributeSchema).optional(),
});

/** {@link ConsistentHashLB}. */
export const consistentHashLBSchema = looseObject({
  httpHeaderName: z.string().optional(),
  httpCookie: httpCookieSchema.optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: z.string().optional(),
  ringHash: looseObject({ minimumRingSize: uint32().optional() }).optional(),
  maglev: looseObject({ tableSize: uint32().optional() }).optional(),
  minimumRingSize: uint32().optional(),
});

/** {@link LoadBalancerSettings}. */
export const loadBalancerSettingsSchema = looseObject({
  simple: z.enum(SimpleLB).optional(),
  consistentHash: consistentHashLBSchema.optional(),
});

/** {@link OutlierDetection}. */
export const outlierDetectionSchema = looseObject({
  consecutive5xxErrors: uint32().optional(),
  consecutiveGatewayErrors: uint32().optional(),
  consecutiveLocalOriginFailures: uint32().optional(),
  splitExternalLocalOriginErrors: z.boolean().optional(),
  interval: duration().optional(),
  baseEjectionTime: duration().optional(),
  maxEjectionPercent: int32().optional(),
  minHealthPercent: int32().optional(),
});

/** {@link TCPSettings}. */
export const tcpSettingsSchema = looseObject({
  maxConnections: int32().optional(),
  connectTimeout: duration().optional(),
  idleTimeout: z.string().optional(),
  maxConnectionDuration: duration().optional(),
  tcpKeepalive: looseObject({
    probes: uint32().optional(),
    time: duration().optional(),
    interval: duration().optional(),
  }).optional(),
});

/** {@link HTTPSettings}. */
export const httpSettingsSchema = looseObject({
  http1MaxPendingRequests: int32().optional(),
  http2MaxRequests: int32().optional(),
  maxRequestsPerConnection: int32().optional(),
  maxRetries: int32().optional(),
  maxConcurrentStreams: int32().optional(),
  idleTimeout: duration().optional(),
  h2UpgradePolicy: z.enum(H2UpgradePolicy).optional(),
  useClientProtocol: z.boolean().optional(),
  http2KeepAlive: looseObject({
    interval: duration().optional(),
    timeout: duration().optional(),
  }).optional(),
});

/** {@link ConnectionPoolSettings}. */
export const connectionPoolSettingsSchema = looseObject({
  tcp: tcpSettingsSchema.optional(),
  http: httpSettingsSchema.optional(),
});

/** {@link ClientTLSSettings}. */
export const clientTLSSettingsSchema = looseObject({
  mode: z.enum(ClientTLSmode).optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
});

/** {@link PortTrafficPolicy}. */
export const portTrafficPolicySchema = looseObject({
  port: portSelectorSchema.optional(),
  loadBalancer: loadBalancerSettingsSchema.optional(),
  connectionPool: connectionPoolSettingsSchema.optional(),
  outlierDetection: outlierDetectionSchema.optional(),
  tls: clientTLSSettingsSchema.optional(),
});

/** {@link ProxyProtocol}. */
export const proxyProtocolSchema = looseObject({
  version: z.enum(ProxyProtocolVersion).optional(),
});

/** {@link TrafficPolicy}. */
export const trafficPolicySchema = looseObject({
  loadBalancer: loadBalancerSettingsSchema.optional(),
  connectionPool: connectionPoolSettingsSchema.optional(),
  outlierDetection: outlierDetectionSchema.optional(),
  tls: clientTLSSettingsSchema.optional(),
  portLevelSettings: z.array(portTrafficPolicySchema).max(4096).optional(),
  proxyProtocol: proxyProtocolSchema.optional(),
});

/** {@link Subset}. */
export const subsetSchema = looseObject({
  name: z.string(),
  labels: stringMap().optional(),
  trafficPolicy: trafficPolicySchema.optional(),
});

/** {@link DestinationRuleSpec}. */
export const destinationRuleSpecSchema = looseObject({
  host: z.string(),
  trafficPolicy: trafficPolicySchema.optional(),
  subsets: z.array(subsetSchema).optional(),
  exportTo: z.array(z.string()).optional(),
});

/** {@link DestinationRule}: the whole resource (without `status`). */
export const destinationRuleSchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("DestinationRule"),
  metadata: objectMetaSchema,
  spec: destinationRuleSpecSchema,
});
