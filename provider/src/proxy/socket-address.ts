/**
 * A socket address as Envoy writes it in access logs and admin output (`%DOWNSTREAM_REMOTE_ADDRESS%`,
 * `%UPSTREAM_HOST%`): `ip:port`, with an IPv6 address in brackets so that its port stays readable.
 */

/** `ip:port`, or `[ip]:port` for an IPv6 address. */
export function socketAddress(ip: string, port: number | undefined): string {
  return ip.includes(":") ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}
