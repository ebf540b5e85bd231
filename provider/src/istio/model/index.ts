/** The typed model of Istio's ingress configuration. */
export * from "./meta";
export * from "./gateway";
export * from "./virtual-service";
export * from "./destination-rule";
export * from "./service-entry";
export * from "./authorization-policy";
export * from "./request-authentication";
export * from "./security-policy";
export * from "./kubernetes";
export * from "./resource";
export * from "./protocol";
export * from "./server-kind";
