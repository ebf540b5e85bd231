/** Host names as Istio reads and compares them: matching, intersection, namespaces and syntax. */
export * from "./name";
export * from "./names";
export * from "./dns";
export * from "./gateway-host";
