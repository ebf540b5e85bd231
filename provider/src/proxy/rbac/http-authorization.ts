/**
 * The HTTP RBAC filter of Istio's gateways, run before routing: a request an AuthorizationPolicy
 * denies gets 403 `RBAC: access denied` whether or not a route would have matched.
 */
import { RbacAccessDeniedError } from "../errors";
import type { Exchange } from "../http/exchange";
import { clientIp } from "../http/forwarded-request";
import type { RbacEngine, RbacRequest } from "./rbac-engine";
import { peerPrincipal } from "./peer-principal";
import type { RequestAuth } from "../jwt/request-auth";

/** What an HTTP request shows the RBAC filter, read when a rule asks. */
class HttpRbacRequest implements RbacRequest {
  constructor(private readonly x: Exchange) {}

  host(): string {
    return this.x.routeReq.authority;
  }

  method(): string {
    return this.x.routeReq.method;
  }

  path(): string {
    return this.x.routeReq.path;
  }

  header(name: string): string | undefined {
    const v = this.x.routeReq.headers[name];
    return v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
  }

  destinationPort(): number {
    return this.x.state?.localPort ?? 0;
  }

  destinationIp(): string {
    return this.x.state?.localAddress ?? "";
  }

  serverName(): string | undefined {
    return this.x.state?.serverName;
  }

  sourceIp(): string {
    return clientIp(this.x.state, this.x.req);
  }

  remoteIp(): string {
    // What Envoy takes as the client: past the trusted hops of x-forwarded-for, else the peer.
    return this.x.forwardedClient ?? this.sourceIp();
  }

  principal(): string | undefined {
    return peerPrincipal(this.x.state?.socket);
  }

  requestAuth(): RequestAuth | undefined {
    return this.x.requestAuth;
  }
}

/** The denial of `x` by `engine`, or undefined when it is allowed. */
export function authorizeHttp(engine: RbacEngine, x: Exchange): RbacAccessDeniedError | undefined {
  const details = engine.evaluate(new HttpRbacRequest(x));
  return details === undefined ? undefined : new RbacAccessDeniedError(details);
}
