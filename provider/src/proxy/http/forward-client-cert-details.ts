/**
 * The names of Envoy's `forward_client_cert_details`, as Istio's
 * `gatewayTopology.forwardClientCertDetails` spells them: what becomes of `x-forwarded-client-cert`
 * (client-cert-header.ts). A module of its own, with no imports, so that the command line and the
 * Pulumi component can check a choice without loading the proxy.
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
