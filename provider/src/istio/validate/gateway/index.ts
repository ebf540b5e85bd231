/**
 * The Gateway rules of Istio's validating webhook (`ValidateGateway`): metadata, servers, hosts,
 * ports, bind addresses, TLS against protocol, TLS options and certificate sources. Every finding
 * at once, with Istio's verdicts; never throws, whatever the values.
 */
import type { Gateway } from "../../model";
import type { Issue, ValidationOptions } from "../issue";
import { Reporter } from "../issue";
import { hasGatewaySemantics, resourceRefOf, validateMetadata } from "../metadata";
import { childPath, pathOf } from "../path";
import { validateServerBind } from "./bind";
import { validateCertificates } from "./certificates";
import { gatewayCodes } from "./codes";
import type { Report, ServerContext } from "./context";
import { asRecord, isRecord, reportTo, show } from "./context";
import { validateServerHosts } from "./hosts";
import { validateServerPort } from "./port";
import { validateTLSOptions } from "./tls-options";
import { validateHTTPSRedirect, validateTLSForProtocol } from "./tls-protocol";

export { gatewayCodes } from "./codes";
export type { GatewayCode } from "./codes";
export { isValidCipherSuite, VALID_CIPHER_SUITES } from "./tls-options";

/** Validates one Gateway: its metadata (including its name) and every server. */
export function validateGateway(gateway: Gateway, options: ValidationOptions = {}): Issue[] {
  const subject = { kind: "Gateway", metadata: (gateway as Partial<Gateway> | undefined)?.metadata };
  const metadataIssues = validateMetadata(subject, options);
  const reporter = new Reporter(resourceRefOf(subject), gatewayCodes, options);
  const report = reportTo(reporter);
  const gatewaySemantics = hasGatewaySemantics(subject);

  const servers = asRecord((gateway as Partial<Gateway> | undefined)?.spec).servers;
  const serversPath = pathOf("spec", "servers");
  if (!Array.isArray(servers) || servers.length === 0) {
    report(
      "IGW2001",
      serversPath,
      servers === undefined || servers === null
        ? "required: a Gateway needs at least one server"
        : `must list at least one server (got ${show(servers)})`,
    );
  } else {
    const firstByPortName = new Map<unknown, string>();
    servers.forEach((server: unknown, i) => {
      const path = childPath(serversPath, i);
      if (!isRecord(server)) {
        report("IGW2002", path, `must be a server object (got ${show(server)})`);
        return;
      }
      validateServer({ report, server, path, gatewaySemantics });
      checkUniquePortName(report, server, path, firstByPortName);
    });
  }
  return [...metadataIssues, ...reporter.issues];
}

function validateServer(ctx: ServerContext): void {
  validateServerHosts(ctx);
  const protocol = validateServerPort(ctx);
  validateServerBind(ctx);
  validateTLSForProtocol(ctx, protocol);
  validateHTTPSRedirect(ctx);
  validateTLSOptions(ctx);
  validateCertificates(ctx);
}

/** Port names are unique across servers, even on different numbers; an empty name counts too, as in Istio. */
function checkUniquePortName(
  report: Report,
  server: Record<string, unknown>,
  path: string,
  first: Map<unknown, string>,
): void {
  const port = server.port;
  if (!isRecord(port)) return;
  const name = port.name ?? "";
  const namePath = childPath(childPath(path, "port"), "name");
  const earlier = first.get(name);
  if (earlier === undefined) first.set(name, namePath);
  else
    report(
      "IGW2206",
      namePath,
      `must be unique across servers: ${earlier} has the same name (got ${show(name)})`,
    );
}
