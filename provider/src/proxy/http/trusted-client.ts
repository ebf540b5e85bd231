/**
 * The client a request came from, as an Istio gateway behind other proxies (a cloud load balancer,
 * a CDN) tells it: Istio's `gatewayTopology.numTrustedProxies` (ProxyConfig, set by the gateway
 * pod's `proxy.istio.io/config` annotation) becomes Envoy's `xff_num_trusted_hops`. With N trusted
 * proxies in front, the client is the N-th address from the right of the `x-forwarded-for` the
 * request arrived with (the last trusted proxy appended the one before it), and the
 * `x-forwarded-proto` it arrived with is kept as its scheme. Without them, or when the header has
 * fewer addresses or that one is not an IP address, the client is the connection's peer and the
 * scheme the listener's. The proxy appends the peer to `x-forwarded-for` either way.
 */
import { isIP } from "node:net";

/** Request headers, as both functions read them. */
type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The client's address from the `x-forwarded-for` among `headers` (several headers joined) with
 * `numTrustedProxies` proxies in front, as Envoy's `getLastAddressFromXFF` picks it; undefined
 * when there is none to trust (then the connection's peer is the client). Without trusted proxies
 * the headers are not looked at.
 */
export function clientFromForwardedFor(headers: Headers, numTrustedProxies: number): string | undefined {
  if (numTrustedProxies <= 0) return undefined;
  const xff = headers["x-forwarded-for"];
  if (xff === undefined) return undefined;
  const addresses = (typeof xff === "string" ? xff : xff.join(",")).split(",");
  if (addresses.length < numTrustedProxies) return undefined;
  const candidate = addresses[addresses.length - numTrustedProxies]!.trim();
  return isIP(candidate) === 0 ? undefined : candidate;
}

/**
 * The request's scheme: the `x-forwarded-proto` among its `headers` when trusted proxies sit in
 * front and it has one (Envoy keeps it then, and its TLS requirement and redirects read it), else
 * the listener's. Without trusted proxies the headers are not looked at.
 */
export function trustedScheme(headers: Headers, numTrustedProxies: number, listenerScheme: string): string {
  if (numTrustedProxies <= 0) return listenerScheme;
  const xfp = headers["x-forwarded-proto"];
  const value = typeof xfp === "string" ? xfp : xfp?.[0];
  return value === undefined || value === "" ? listenerScheme : value;
}
