/**
 * The shape of the core Kubernetes kinds read beside Istio's: the modelled fields typed, the rest
 * of Kubernetes' API let through.
 */
import { z } from "zod";
import { looseObject } from "./loose";
import { objectMetaSchema } from "./meta";
import { formatValue } from "./value";
import { int32, stringMap } from "./scalars";

/** {@link Secret}. */
export const secretSchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("Secret"),
  metadata: objectMetaSchema,
  type: z.string().optional(),
  data: stringMap().optional(),
  stringData: stringMap().optional(),
});

/** {@link ServiceSpecPort}. */
export const serviceSpecPortSchema = looseObject({
  name: z.string().optional(),
  protocol: z.string().optional(),
  port: int32(),
  targetPort: z
    .union([int32(), z.string()], {
      error: (issue) => `must be an integer or a port name (got ${formatValue(issue.input)})`,
    })
    .optional(),
});

/** {@link ServiceSpec}. */
export const serviceSpecSchema = looseObject({
  selector: stringMap().optional(),
  ports: z.array(serviceSpecPortSchema).optional(),
  type: z.string().optional(),
  clusterIP: z.string().optional(),
});

/** {@link Service}. */
export const serviceSchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("Service"),
  metadata: objectMetaSchema,
  spec: serviceSpecSchema,
});

/** {@link Pod}. */
export const podSchema = looseObject({
  apiVersion: z.string(),
  kind: z.literal("Pod"),
  metadata: objectMetaSchema,
});
