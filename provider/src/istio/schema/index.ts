/**
 * zod schemas for every modelled kind: the single source of shape rules. The CRDs' OpenAPI schemas
 * are generated from them (`crd.ts`), and a test keeps them in agreement with the model's types.
 */
export * from "./meta";
export * from "./gateway";
export * from "./virtual-service";
export * from "./destination-rule";
export * from "./service-entry";
export * from "./authorization-policy";
export * from "./request-authentication";
export * from "./security-policy";
export * from "./kubernetes";
export * from "./at-most-one";
export * from "./loose";
export * from "./scalars";
export * from "./value";
export * from "./structural";
export * from "./crd";
