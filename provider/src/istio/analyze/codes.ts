/**
 * Codes of the cross-resource analysis (IGW4000-4999): Istio's `istioctl analyze` findings for
 * Gateways and VirtualServices, and the binding findings Istio leaves silent.
 */
import { defineCodes } from "../validate/issue";

/** The code table of `analyzeResources`. */
export const analyzeCodes = defineCodes({
  IGW4001: {
    severity: "error",
    istioCode: "IST0101",
    summary: "VirtualService `gateways` entry names a Gateway that does not exist",
  },
  IGW4002: {
    severity: "warning",
    istioCode: "IST0132",
    strict: true,
    summary: "no VirtualService host matches a host of the named Gateway visible to its namespace",
  },
  IGW4003: {
    severity: "error",
    istioCode: "IST0145",
    summary: "two Gateways on the same workloads declare the same port, host and bind",
  },
  IGW4004: {
    severity: "warning",
    istioCode: "IST0138",
    summary:
      "two Gateways on the same workloads use the same TLS certificate (HTTP/2 connection reuse gives 404s)",
  },
  IGW4005: {
    severity: "error",
    istioCode: "IST0101",
    summary:
      "`credentialName` names a Secret missing from the gateway pods' namespace (checked when Secrets are in the input)",
  },
  IGW4006: {
    severity: "error",
    istioCode: "IST0161",
    summary:
      "the `credentialName` Secret lacks a certificate and key, or its certificate is not PEM X.509 or not valid now",
  },
  IGW4007: {
    severity: "error",
    istioCode: "IST0101",
    summary: "Gateway `selector` matches no Pod (checked when Pods are in the input)",
  },
  IGW4008: {
    severity: "warning",
    istioCode: "IST0162",
    summary:
      "server port is not a port of any Service in front of the gateway pods (checked when Services are in the input)",
  },
  IGW4010: {
    severity: "warning",
    strict: true,
    summary:
      "`http` rules on a server that passes TLS through (tls.mode PASSTHROUGH, also when omitted) never apply",
  },
  IGW4011: {
    severity: "warning",
    summary:
      "`tls` rules never apply on the servers of a Gateway that terminate TLS or are plain text, and nothing else binds there",
  },
  IGW4012: {
    severity: "warning",
    summary:
      "`tcp` rules never apply on the HTTP or terminated HTTPS servers of a Gateway, and nothing else binds there",
  },
  IGW4013: {
    severity: "warning",
    strict: true,
    summary:
      "VirtualService binds no server of a Gateway whose hosts it matches: no rules of the block those servers use",
  },
  IGW4014: {
    severity: "warning",
    strict: true,
    summary: "VirtualService `exportTo` leaves out the gateway pods' namespace, so it silently does not bind",
  },
  IGW4015: {
    severity: "warning",
    strict: true,
    summary: "`match.port` equals no port of a server the VirtualService binds to: the match never applies",
  },
  IGW4016: {
    severity: "warning",
    strict: true,
    summary: "`match.gateways` names no gateway of `spec.gateways`: the match never applies",
  },
  IGW4017: {
    severity: "warning",
    strict: true,
    summary:
      "`http[].delegate` names a VirtualService that does not exist or is not exported to this namespace",
  },
  IGW4020: {
    severity: "error",
    istioCode: "IST0101",
    summary:
      "destination `subset` is defined by no DestinationRule for its host (checked when the input has one for the host)",
  },
  IGW4021: {
    severity: "error",
    istioCode: "IST0101",
    summary:
      "destination host names a Kubernetes Service missing from the input and from every ServiceEntry (checked in namespaces the input has Services in)",
  },
  IGW4022: {
    severity: "error",
    istioCode: "IST0109",
    summary: "two mesh VirtualServices define the same host in overlapping export scopes",
  },
  IGW4023: {
    severity: "warning",
    istioCode: "IST0002",
    summary: "`fault.delay.percent` is deprecated; use `fault.delay.percentage`",
  },
});
