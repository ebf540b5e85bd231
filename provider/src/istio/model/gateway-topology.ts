/**
 * Istio's `gatewayTopology` (ProxyConfig, set by a gateway pod's `proxy.istio.io/config`
 * annotation): how a gateway treats what proxies in front of it forwarded. Here, the names of
 * `forwardClientCertDetails` (Envoy's `forward_client_cert_details`): what becomes of
 * `x-forwarded-client-cert` (the proxy's http/client-cert-header.ts). The command line and the
 * Pulumi component check a choice against them without loading the proxy.
 */

/** Every choice, in Istio's order. */
export const FORWARD_CLIENT_CERT_DETAILS = [
  "SANITIZE",
  "FORWARD_ONLY",
  "APPEND_FORWARD",
  "SANITIZE_SET",
  "ALWAYS_FORWARD_ONLY",
] as const;

/** One of {@link FORWARD_CLIENT_CERT_DETAILS}; Istio's gateways default to `SANITIZE_SET`. */
export type ForwardClientCertDetails = (typeof FORWARD_CLIENT_CERT_DETAILS)[number];
