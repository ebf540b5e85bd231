/**
 * The single-resource rules of a VirtualService, as Istio's validating webhook applies them
 * (`istioctl validate`): hosts, gateway references, exportTo, every HTTP, TLS and TCP route, and
 * rules or matches that can never be reached.
 */
import type { ObjectMeta, VirtualService, VirtualServiceSpec } from "../../model";
import type { Issue, ValidationOptions } from "../issue";
import type { RuleContext } from "./context";
import { Reporter } from "../issue";
import { pathOf } from "../path";
import { virtualServiceCodes } from "./codes";
import { reportTo } from "./context";
import { validateExportTo } from "./export-to";
import { checkGatewayNames } from "./gateway-names";
import { isJwtClaimKey } from "./header-name";
import { checkHosts } from "./hosts";
import { checkHTTPRoute } from "./http-route";
import { checkTCPRoute } from "./tcp-route";
import { checkTLSRoute } from "./tls-route";
import { checkReachability } from "./unreachable";
import { entriesOf, isRecord, listOf } from "./values";

export { virtualServiceCodes } from "./codes";
export type { VirtualServiceCode } from "./codes";
export { parseDuration, validateDuration } from "./duration";
export { validateExportTo } from "./export-to";
export type { ExportToOptions, ExportToProblem, ExportToProblemKind } from "./export-to";
export { validateRegex, MAX_REGEX_BYTES } from "./regex";
export { headerValueProblem } from "./header-value";
export { canonicalMatch } from "./unreachable";

/** The gateway name that stands for every sidecar of the mesh. */
export const MESH_GATEWAY = "mesh";

const ROUTE_SEMANTICS_ANNOTATION = "internal.istio.io/route-semantics";

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

const strings = (value: readonly unknown[] | null | undefined): string[] =>
  listOf(value).filter((v): v is string => typeof v === "string");

/**
 * Checks one VirtualService as Istio's webhook does, and returns every finding (errors reject the
 * resource; warnings do not, unless `options.strict` turns the strict ones into errors).
 */
export function validateVirtualService(vs: VirtualService, options: ValidationOptions = {}): Issue[] {
  const metadata: ObjectMeta = isRecord(vs) && isRecord(vs.metadata) ? vs.metadata : {};
  const namespace =
    typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : "default";
  const reporter = new Reporter(
    { kind: "VirtualService", namespace, name: typeof metadata.name === "string" ? metadata.name : "" },
    virtualServiceCodes,
    options,
  );
  const spec: VirtualServiceSpec = isRecord(vs) && isRecord(vs.spec) ? vs.spec : {};
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const appliesToGateway = gateways.length > 0 && !gateways.includes(MESH_GATEWAY);
  const ctx: RuleContext = {
    report: reportTo(reporter),
    hosts,
    gateways,
    appliesToGateway,
    appliesToMesh: !appliesToGateway,
    isDelegate: listOf(spec.hosts).length === 0,
    hasSniHosts: listOf(spec.tls).some(
      (r) => isRecord(r) && listOf(r.match).some((m) => isRecord(m) && listOf(m.sniHosts).length > 0),
    ),
    gatewaySemantics:
      isRecord(metadata.annotations) && metadata.annotations[ROUTE_SEMANTICS_ANNOTATION] === "gateway",
  };
  const report = ctx.report;
  const http = listOf(spec.http);
  const tls = listOf(spec.tls);
  const tcp = listOf(spec.tcp);

  if (ctx.isDelegate) {
    // A delegate only contributes HTTP rules to the root that references it.
    const why = "in a delegate VirtualService (one without hosts), which only supplies http rules";
    if (gateways.length > 0)
      report("IGW3020", "spec.gateways", `must be empty ${why} (got ${JSON.stringify(gateways)})`);
    if (tls.length > 0)
      report("IGW3020", "spec.tls", `must be empty ${why} (got ${plural(tls.length, "route")})`);
    if (tcp.length > 0)
      report("IGW3020", "spec.tcp", `must be empty ${why} (got ${plural(tcp.length, "route")})`);
  }
  checkGatewayNames(report, spec.gateways, "spec.gateways", ctx.gatewaySemantics);

  if (!appliesToGateway) {
    http.forEach((route, i) => {
      if (!isRecord(route)) return;
      listOf(route.match).forEach((match, j) => {
        if (!isRecord(match)) return;
        for (const field of ["headers", "withoutHeaders"] as const) {
          for (const [key] of entriesOf(match[field])) {
            if (!isJwtClaimKey(key)) continue;
            report(
              "IGW3032",
              pathOf("spec", "http", i, "match", j, field, key),
              `must only be used when the VirtualService applies to gateways alone: sidecars cannot route on JWT claims (got gateways ${JSON.stringify(gateways)})`,
            );
          }
        }
      });
    });
  }

  checkHosts(ctx, "spec.hosts");

  if (http.length === 0 && tls.length === 0 && tcp.length === 0) {
    report("IGW3010", "spec", "must have at least one http, tls or tcp route (got none)");
  }
  http.forEach((route, i) => {
    const path = pathOf("spec", "http", i);
    if (!isRecord(route)) report("IGW3011", path, "must be an HTTP route (got null)");
    else checkHTTPRoute(ctx, route, path);
  });
  tls.forEach((route, i) => checkTLSRoute(ctx, route, pathOf("spec", "tls", i)));
  tcp.forEach((route, i) => checkTCPRoute(ctx, route, pathOf("spec", "tcp", i)));

  for (const problem of validateExportTo(namespace, spec.exportTo)) {
    const code =
      problem.kind === "duplicate" ? "IGW3041" : problem.kind === "public-and-other" ? "IGW3042" : "IGW3040";
    const path = problem.index === undefined ? "spec.exportTo" : pathOf("spec", "exportTo", problem.index);
    report(code, path, problem.message);
  }

  checkReachability(report, "http", spec.http, "spec.http");
  checkReachability(report, "tcp", spec.tcp, "spec.tcp");
  checkReachability(report, "tls", spec.tls, "spec.tls");
  return reporter.issues;
}
