/**
 * Kubernetes' rules for structural OpenAPI v3 schemas in CustomResourceDefinitions
 * (apiextensions.k8s.io/v1), as a checker: the API server refuses a CRD whose schema breaks them.
 * Used to test the generated CRDs without an API server.
 */

/** The subset of Kubernetes' `JSONSchemaProps` the generated CRDs use. */
export interface JSONSchemaProps {
  /** `object`, `array`, `string`, `integer`, `number` or `boolean`. */
  type?: string;
  /** `int32`, `int64`, `double`, ... */
  format?: string;
  /** Shown by `kubectl explain`. */
  description?: string;
  /** Fields of an object. */
  properties?: Record<string, JSONSchemaProps>;
  /** The value schema of a map (exclusive with `properties`). */
  additionalProperties?: JSONSchemaProps;
  /** Fields that must be present. */
  required?: string[];
  /** The element schema of an array. */
  items?: JSONSchemaProps;
  /** Fewest items. */
  minItems?: number;
  /** Most items. */
  maxItems?: number;
  /** Smallest number. */
  minimum?: number;
  /** Largest number. */
  maximum?: number;
  /** Allowed values. */
  enum?: unknown[];
  /** Value validation: exactly one must hold. */
  oneOf?: JSONSchemaProps[];
  /** Value validation: at least one must hold. */
  anyOf?: JSONSchemaProps[];
  /** Value validation: all must hold. */
  allOf?: JSONSchemaProps[];
  /** Value validation: must not hold. */
  not?: JSONSchemaProps;
  /** Keep fields the schema does not list. */
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  /** CEL rules. */
  "x-kubernetes-validations"?: Array<{ rule: string; message?: string }>;
}

/** Keys Kubernetes' JSONSchemaProps knows; anything else is refused or silently dropped. */
const KNOWN_KEYS = new Set([
  "type",
  "format",
  "title",
  "description",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "allOf",
  "oneOf",
  "anyOf",
  "not",
  "properties",
  "additionalProperties",
  "nullable",
  "example",
  "externalDocs",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

/** Keys not allowed inside value validations (allOf, anyOf, oneOf, not). */
const FORBIDDEN_IN_VALUE_VALIDATION = [
  "type",
  "description",
  "default",
  "additionalProperties",
  "nullable",
  "title",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
];

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);
const VALUE_VALIDATIONS = ["allOf", "anyOf", "oneOf"] as const;

/**
 * The violations of Kubernetes' structural schema rules in `schema` (the `openAPIV3Schema` of one
 * version), each as `<path>: <rule>`; empty when the schema is structural.
 */
export function structuralSchemaErrors(schema: JSONSchemaProps): string[] {
  const errors: string[] = [];
  checkNode(schema as Record<string, unknown>, "openAPIV3Schema", errors);
  if (schema.type !== "object") errors.push("openAPIV3Schema.type: must be object at the root");
  return errors;
}

function checkKeys(node: Record<string, unknown>, path: string, errors: string[]): void {
  for (const key of Object.keys(node)) {
    if (!KNOWN_KEYS.has(key)) errors.push(`${path}.${key}: not a Kubernetes JSONSchemaProps field`);
  }
}

function checkNode(node: Record<string, unknown>, path: string, errors: string[]): void {
  checkKeys(node, path, errors);
  const type = node.type;
  const preserve = node["x-kubernetes-preserve-unknown-fields"];
  const intOrString = node["x-kubernetes-int-or-string"] === true;
  if (preserve !== undefined && preserve !== true) {
    errors.push(`${path}.x-kubernetes-preserve-unknown-fields: must be true when set`);
  }
  if (type === undefined) {
    if (!intOrString && preserve !== true) errors.push(`${path}.type: must be set (every node is typed)`);
  } else if (typeof type !== "string" || !TYPES.has(type)) {
    errors.push(`${path}.type: must be one of object, array, string, integer, number, boolean`);
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    errors.push(`${path}: properties and additionalProperties are mutually exclusive`);
  }
  if (node.additionalProperties !== undefined && typeof node.additionalProperties !== "object") {
    errors.push(`${path}.additionalProperties: must be a schema, not a boolean`);
  }
  if ((node.properties !== undefined || node.additionalProperties !== undefined) && type !== "object") {
    errors.push(`${path}: properties need type object`);
  }
  if (node.items !== undefined) {
    if (type !== "array") errors.push(`${path}: items needs type array`);
    if (Array.isArray(node.items) || typeof node.items !== "object") {
      errors.push(`${path}.items: must be one schema`);
    } else {
      checkNode(node.items as Record<string, unknown>, `${path}.items`, errors);
    }
  } else if (type === "array") {
    errors.push(`${path}.items: must be set for arrays`);
  }
  if (node.uniqueItems === true) errors.push(`${path}.uniqueItems: must not be true`);
  if (type === "integer" || type === "number") {
    for (const bound of ["minimum", "maximum"]) {
      if (node[bound] !== undefined && typeof node[bound] !== "number")
        errors.push(`${path}.${bound}: must be a number`);
    }
  }
  if (Array.isArray(node.enum)) {
    for (const v of node.enum) {
      if (!matchesType(v, type))
        errors.push(`${path}.enum: ${JSON.stringify(v)} does not match type ${String(type)}`);
    }
  }
  const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [name, child] of Object.entries(properties ?? {}))
    checkNode(child, `${path}.properties.${name}`, errors);
  if (typeof node.additionalProperties === "object" && node.additionalProperties !== null) {
    checkNode(node.additionalProperties as Record<string, unknown>, `${path}.additionalProperties`, errors);
  }
  for (const rule of (node["x-kubernetes-validations"] as Array<Record<string, unknown>> | undefined) ?? []) {
    if (typeof rule.rule !== "string" || rule.rule === "")
      errors.push(`${path}.x-kubernetes-validations: rule required`);
  }
  for (const key of VALUE_VALIDATIONS) {
    const list = node[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push(`${path}.${key}: must be a list`);
      continue;
    }
    list.forEach((v, i) =>
      checkValueValidation(v as Record<string, unknown>, node, `${path}.${key}[${i}]`, errors),
    );
  }
  if (node.not !== undefined)
    checkValueValidation(node.not as Record<string, unknown>, node, `${path}.not`, errors);
}

