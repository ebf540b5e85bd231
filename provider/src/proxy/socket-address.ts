/**
 * A socket address as Envoy writes it in access logs, admin output and header formatters
 * (`%DOWNSTREAM_REMOTE_ADDRESS%`, `%UPSTREAM_HOST%`): `ip:port`, with an IPv6 address in brackets so
 * that its port stays readable.
 */

/** `ip`, bracketed when it is an IPv6 address (`[::1]`). */
export function hostText(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** `ip:port`, or `[ip]:port` for an IPv6 address; a socket that reports neither gives `:0`. */
export function socketAddress(ip: string | undefined, port: number | undefined): string {
  return `${hostText(ip ?? "")}:${port ?? 0}`;
}
