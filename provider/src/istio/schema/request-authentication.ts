/**
 * The shape of a RequestAuthentication. The modelled fields are typed; every other field of
 * Istio's API passes through. Emptiness, URIs, key sets, header names and durations are rules
 * (IGW5300-5299), not shape, so they are reported with Istio's words.
 */
import { z } from "zod";
import { looseObject } from "./loose";
import { objectMetaSchema } from "./meta";
import { duration } from "./scalars";
import { policyTargetReferenceSchema, policyWorkloadSelectorSchema } from "./security-policy";

/** {@link JWTHeader}. */
export const jwtHeaderSchema = looseObject({
  name: z.string(),
  prefix: z.string().optional(),
});

/** {@link ClaimToHeader}. */
export const claimToHeaderSchema = looseObject({
  header: z.string(),
  claim: z.string(),
});

/** {@link JWTRule}. */
export const jwtRuleSchema = looseObject({
  issuer: z.string().optional(),
  audiences: z.array(z.string()).optional(),
  jwksUri: z.string().optional(),
  jwks: z.string().optional(),
  fromHeaders: z.array(jwtHeaderSchema).optional(),
  fromParams: z.array(z.string()).optional(),
  fromCookies: z.array(z.string()).optional(),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().optional(),
  outputClaimToHeaders: z.array(claimToHeaderSchema).optional(),
  spaceDelimitedClaims: z.array(z.string()).max(64).optional(),
  timeout: duration().optional(),
});

/** {@link RequestAuthenticationSpec}. Istio's CRD bounds: at most 16 targetRefs, 4096 rules. */
export const requestAuthenticationSpecSchema = looseObject({
  selector: policyWorkloadSelectorSchema.optional(),
  targetRef: policyTargetReferenceSchema.optional(),
  targetRefs: z.array(policyTargetReferenceSchema).max(16).optional(),
  jwtRules: z.array(jwtRuleSchema).max(4096).optional(),
});

/** {@link RequestAuthentication}: the whole resource (without `status`). */
export const requestAuthenticationSchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("RequestAuthentication"),
  metadata: objectMetaSchema,
  spec: requestAuthenticationSpecSchema,
});
