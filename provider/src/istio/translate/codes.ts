/**
 * The codes of translation to proxy configuration (IGW6000-6999): what the gateway proxy cannot
 * serve as written, and what it skips the way Istio's pilot does (silently, in Istio's case).
 */
import { defineCodes, Severity } from "../validate/issue";

/** The translation code table. */
export const translateCodes = defineCodes({
  IGW6001: {
    severity: Severity.Info,
    summary: "the Gateway's selector does not match the proxy's labels: the proxy does not serve it",
  },
  IGW6002: {
    severity: Severity.Error,
    summary: "tls.mode ISTIO_MUTUAL needs Istio's mesh identity: the server is not served",
  },
  IGW6003: {
    severity: Severity.Error,
    summary: "tls.mode AUTO_PASSTHROUGH needs Istio's mesh services: the server is not served",
  },
  IGW6004: {
    severity: Severity.Error,
    istioCode: "IST0101",
    summary:
      "the Secret named by credentialName does not exist in the proxy's namespace: the server is not served",
  },
  IGW6005: {
    severity: Severity.Error,
    istioCode: "IST0161",
    summary:
      "the credential Secret has no certificate and key (tls.crt/tls.key or cert/key): the server is not served",
  },
  IGW6006: {
    severity: Severity.Error,
    summary:
      "mutual TLS needs a CA bundle (ca.crt or cacert, or a <credentialName>-cacert Secret): the server is not served",
  },
  IGW6007: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "a TLS host is already served on this port and bind by an earlier server: this server is skipped",
  },
  IGW6008: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "the server's protocol cannot share its port and bind with an earlier server: this server is skipped",
  },
  IGW6009: {
    severity: Severity.Warning,
    summary:
      "the server's protocol is not routed by the gateway proxy (UDP or unknown): the server is skipped",
  },
  IGW6010: {
    severity: Severity.Warning,
    strict: true,
    summary: "an SNI host of a tls rule is already routed on this port: the match is skipped",
  },
  IGW6011: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "http[].delegate names no VirtualService without hosts exported to the root's namespace: the rule is skipped",
  },
  IGW6012: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "JWT claim matches (@request.auth.claims): the proxy does not route on claims, so the match never applies",
  },
  IGW6013: {
    severity: Severity.Warning,
    summary: "a header value uses an Envoy formatter the proxy does not support: it is sent literally",
  },
  IGW6014: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "the destination subset is not defined by any DestinationRule visible to the proxy: requests get 503 NC",
  },
  IGW6015: {
    severity: Severity.Error,
    summary:
      "DestinationRule tls.mode ISTIO_MUTUAL needs Istio's mesh identity: upstream TLS is not used, and requests go in plain text",
  },
  IGW6016: {
    severity: Severity.Error,
    istioCode: "IST0101",
    summary:
      "the Secret named by the DestinationRule's credentialName does not exist in the proxy's namespace",
  },
  IGW6017: {
    severity: Severity.Warning,
    strict: true,
    summary: "the ServiceEntry has no port for the destination port: requests get 503",
  },
  IGW6018: {
    severity: Severity.Error,
    summary: "a regular expression is not valid RE2: the match or rewrite is dropped",
  },
  IGW6019: {
    severity: Severity.Info,
    summary: "no VirtualService routes connections on this TCP or TLS server: it gets no filter chain",
  },
  IGW6020: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "two terminating servers of one Gateway on one port share a port name: the later server is skipped",
  },
  IGW6021: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "a delegate rule's match does not fit inside any match of the delegating rule: the delegate rule is skipped",
  },
  IGW6022: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "a rewrite would put a space, a control character or a character beyond Latin-1 in the path, which no request line can carry: requests on the route get 500",
  },
  IGW6023: {
    severity: Severity.Warning,
    summary:
      "a credential Secret served before is missing or unusable now: the certificates last read from it are still served, as Envoy keeps the last secret SDS sent",
  },
  IGW6024: {
    severity: Severity.Error,
    summary:
      "a redirect code or direct response status Envoy cannot send: Istio's gateway would refuse the route configuration, the proxy drops the rule",
  },
  IGW6025: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "a filter chain takes connections an earlier one on its port takes: Envoy refuses the listener, so Istio's gateway would not serve the port; the proxy serves it, the earlier chain winning where both match",
  },
  IGW6030: {
    severity: Severity.Info,
    summary:
      "the AuthorizationPolicy's selector does not match the proxy's labels: it does not apply to the proxy",
  },
  IGW6031: {
    severity: Severity.Info,
    summary:
      "the AuthorizationPolicy attaches by targetRef or targetRefs, which never selects the deployment of an Istio Gateway: it does not apply to the proxy",
  },
  IGW6032: {
    severity: Severity.Error,
    summary:
      "a CUSTOM AuthorizationPolicy applies to the proxy, which has no external authorizer to ask: the configuration is refused",
  },
  IGW6033: {
    severity: Severity.Info,
    summary:
      'the AuthorizationPolicy is annotated istio.io/dry-run: "true": it is not enforced (Envoy\'s shadow rules only count it)',
  },
});
