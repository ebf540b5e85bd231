/**
 * The shape of an AuthorizationPolicy: every field of Istio's API is typed. Value rules (CIDR
 * blocks, ports, `when` keys, which fields go together) are rules (IGW5200-5299), not shape.
 */
import { z } from "zod";
import { AuthorizationPolicyAction } from "../model";
import { looseObject } from "./loose";
import { objectMetaSchema } from "./meta";
import { policyTargetReferenceSchema, policyWorkloadSelectorSchema } from "./security-policy";

const strings = () => z.array(z.string()).optional();

/** {@link ExtensionProvider}. */
export const extensionProviderSchema = looseObject({
  name: z.string().optional(),
});

/** {@link Source}. */
export const sourceSchema = looseObject({
  principals: strings(),
  notPrincipals: strings(),
  requestPrincipals: strings(),
  notRequestPrincipals: strings(),
  namespaces: strings(),
  notNamespaces: strings(),
  serviceAccounts: strings(),
  notServiceAccounts: strings(),
  trustDomains: strings(),
  notTrustDomains: strings(),
  ipBlocks: strings(),
  notIpBlocks: strings(),
  remoteIpBlocks: strings(),
  notRemoteIpBlocks: strings(),
});

/** {@link Operation}. */
export const operationSchema = looseObject({
  hosts: strings(),
  notHosts: strings(),
  ports: strings(),
  notPorts: strings(),
  methods: strings(),
  notMethods: strings(),
  paths: strings(),
  notPaths: strings(),
});

/** {@link Condition}. */
export const conditionSchema = looseObject({
  key: z.string(),
  values: strings(),
  notValues: strings(),
});

/** {@link RuleFrom}. */
export const ruleFromSchema = looseObject({ source: sourceSchema.optional() });

/** {@link RuleTo}. */
export const ruleToSchema = looseObject({ operation: operationSchema.optional() });

/** {@link Rule}. */
export const ruleSchema = looseObject({
  from: z.array(ruleFromSchema).optional(),
  to: z.array(ruleToSchema).optional(),
  when: z.array(conditionSchema).optional(),
});

/** {@link AuthorizationPolicySpec}. */
export const authorizationPolicySpecSchema = looseObject({
  selector: policyWorkloadSelectorSchema.optional(),
  targetRef: policyTargetReferenceSchema.optional(),
  targetRefs: z.array(policyTargetReferenceSchema).optional(),
  rules: z.array(ruleSchema).optional(),
  action: z.enum(AuthorizationPolicyAction).optional(),
  provider: extensionProviderSchema.optional(),
});

/** {@link AuthorizationPolicy}: the whole resource (without `status`). */
export const authorizationPolicySchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("AuthorizationPolicy"),
  metadata: objectMetaSchema,
  spec: authorizationPolicySpecSchema.optional(),
});
