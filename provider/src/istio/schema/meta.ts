/**
 * The shape of the Kubernetes envelope. Metadata is loose: the API server owns many more fields
 * (`ownerReferences`, `managedFields`, ...) than this project reads, and they are not findings.
 */
import { z } from "zod";
import { stringMap } from "./scalars";

/** {@link ObjectMeta}: the modelled fields typed, any other field allowed. */
export const objectMetaSchema = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: stringMap().optional(),
  annotations: stringMap().optional(),
  creationTimestamp: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
});
