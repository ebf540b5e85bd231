/**
 * The shape of a ServiceEntry. The modelled fields are typed; every other field of Istio's API
 * passes through. List sizes are Istio's CRD bounds; port ranges, resolution and endpoint
 * consistency are rules (IGW5100-5199), not shape.
 */
import { z } from "zod";
import { ServiceEntryLocation, ServiceEntryResolution } from "../model";
import { looseObject } from "./loose";
import { objectMetaSchema } from "./meta";
import { stringMap, uint32 } from "./scalars";

/** {@link ServicePort}. */
export const servicePortSchema = looseObject({
  number: uint32(),
  protocol: z.string().optional(),
  name: z.string(),
  targetPort: uint32().optional(),
});

/** {@link WorkloadEntry}. */
export const workloadEntrySchema = looseObject({
  address: z.string().optional(),
  ports: z.record(z.string(), uint32()).optional(),
  labels: stringMap().optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: uint32().optional(),
  serviceAccount: z.string().optional(),
});

/** {@link WorkloadSelector}. */
export const workloadSelectorSchema = looseObject({
  labels: stringMap().optional(),
});

/** {@link ServiceEntrySpec}. */
export const serviceEntrySpecSchema = looseObject({
  hosts: z.array(z.string()).min(1).max(256),
  addresses: z.array(z.string()).max(256).optional(),
  ports: z.array(servicePortSchema).max(256).optional(),
  location: z.enum(ServiceEntryLocation).optional(),
  resolution: z.enum(ServiceEntryResolution).optional(),
  endpoints: z.array(workloadEntrySchema).max(4096).optional(),
  workloadSelector: workloadSelectorSchema.optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});

/** {@link ServiceEntry}: the whole resource (without `status`). */
export const serviceEntrySchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("ServiceEntry"),
  metadata: objectMetaSchema,
  spec: serviceEntrySpecSchema,
});
