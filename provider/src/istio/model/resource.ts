/** The kinds this project reads, as one tagged union keyed by `kind`. */
import type { AuthorizationPolicy } from "./authorization-policy";
import type { DestinationRule } from "./destination-rule";
import type { Gateway } from "./gateway";
import type { Pod, Secret, Service } from "./kubernetes";
import type { RequestAuthentication } from "./request-authentication";
import type { ServiceEntry } from "./service-entry";
import type { VirtualService } from "./virtual-service";

/** Istio networking kinds. */
export type IstioResource = Gateway | VirtualService | DestinationRule | ServiceEntry;

/** Every kind the rules and the proxy read. */
export type Resource = IstioResource | AuthorizationPolicy | RequestAuthentication | Secret | Service | Pod;

/** The `kind` strings of {@link Resource}. */
export type ResourceKind = Resource["kind"];

/** Kinds of `networking.istio.io` this project understands. */
export const ISTIO_KINDS = ["Gateway", "VirtualService", "DestinationRule", "ServiceEntry"] as const;

/** Kinds of `security.istio.io` this project understands. */
export const SECURITY_KINDS = ["AuthorizationPolicy", "RequestAuthentication"] as const;

/** Core Kubernetes kinds this project reads. */
export const CORE_KINDS = ["Secret", "Service", "Pod"] as const;
