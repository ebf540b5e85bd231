/** Where a server listens (GW-BIND-1, GW-BIND-2): an IP address or a unix domain socket. */
import { isIPAddress } from "../../host/dns";
import { childPath } from "../path";
import type { ServerContext } from "./context";
import { isRecord, show } from "./context";

/** The `bind` prefix of a unix domain socket. */
export const UNIX_ADDRESS_PREFIX = "unix://";

/** Checks `bind`: absent, an IP address, or `unix://` with an absolute path or `@abstract` name and port 0. */
export function validateServerBind(ctx: ServerContext): void {
  const bind = ctx.server.bind;
  if (bind === undefined || bind === null || bind === "") return;
  const path = childPath(ctx.path, "bind");
  if (typeof bind !== "string") {
    ctx.report(
      "IGW2303",
      path,
      `must be an IP address or ${JSON.stringify(UNIX_ADDRESS_PREFIX)} and a socket path (got ${show(bind)})`,
    );
    return;
  }
  if (!bind.startsWith(UNIX_ADDRESS_PREFIX)) {
    if (!isIPAddress(bind)) {
      ctx.report(
        "IGW2303",
        path,
        `must be an IP address or ${JSON.stringify(UNIX_ADDRESS_PREFIX)} and a socket path (got ${show(bind)})`,
      );
    }
    return;
  }
  const address = bind.slice(UNIX_ADDRESS_PREFIX.length);
  // Paths are judged Unix-style whatever the platform, as Istio does (Go's path, not path/filepath).
  if (address === "" || (!address.startsWith("@") && (!address.startsWith("/") || address.endsWith("/")))) {
    ctx.report(
      "IGW2301",
      path,
      `must be "unix://" followed by an absolute path to a file or an "@abstract" socket name (got ${show(bind)})`,
    );
  }
  const port = ctx.server.port;
  if (isRecord(port) && port.number !== undefined && port.number !== null && port.number !== 0) {
    ctx.report(
      "IGW2302",
      childPath(childPath(ctx.path, "port"), "number"),
      `must be 0 when bind is a unix:// socket (got ${show(port.number)})`,
    );
  }
}
