/**
 * The Service ports of a gateway proxy: one per distinct `port.number` among the servers of the
 * Gateways that select the proxy's pod labels (and the ports given as input), each mapped to the
 * unprivileged port the proxy listens on for it.
 */
import { selectorMatches } from "../../istio/binding";
import type { GatewaySpec, Port } from "../../istio/model";

/** One Service port and the pod port behind it. */
export interface ProxyPort {
  /** The Service port name: the Gateway server's `port.name` when it is a usable, untaken DNS label, else `<protocol>-<number>`. */
  name: string;
  /** The Service port: the Gateway server's `port.number`. */
  port: number;
  /** The pod port the proxy listens on (`--port port=targetPort`). */
  targetPort: number;
  /** The Gateway server's protocol, upper case (`HTTP`, `HTTPS`, `TLS`, `TCP`, ...). */
  protocol: string;
}

/** A Gateway as the proxy's ports read it: its spec, and where it came from for messages. */
export interface SelectingGateway {
  /** `<namespace>/<name>`. */
  key: string;
  /** The Gateway's spec. */
  spec: GatewaySpec;
}

/**
 * The port the proxy listens on for a Service port: ports below 1024 map to port+8000 (Istio's
 * 80 -> 8080, 443 -> 8443) so the proxy needs no privilege to bind; the others are unchanged.
 * The same mapping as the proxy's own default.
 */
export function listenPortFor(servicePort: number): number {
  return servicePort < 1024 ? servicePort + 8000 : servicePort;
}

/** The Gateways among `gateways` whose `selector` matches `labels` (an absent selector matches every pod). */
export function gatewaysSelecting(
  gateways: readonly SelectingGateway[],
  labels: Readonly<Record<string, string>>,
): SelectingGateway[] {
  return gateways.filter((g) => selectorMatches(g.spec.selector, labels));
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The Service ports for the servers of `gateways` and the extra `ports`, sorted by number. A port
 * number served by several servers is one Service port, named after the first server in order
 * (Gateways by key, then servers in order, then the extra ports). Unix-socket servers (port 0)
 * have no Service port.
 */
export function servicePortsFor(gateways: readonly SelectingGateway[], ports: readonly Port[]): ProxyPort[] {
  const servers: Port[] = [...gateways]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .flatMap((g) => (g.spec.servers ?? []).map((s) => s.port));
  const byNumber = new Map<number, Port>();
  for (const port of [...servers, ...ports]) {
    if (port === undefined || !Number.isInteger(port.number) || port.number < 1 || port.number > 65535)
      continue;
    if (!byNumber.has(port.number)) byNumber.set(port.number, port);
  }
  const sorted = [...byNumber.values()].sort((a, b) => a.number - b.number);
  // Given names first, so a fallback never takes a name a later port was given.
  const given = sorted.map((p) => String(p.name ?? "").toLowerCase());
  const used = new Set<string>();
  const kept = given.map((name) => {
    const ok = DNS_LABEL.test(name) && name.length <= 63 && !used.has(name);
    if (ok) used.add(name);
    return ok;
  });
  return sorted.map((p, i) => {
    const protocol = String(p.protocol ?? "TCP").toUpperCase();
    let name = given[i];
    if (!kept[i]) {
      const base = `${protocol.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${p.number}`;
      name = base;
      for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
      used.add(name);
    }
    return { name, port: p.number, targetPort: listenPortFor(p.number), protocol };
  });
}
