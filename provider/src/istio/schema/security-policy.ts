/** Schemas of what Istio's security policies share (model/security-policy.ts). */
import { z } from "zod";
import { looseObject } from "./loose";
import { stringMap } from "./scalars";

/** {@link PolicyWorkloadSelector}. */
export const policyWorkloadSelectorSchema = looseObject({
  matchLabels: stringMap().optional(),
});

/** {@link PolicyTargetReference}. */
export const policyTargetReferenceSchema = looseObject({
  group: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});
