/** The hosts of a server (GW-HOST-1..8): `[namespace/]dnsName`, at least one. */
import { childPath } from "../path";
import type { GatewayHostRule } from "../../host/gateway-host";
import { validateGatewayHost } from "../../host/gateway-host";
import type { GatewayCode } from "./codes";
import type { ServerContext } from "./context";
import { show } from "./context";

const codeOf: Readonly<Record<GatewayHostRule, GatewayCode>> = {
  "empty-part": "IGW2102",
  namespace: "IGW2103",
  "short-name": "IGW2104",
  domain: "IGW2105",
  "partial-wildcard": "IGW2106",
};

/** Checks `hosts`: present, and every entry a valid Gateway host. */
export function validateServerHosts(ctx: ServerContext): void {
  const hosts = ctx.server.hosts;
  const path = childPath(ctx.path, "hosts");
  if (!Array.isArray(hosts) || hosts.length === 0) {
    ctx.report(
      "IGW2101",
      path,
      hosts === undefined || hosts === null
        ? "required: a server needs at least one host"
        : `must list at least one host (got ${show(hosts)})`,
    );
    return;
  }
  hosts.forEach((host: unknown, i) => {
    const hostPath = childPath(path, i);
    if (typeof host !== "string") {
      ctx.report("IGW2105", hostPath, `must be a host name (got ${show(host)})`);
      return;
    }
    for (const problem of validateGatewayHost(host, ctx.gatewaySemantics)) {
      ctx.report(codeOf[problem.rule], hostPath, problem.message);
    }
  });
}
