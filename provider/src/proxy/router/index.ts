/**
 * The router: pure functions the proxy runtime calls per connection and per request. Compile a
 * route config once per configuration version (`compileRouteConfig`), then per request:
 * `routeRequest` (virtual host, TLS requirement, route), `evaluateCors`, `decideFault`,
 * `pickWeightedCluster`, `rewritePath`/`rewriteAuthority`, `applyHeaderOperations`,
 * `decideMirrors`, and `toRetryPolicy`/`isRetriable`/`retryBackoffMs` around upstream attempts.
 */
export * from "./cors";
export * from "./fault";
export * from "./filter-chain";
export * from "./header-formatter";
export * from "./header-operations";
export * from "./mirror";
export * from "./path";
export * from "./percent";
export * from "./redirect";
export * from "./regex";
export * from "./request";
export * from "./retry-policy";
export * from "./rewrite";
export * from "./route-config";
export * from "./route-match";
export * from "./string-matcher";
export * from "./virtual-host";
export * from "./weighted-cluster";
