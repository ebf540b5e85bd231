/**
 * "At most one of these fields", Istio's protobuf `oneof` (and its CEL rules on Gateway TLS). The
 * zod refinement reports it once, on the object; the JSON Schema carries the groups under
 * {@link AT_MOST_ONE_KEY} so the CRD builder can express them in Kubernetes' terms.
 */
import type { z } from "zod";

/** JSON Schema extension key holding the groups; replaced by the CRD builder, never published. */
export const AT_MOST_ONE_KEY = "x-istio-gateway-at-most-one";

/** Issue parameter marking a zod issue as an at-most-one finding. */
export const AT_MOST_ONE_PARAM = "atMostOne";

/** How the API server should enforce a group: a structural `oneOf`, or a CEL rule (as Istio does for TLS). */
export type AtMostOneForm = "oneOf" | "cel";

/** One group of mutually exclusive fields. */
export interface AtMostOneGroup {
  /** The field names, in the order the message names them. */
  fields: readonly string[];
  /** How the CRD enforces it. */
  form: AtMostOneForm;
}

/** `exact, prefix or regex`. */
export function listFields(fields: readonly string[]): string {
  if (fields.length === 1) return fields[0];
  return `${fields.slice(0, -1).join(", ")} or ${fields[fields.length - 1]}`;
}

/** The finding for a violated group: `only one of exact, prefix or regex may be set`. */
export function atMostOneMessage(fields: readonly string[]): string {
  return `only one of ${listFields(fields)} may be set`;
}

function countSet(value: object, fields: readonly string[]): number {
  const record = value as Record<string, unknown>;
  return fields.filter((f) => Object.hasOwn(record, f) && record[f] !== undefined).length;
}

/**
 * Adds at-most-one rules to an object schema. A field counts as set when it is present at all,
 * even empty, as the API server's `required` and CEL `has()` see it.
 */
export function atMostOne<T extends z.ZodType<object>>(schema: T, groups: readonly AtMostOneGroup[]): T {
  let checked: z.ZodType<object> = schema;
  for (const group of groups) {
    checked = checked.refine((value) => countSet(value, group.fields) <= 1, {
      message: atMostOneMessage(group.fields),
      params: { [AT_MOST_ONE_PARAM]: true },
      // Report the group even when a field in it is itself invalid, as the API server does.
      when: (payload) => typeof payload.value === "object" && payload.value !== null,
    });
  }
  return checked.meta({ [AT_MOST_ONE_KEY]: groups }) as T;
}
