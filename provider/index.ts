// The Pulumi component package `istio-gateway`: every ComponentResource exported here becomes a
// type in the schema (`istio-gateway:index:<ClassName>`), inferred from its Args interface.
export { Gateway, VirtualService, IstioCrds, GatewayProxy, ServiceType } from "./src/components";
export type {
  GatewayArgs,
  VirtualServiceArgs,
  IstioCrdsArgs,
  GatewayProxyArgs,
  ProxyPort,
  ResourceMetadata,
  TLSCredential,
} from "./src/components";
// The spec types, for typing a spec outside a constructor call, and Istio's enumerations.
export type {
  GatewaySpec,
  Server,
  Port,
  ServerTLSSettings,
  TLSCertificate,
  VirtualServiceSpec,
  HTTPRoute,
  HTTPMatchRequest,
  HTTPRouteDestination,
  StringMatch,
  Destination,
  PortSelector,
  TLSRoute,
  TLSMatchAttributes,
  TCPRoute,
  L4MatchAttributes,
  RouteDestination,
} from "./src/istio/model";
export { PortProtocol, TLSmode, TLSProtocol } from "./src/istio/model";
