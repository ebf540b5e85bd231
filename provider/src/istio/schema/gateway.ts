/**
 * The shape of a Gateway, as Istio's CRD schema enforces it (CRD-GW-1..4): required fields, uint32
 * ports, TLS enums, at most two certificates, one certificate list at a time. Strict: an unknown
 * field is a finding, as with kubectl's strict field validation.
 */
import { z } from "zod";
import { TLSmode, TLSProtocol } from "../model";
import { atMostOne } from "./at-most-one";
import { objectMetaSchema } from "./meta";
import { stringMap, uint32 } from "./scalars";

/** {@link Port}. */
export const portSchema = z.strictObject({
  number: uint32(),
  protocol: z.string(),
  name: z.string(),
  targetPort: uint32().optional(),
});

/** {@link TLSCertificate}. */
export const tlsCertificateSchema = z.strictObject({
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
});

/**
 * {@link ServerTLSSettings}. Istio's CEL rules: `credentialNames` excludes `tlsCertificates` and
 * `credentialName`. (Its third rule meant `credentialName` with `tlsCertificates` but repeats the
 * first; that pair is left to the webhook rule, as in Istio, so it is reported once.)
 */
export const serverTLSSettingsSchema = atMostOne(
  z.strictObject({
    httpsRedirect: z.boolean().optional(),
    mode: z.enum(TLSmode).optional(),
    serverCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    caCrl: z.string().optional(),
    credentialName: z.string().optional(),
    credentialNames: z.array(z.string()).min(1).max(2).optional(),
    caCertCredentialName: z.string().optional(),
    tlsCertificates: z.array(tlsCertificateSchema).min(1).max(2).optional(),
    subjectAltNames: z.array(z.string()).optional(),
    verifyCertificateSpki: z.array(z.string()).optional(),
    verifyCertificateHash: z.array(z.string()).optional(),
    minProtocolVersion: z.enum(TLSProtocol).optional(),
    maxProtocolVersion: z.enum(TLSProtocol).optional(),
    cipherSuites: z.array(z.string()).optional(),
    insecureSkipVerify: z.boolean().optional(),
  }),
  [
    { fields: ["credentialNames", "tlsCertificates"], form: "cel" },
    { fields: ["credentialName", "credentialNames"], form: "cel" },
  ],
);

/** {@link Server}. */
export const serverSchema = z.strictObject({
  port: portSchema,
  bind: z.string().optional(),
  hosts: z.array(z.string()),
  tls: serverTLSSettingsSchema.optional(),
  defaultEndpoint: z.string().optional(),
  name: z.string().optional(),
});

/** {@link GatewaySpec}. */
export const gatewaySpecSchema = z.strictObject({
  servers: z.array(serverSchema).optional(),
  selector: stringMap().optional(),
});

/** {@link Gateway}: the whole resource (without `status`, which the API server owns). */
export const gatewaySchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal("Gateway"),
  metadata: objectMetaSchema,
  spec: gatewaySpecSchema,
});
