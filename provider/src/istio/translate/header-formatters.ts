/**
 * The Envoy header formatters (`%VARIABLE%`) the gateway proxy evaluates; the router implements
 * exactly these, and translation reports any other as sent literally.
 */

/** The variable names supported (`REQ` and `RESP` take a header name: `%REQ(x-user)%`). */
export const SUPPORTED_FORMATTERS: readonly string[] = [
  "DOWNSTREAM_REMOTE_ADDRESS",
  "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
  "DOWNSTREAM_REMOTE_PORT",
  "DOWNSTREAM_LOCAL_ADDRESS",
  "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
  "DOWNSTREAM_LOCAL_PORT",
  "REQUESTED_SERVER_NAME",
  "PROTOCOL",
  "HOSTNAME",
  "START_TIME",
  "REQ",
  "RESP",
  "ROUTE_NAME",
  "UPSTREAM_CLUSTER",
  "UPSTREAM_REMOTE_ADDRESS",
  "RESPONSE_CODE",
];

const supported = new Set(SUPPORTED_FORMATTERS);
const variable = /^([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?$/;

/**
 * The variables in `value` the proxy does not evaluate, in order (`%UPSTREAM_METADATA(a:b)%`
 * gives `UPSTREAM_METADATA`; `%START_TIME(...)%` with a format and `%REQ()%` without a name
 * count as unsupported). `%%` is a literal `%`.
 */
export function unsupportedFormatters(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] !== "%") {
      i++;
      continue;
    }
    if (value[i + 1] === "%") {
      i += 2;
      continue;
    }
    const close = value.indexOf("%", i + 1);
    if (close === -1) break;
    const body = value.slice(i + 1, close);
    const m = variable.exec(body);
    if (m === null) out.push(body);
    else if (!supported.has(m[1])) out.push(m[1]);
    else if (m[1] === "START_TIME" && m[2] !== undefined) out.push("START_TIME");
    else if ((m[1] === "REQ" || m[1] === "RESP") && (m[2] === undefined || m[2] === "")) out.push(m[1]);
    i = close + 1;
  }
  return out;
}