/**
 * Inside allOf/anyOf/oneOf/not only value checks are allowed, and every field they mention must
 * exist in the structural part (the "projection" rule).
 */
function checkValueValidation(
  node: Record<string, unknown>,
  structural: Record<string, unknown>,
  path: string,
  errors: string[],
): void {
  checkKeys(node, path, errors);
  for (const key of FORBIDDEN_IN_VALUE_VALIDATION) {
    if (node[key] !== undefined) errors.push(`${path}.${key}: not allowed inside a value validation`);
  }
  const known = (structural.properties as Record<string, unknown> | undefined) ?? {};
  for (const name of (node.required as string[] | undefined) ?? []) {
    if (!(name in known) && structural.additionalProperties === undefined) {
      errors.push(`${path}.required: ${JSON.stringify(name)} is not a property of the structural schema`);
    }
  }
  for (const [name, child] of Object.entries(
    (node.properties as Record<string, Record<string, unknown>>) ?? {},
  )) {
    if (!(name in known)) errors.push(`${path}.properties.${name}: not a property of the structural schema`);
    else
      checkValueValidation(
        child,
        known[name] as Record<string, unknown>,
        `${path}.properties.${name}`,
        errors,
      );
  }
  for (const key of VALUE_VALIDATIONS) {
    const list = node[key];
    if (Array.isArray(list)) {
      list.forEach((v, i) =>
        checkValueValidation(v as Record<string, unknown>, structural, `${path}.${key}[${i}]`, errors),
      );
    }
  }
  if (node.not !== undefined)
    checkValueValidation(node.not as Record<string, unknown>, structural, `${path}.not`, errors);
}

function matchesType(value: unknown, type: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    default:
      return true;
  }
}
