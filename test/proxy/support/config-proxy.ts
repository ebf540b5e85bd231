/** A proxy on one fixed configuration, as the suites that build their ProxyConfig by hand start it. */
import type { ProxyConfig } from "../../../provider/src/istio/translate/proxy-config";
import { GatewayProxy } from "../../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink } from "./access-log-sinks";
import type { ConnectionLimits } from "../../../provider/src/proxy/listener/listener-manager";

/** What {@link startConfigProxy} may add. */
export interface ConfigProxyOptions {
  /** Serve the status port too (on a free loopback port). */
  readonly statusPort?: boolean;
  /** Connection limits other than the defaults. */
  readonly limits?: Partial<ConnectionLimits>;
}

/**
 * Starts a proxy serving `config` in `istio-system`; every access-log line it writes is parsed
 * and appended to `access`.
 */
export async function startConfigProxy(
  config: ProxyConfig,
  access: Record<string, unknown>[],
  options: ConfigProxyOptions = {},
): Promise<GatewayProxy> {
  const proxy = new GatewayProxy({
    load: () => Promise.resolve({ config, messages: [] }),
    watchPaths: [],
    namespace: "istio-system",
    ...(options.statusPort === true ? { statusPort: 0, statusHost: "127.0.0.1" } : {}),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    log: () => {},
    accessLog: jsonLinesSink(access),
  });
  await proxy.start();
  return proxy;
}
