/** The port of a server (GW-PORT-1..5): present, a known protocol, a number in range, a name, no targetPort. */
import type { PortProtocol } from "../../model";
import { PortProtocol as Protocols, parseProtocol } from "../../model";
import { childPath } from "../path";
import type { ServerContext } from "./context";
import { isRecord, show } from "./context";
import { UNIX_ADDRESS_PREFIX } from "./bind";

const protocolList = Object.values(Protocols)
  .map((p) => JSON.stringify(p))
  .join(", ");

/**
 * Checks `port`. Returns the parsed protocol when the port is present and its protocol known (the
 * TLS-versus-protocol rules need it), else `undefined`.
 */
export function validateServerPort(ctx: ServerContext): PortProtocol | undefined {
  const port = ctx.server.port;
  const path = childPath(ctx.path, "port");
  if (!isRecord(port)) {
    ctx.report("IGW2201", path, "required: a server needs a port with number, protocol and name");
    return undefined;
  }

  const protocol = typeof port.protocol === "string" ? parseProtocol(port.protocol) : undefined;
  if (protocol === undefined) {
    ctx.report(
      "IGW2202",
      childPath(path, "protocol"),
      `must be one of ${protocolList}, in any case (got ${show(port.protocol ?? "")})`,
    );
  }

  // Port 0 is how a server listening on a unix socket says it has no TCP port.
  const bind = typeof ctx.server.bind === "string" ? ctx.server.bind : "";
  const number = port.number ?? 0;
  const unixWithoutPort = bind.startsWith(UNIX_ADDRESS_PREFIX) && number === 0;
  if (
    !unixWithoutPort &&
    !(Number.isInteger(number) && (number as number) >= 1 && (number as number) <= 65535)
  ) {
    ctx.report(
      "IGW2203",
      childPath(path, "number"),
      `must be an integer from 1 to 65535 (got ${show(number)})`,
    );
  }

  const targetPort = port.targetPort;
  if (targetPort !== undefined && targetPort !== null && targetPort !== 0) {
    ctx.report(
      "IGW2204",
      childPath(path, "targetPort"),
      `must not be set: a Gateway server listens on port.number and ignores targetPort (got ${show(targetPort)})`,
    );
  }

  if (port.name === undefined || port.name === null || port.name === "") {
    ctx.report("IGW2205", childPath(path, "name"), `must not be empty (got ${show(port.name ?? "")})`);
  }
  return protocol;
}
