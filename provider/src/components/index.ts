/** The Pulumi components of the package, and the types of their Args. */
export { Gateway, GATEWAY_TYPE } from "./gateway";
export type { GatewayArgs } from "./gateway";
export { VirtualService, VIRTUAL_SERVICE_TYPE } from "./virtual-service";
export type { VirtualServiceArgs } from "./virtual-service";
export { IstioCrds, ISTIO_CRDS_TYPE } from "./istio-crds";
export type { IstioCrdsArgs } from "./istio-crds";
export type { ResourceMetadata } from "./metadata";
export type { TLSCredential } from "./tls-credential";
export { GatewayProxy, GATEWAY_PROXY_TYPE, ServiceType } from "./gateway-proxy";
export type { GatewayProxyArgs, ProxyPort } from "./gateway-proxy";
