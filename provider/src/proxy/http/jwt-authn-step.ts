/**
 * RequestAuthentication on a request, where Envoy's `jwt_authn` filter runs: after the connection
 * manager picked the route, before any other filter and the router. A refused token is answered as
 * the filter answers it: 401 (403 for an audience not allowed) with the status as a plain-text body,
 * `www-authenticate: Bearer realm="<request URL>"` (with `, error="invalid_token"` unless the token
 * was missing), and response code details `jwt_authn_access_denied{<status>}`. istiod sets
 * `bypass_cors_preflight`: a CORS preflight is never looked at.
 */
import type { ProxyError } from "../errors";
import { toProxyError } from "../errors";
import type { JwtAuthnFilter } from "../jwt/jwt-authn-filter";
import { jwtDeniedDetails, JwtStatus } from "../jwt/jwt-status";
import type { HeaderMap } from "../router/header-operations";
import { routeRequest } from "../router/route-match";
import type { Exchange } from "./exchange";

/** What the step needs of the connection manager. */
export interface JwtAuthnHost {
  /** Sends a response the proxy makes. */
  replyLocal(x: Exchange, status: number, headers: HeaderMap, body: string): void;
  /** Answers a failure. */
  replyError(x: Exchange, err: ProxyError): void;
}

/** Envoy's limit on the path in the `www-authenticate` realm (`MaximumUriLength`). */
const MAX_REALM_PATH = 256;

/** Authenticates `x`, then calls `next` (on the same exchange) or answers the refusal. */
export function runJwtAuthn(filter: JwtAuthnFilter, x: Exchange, host: JwtAuthnHost, next: () => void): void {
  if (isCorsPreflight(x)) return next();
  filter
    .authenticate({ headers: x.routeReq.headers as HeaderMap, query: x.routeReq.query }, nowSeconds())
    .then(
      (result) => {
        if (x.done) return;
        if (result.status !== JwtStatus.Ok) return deny(x, host, result.status);
        x.requestAuth = result.auth;
        try {
          next();
        } catch (err) {
          host.replyError(x, toProxyError(err));
        }
      },
      (err: unknown) => host.replyError(x, toProxyError(err)),
    );
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function isCorsPreflight(x: Exchange): boolean {
  const h = x.routeReq.headers;
  return (
    x.routeReq.method === "OPTIONS" &&
    (h["origin"] ?? "") !== "" &&
    (h["access-control-request-method"] ?? "") !== ""
  );
}

function deny(x: Exchange, host: JwtAuthnHost, status: JwtStatus): void {
  // Envoy's connection manager chose the route before its filters ran: the access log names it.
  const decision = routeRequest(x.chain.routes!, x.routeReq);
  if (decision.kind !== "no-virtual-host") x.virtualHost = decision.virtualHost;
  if (decision.kind === "matched") x.route = decision.route;
  x.errorCode = "IGW_ERR_JWT_AUTHN";
  x.details = jwtDeniedDetails(status);
  const target = x.req.url ?? "";
  const realm = `${x.routeReq.scheme}://${x.routeReq.authority}${target.slice(0, MAX_REALM_PATH)}`;
  const challenge = `Bearer realm="${realm}"${status === JwtStatus.JwtMissed ? "" : ', error="invalid_token"'}`;
  host.replyLocal(
    x,
    status === JwtStatus.JwtAudienceNotAllowed ? 403 : 401,
    {
      "www-authenticate": challenge,
      "content-type": "text/plain",
      "content-length": String(Buffer.byteLength(status)),
    },
    status,
  );
}
