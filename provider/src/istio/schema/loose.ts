/**
 * Loose objects: the modelled fields typed, any other field let through unchecked. Used where the
 * model covers only part of Istio's API (DestinationRule, ServiceEntry) and for core Kubernetes
 * kinds, so a valid field this project does not model is never a finding. The CRD keeps such
 * fields (`x-kubernetes-preserve-unknown-fields`).
 */
import { z } from "zod";

/** JSON Schema key that tells the API server to keep fields the schema does not list. */
export const PRESERVE_UNKNOWN_FIELDS = "x-kubernetes-preserve-unknown-fields";

/** An object schema that accepts unknown fields. */
export function looseObject<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape).meta({ [PRESERVE_UNKNOWN_FIELDS]: true });
}
