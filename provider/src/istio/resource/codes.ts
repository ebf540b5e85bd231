/**
 * Codes of the shape checks (IGW1000-1099): what Kubernetes' API server rejects before Istio's
 * webhook sees the object — the envelope, and the CRD schema's types, ranges, enums, required
 * fields and at-most-one groups.
 */
import { defineWebhookCodes, Severity } from "../validate/issue";

/** The shape code table. */
export const shapeCodes = defineWebhookCodes({
  IGW1000: {
    severity: Severity.Error,
    summary: "the object is not a mapping (or could not be read at all)",
  },
  IGW1001: {
    severity: Severity.Error,
    summary:
      "apiVersion is not one served for the kind (networking.istio.io/v1, v1beta1, v1alpha3; security.istio.io/v1, v1beta1; v1 for core kinds)",
  },
  IGW1002: {
    severity: Severity.Error,
    summary:
      "kind is not one this project reads (Gateway, VirtualService, DestinationRule, ServiceEntry, AuthorizationPolicy, RequestAuthentication, Secret, Service, Pod)",
  },
  IGW1003: {
    severity: Severity.Error,
    summary: "a field the CRD schema requires is missing",
  },
  IGW1004: {
    severity: Severity.Error,
    summary:
      "a field the schema does not define (Gateway and VirtualService; kubectl's strict field validation)",
  },
  IGW1005: {
    severity: Severity.Error,
    summary: "a value has the wrong type (string, number, boolean, object or array)",
  },
  IGW1006: {
    severity: Severity.Error,
    summary: "an integer field is not an integer or is out of its protobuf range (uint32, int32)",
  },
  IGW1007: {
    severity: Severity.Error,
    summary: "an enumerated field has a value outside its enum (TLS mode, TLS version, resolution, ...)",
  },
  IGW1008: {
    severity: Severity.Error,
    summary: "a list has too many or too few items (credentialNames and tlsCertificates: 1 to 2)",
  },
  IGW1009: {
    severity: Severity.Error,
    summary:
      "mutually exclusive fields are set together (StringMatch exact/prefix/regex, redirect port/derivePort, abort, delay, body, TLS credential lists)",
  },
});
