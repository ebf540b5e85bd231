/**
 * VirtualService → Gateway findings: missing gateways (IST0101), hosts no server offers
 * (IST0132), and what Istio leaves silent — rules of the wrong block for the servers they reach,
 * `exportTo` that hides the VirtualService from the gateway pods, matches that never apply, and
 * missing delegates.
 */
import { listOf, stringsOf } from "../binding/list";
import {
  MESH_GATEWAY,
  UnboundReason,
  effectiveGateways,
  isExportedTo,
  matchApplies,
  namespaceOf,
  resolveGatewayName,
} from "../binding";
import type { GatewayAttachment, RouteBlock, ServerMatch } from "../binding";
import { ServerKind, effectiveTLSMode } from "../model";
import type { Gateway, Server, VirtualService } from "../model";
import type { AnalysisContext } from "./context";

const BLOCKS: readonly RouteBlock[] = ["http", "tls", "tcp"];

function ruleCount(vs: VirtualService, block: RouteBlock): number {
  return vs.spec?.[block]?.length ?? 0;
}

function serverAt(gateway: Gateway, m: ServerMatch): Server {
  return gateway.spec.servers![m.serverIndex]!;
}

/** `protocol "HTTPS", tls.mode "SIMPLE"`: what decides the block of a server. */
function describeServer(server: Server): string {
  const parts = [`protocol ${JSON.stringify(server.port?.protocol)}`];
  if (server.tls !== undefined) {
    parts.push(
      server.tls.mode === undefined
        ? `no tls.mode, which means "PASSTHROUGH"`
        : `tls.mode ${JSON.stringify(effectiveTLSMode(server))}`,
    );
  }
  return parts.join(", ");
}

/** True when the server names a certificate: a passthrough server with one was meant to terminate TLS. */
function hasCertificate(server: Server): boolean {
  const tls = server.tls;
  if (tls === undefined) return false;
  return (
    (tls.credentialName ?? "") !== "" ||
    (tls.credentialNames?.length ?? 0) > 0 ||
    (tls.serverCertificate ?? "") !== "" ||
    (tls.tlsCertificates?.length ?? 0) > 0
  );
}

/** Runs the VirtualService binding findings. */
export function analyzeVirtualServiceGateways(ctx: AnalysisContext): void {
  for (const vs of ctx.virtualServices) {
    for (const att of ctx.bindings.attachmentsOf(vs)) {
      if (!att.duplicate) analyzeAttachment(ctx, vs, att);
    }
    analyzeMatches(ctx, vs);
    analyzeDelegates(ctx, vs);
  }
}

function analyzeAttachment(ctx: AnalysisContext, vs: VirtualService, att: GatewayAttachment): void {
  const f = ctx.findings;
  const path = `spec.gateways[${att.gatewayIndex}]`;
  if (!att.found) {
    f.report(
      vs,
      "IGW4001",
      path,
      `references Gateway ${att.gateway}, which does not exist (got ${JSON.stringify(att.reference)})`,
    );
    return;
  }
  const gateway = ctx.bindings.gateway(att.gateway)!;
  const hosts = listOf(vs.spec?.hosts);
  if (att.servers.length === 0) {
    if (hosts.length > 0) {
      f.report(
        vs,
        "IGW4002",
        "spec.hosts",
        `none matches a host of Gateway ${att.gateway} visible to namespace ${JSON.stringify(namespaceOf(vs))} (got ${JSON.stringify(hosts)})`,
      );
    }
    return;
  }
  const bindsNothing = att.bindings.length === 0;
  let specific = false;
  for (const m of att.servers) {
    if (m.block !== undefined && ruleCount(vs, m.block) > 0) continue;
    const server = serverAt(gateway, m);
    const where = `server spec.servers[${m.serverIndex}] of Gateway ${att.gateway}`;
    if (m.kind === ServerKind.TLS_PASSTHROUGH && ruleCount(vs, "http") > 0) {
      if (bindsNothing || hasCertificate(server)) {
        specific = true;
        f.report(
          vs,
          "IGW4010",
          "spec.http",
          `do not apply on ${where}, which passes TLS through and routes only tls rules (got ${describeServer(server)})`,
        );
      }
    } else if (bindsNothing && (m.block === "http" || m.block === "tcp") && ruleCount(vs, "tls") > 0) {
      specific = true;
      f.report(
        vs,
        "IGW4011",
        "spec.tls",
        `do not apply on ${where}, which routes only ${m.block} rules (got ${describeServer(server)})`,
      );
    } else if (bindsNothing && m.block === "http" && ruleCount(vs, "tcp") > 0) {
      specific = true;
      f.report(
        vs,
        "IGW4012",
        "spec.tcp",
        `do not apply on ${where}, which routes only http rules (got ${describeServer(server)})`,
      );
    }
  }
  if (att.unbound === UnboundReason.NO_ROUTE_BLOCK && !specific) {
    const servers = att.servers.map(
      (m) => `spec.servers[${m.serverIndex}] (${m.block === undefined ? m.kind : `${m.block} rules`})`,
    );
    const present = BLOCKS.filter((b) => ruleCount(vs, b) > 0);
    f.report(
      vs,
      "IGW4013",
      path,
      `binds no server of Gateway ${att.gateway}: the servers matching its hosts route by rules it does not have: ${servers.join(", ")} (got ${JSON.stringify(present)})`,
    );
  }
  if (
    !att.exported &&
    att.servers.some((m) => m.block !== undefined && m.routes.length > 0 && ruleCount(vs, m.block) > 0)
  ) {
    const namespaces = ctx.bindings.podNamespacesOf(att.gateway);
    const which =
      namespaces.length === 1
        ? `namespace ${JSON.stringify(namespaces[0])}`
        : `any of namespaces ${JSON.stringify(namespaces)}`;
    f.report(
      vs,
      "IGW4014",
      "spec.exportTo",
      `leaves out ${which} of the pods of Gateway ${att.gateway}, so the VirtualService does not bind there (got ${JSON.stringify(vs.spec.exportTo)})`,
    );
  }
}

