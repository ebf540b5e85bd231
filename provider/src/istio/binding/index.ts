/** How VirtualServices bind to Gateway servers, as Istio decides it at runtime. */
export * from "./gateway-reference";
export * from "./visibility";
export * from "./selector";
export * from "./server-hosts";
export * from "./short-host";
export * from "./host-index";
export * from "./bind";
export * from "./list";
