/** The proxy's Kubernetes configuration source and what it needs from the cluster. */
export * from "./backoff";
export * from "./credential-secrets";
export * from "./destination-services";
export * from "./endpoint-entries";
export * from "./kube-config";
export * from "./kubernetes-load";
export * from "./kubernetes-objects";
export * from "./kubernetes-source";
export * from "./list-objects";
export * from "./rbac";
export * from "./reflector";
