/** Translation of Istio's ingress resources into the gateway proxy's configuration. */
export * from "./proxy-config";
export * from "./build-proxy-config";
export * from "./codes";
export * from "./header-formatters";
export * from "./redact";