/** True when some rule match sets `port` or `gateways` (most do not, and need no further look). */
function hasScopedMatch(vs: VirtualService): boolean {
  for (const block of BLOCKS) {
    const rules: ReadonlyArray<
      { match?: ReadonlyArray<{ port?: number; gateways?: string[] } | undefined> } | undefined
    > = listOf(vs.spec?.[block]);
    for (const rule of rules) {
      for (const m of listOf(rule?.match)) {
        if (m != null && ((m.port ?? 0) !== 0 || (m.gateways?.length ?? 0) > 0)) return true;
      }
    }
  }
  return false;
}

interface BoundServer {
  readonly gateway: string;
  readonly port: number;
}

/** match.gateways / match.port that can never apply at any server the VirtualService binds to. */
function analyzeMatches(ctx: AnalysisContext, vs: VirtualService): void {
  if (!hasScopedMatch(vs)) return;
  const ns = namespaceOf(vs);
  const specGateways = new Set(stringsOf(effectiveGateways(vs)).map((g) => resolveGatewayName(g, ns)));
  const meshBound = specGateways.has(MESH_GATEWAY);
  const bound = new Map<RouteBlock, BoundServer[]>();
  for (const att of ctx.bindings.attachmentsOf(vs)) {
    const gateway = ctx.bindings.gateway(att.gateway);
    if (gateway === undefined || att.duplicate || !att.exported) continue;
    for (const m of att.servers) {
      if (m.block === undefined) continue;
      let list = bound.get(m.block);
      if (list === undefined) bound.set(m.block, (list = []));
      list.push({ gateway: att.gateway, port: serverAt(gateway, m).port?.number ?? 0 });
    }
  }
  for (const block of BLOCKS) {
    const rules: ReadonlyArray<{
      match?: ReadonlyArray<{ port?: number; gateways?: string[] } | undefined>;
    }> = listOf(vs.spec?.[block]);
    const servers = bound.get(block) ?? [];
    rules.forEach((rule, i) => {
      listOf(rule?.match).forEach((match, j) => {
        if (match == null) return;
        const path = `spec.${block}[${i}].match[${j}]`;
        const gateways = stringsOf(match.gateways);
        const resolved = gateways.map((g) => resolveGatewayName(g, ns));
        if (gateways.length > 0 && !resolved.some((g) => specGateways.has(g))) {
          ctx.findings.report(
            vs,
            "IGW4016",
            `${path}.gateways`,
            `names no gateway of spec.gateways, so the match never applies (got ${JSON.stringify(gateways)})`,
          );
          return;
        }
        const appliesToMesh = gateways.length === 0 ? meshBound : resolved.includes(MESH_GATEWAY);
        if (appliesToMesh || servers.length === 0) return;
        if (servers.some((s) => matchApplies(match, s.port, s.gateway, ns))) return;
        // Without a port, a match whose gateways are in spec.gateways fails only where the
        // VirtualService binds nothing at all, which the gateway findings already say.
        const port = match.port ?? 0;
        if (port === 0) return;
        const ports = [
          ...new Set(
            servers.filter((s) => gateways.length === 0 || resolved.includes(s.gateway)).map((s) => s.port),
          ),
        ].sort((a, b) => a - b);
        if (ports.length === 0) return;
        ctx.findings.report(
          vs,
          "IGW4015",
          `${path}.port`,
          `equals no port of the servers ${gateways.length > 0 ? "of match.gateways " : ""}this VirtualService binds with ${block} rules ${JSON.stringify(ports)}, so the match never applies (got ${port})`,
        );
      });
    });
  }
}

/** `http[].delegate` naming a VirtualService that is missing or not exported to this namespace. */
function analyzeDelegates(ctx: AnalysisContext, vs: VirtualService): void {
  const ns = namespaceOf(vs);
  listOf(vs.spec?.http).forEach((route, i) => {
    const delegate = route?.delegate;
    if (delegate == null || (delegate.name ?? "") === "") return;
    const dns = delegate.namespace === undefined || delegate.namespace === "" ? ns : delegate.namespace;
    const key = `${dns}/${delegate.name}`;
    const target = ctx.virtualServicesByKey.get(key);
    const path = `spec.http[${i}].delegate`;
    if (target === undefined) {
      ctx.findings.report(
        vs,
        "IGW4017",
        path,
        `names VirtualService ${key}, which does not exist (got ${JSON.stringify(delegate)})`,
      );
    } else if (!isExportedTo(target.spec?.exportTo, dns, ns)) {
      ctx.findings.report(
        vs,
        "IGW4017",
        path,
        `names VirtualService ${key}, which is not exported to namespace ${JSON.stringify(ns)} (got ${JSON.stringify(delegate)})`,
      );
    }
  });
}
