/**
 * One VirtualService HTTP rule and one of its matches as an Envoy route, as Istio's
 * `TranslateRoute` does: the match normalized, header operations split from the authority
 * rewrite, the action (forward, redirect, direct response), the destinations' hash policies,
 * retries with Istio's defaults, fault, mirrors and CORS.
 */
import { below } from "./field-path";
import { validateRegex } from "../validate/virtual-service/regex";
import type { CorsPolicy, Headers, HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from "../model";
import { namespaceOf } from "../binding";
import { unsupportedFormatters } from "./header-formatters";
import { pathOf } from "../validate/path";
import type { ClusterRegistry } from "./clusters";
import { hasHost } from "./clusters";
import type { TranslateContext } from "./context";
import { parseDurationMs } from "./duration";
import { isRequestTargetText } from "./wire-text";
import type {
  CorsPolicyConfig,
  FaultPolicy,
  HashPolicy,
  HeaderOperations,
  HeaderOperationsPair,
  KeyValueMatcher,
  MirrorPolicy,
  RetryPolicyConfig,
  RewritePolicy,
  Route,
  RouteAction,
  RouteMatch,
  StringMatcher,
  WeightedCluster,
} from "./proxy-config";

/** Istio's retry policy when a rule sets none (and its destinations do not hash). */
export const DEFAULT_RETRY: RetryPolicyConfig = {
  attempts: 2,
  retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
  backoffMs: 25,
  previousHosts: true,
};

/** Where a rule that a root VirtualService delegated really lives. */
export interface RuleOrigin {
  /** The delegate VirtualService the rule was written in. */
  readonly owner: VirtualService;
  /** Its index in the delegate's `spec.http`. */
  readonly ownerRuleIndex: number;
}

/** Where a rule is being built: the server's port and TLS, the Gateway, the VirtualService. */
export interface RouteSite {
  /** The Gateway server's port number. */
  readonly port: number;
  /** Whether the server has a `tls` block (Istio's `IsTLS`, used for redirect ports). */
  readonly tls: boolean;
  /** The VirtualService. */
  readonly vs: VirtualService;
}

const JWT_CLAIM = "@request.auth.claims";

function toMatcher(m: StringMatch | undefined): StringMatcher {
  if (m === undefined || m === null) return { kind: "present" };
  if (m.exact !== undefined) return { kind: "exact", value: m.exact };
  if (m.prefix !== undefined) return { kind: "prefix", value: m.prefix };
  // `regex: "*"` is not RE2: Istio reads it as a presence check.
  if (m.regex !== undefined) return m.regex === "*" ? { kind: "present" } : { kind: "regex", regex: m.regex };
  return { kind: "present" };
}

function keyValues(
  map: Readonly<Record<string, StringMatch>> | undefined,
  lower: boolean,
): KeyValueMatcher[] {
  if (map === undefined) return [];
  return Object.keys(map)
    .map((name) => ({ name: lower ? name.toLowerCase() : name, match: toMatcher(map[name]) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function headerOperations(ops: Headers["request"] | undefined): {
  operations: HeaderOperations;
  authority?: string;
} {
  const sorted = (map: Readonly<Record<string, string>> | undefined) =>
    Object.keys(map ?? {})
      .sort()
      .map((k) => [k, (map as Record<string, string>)[k]] as const);
  const isAuthority = (k: string) => k.toLowerCase() === ":authority" || k.toLowerCase() === "host";
  const isInternal = (k: string) => k.startsWith(":") || k.toLowerCase() === "host";
  const set = sorted(ops?.set);
  const add = sorted(ops?.add);
  const setAuthority = set.filter(([k]) => isAuthority(k)).at(-1)?.[1];
  const addAuthority = add.filter(([k]) => isAuthority(k)).at(-1)?.[1];
  // Istio: an authority in `set` wins over one in `add`.
  const authority = setAuthority ?? addAuthority;
  const operations: HeaderOperations = {
    set: set.filter(([k]) => !isInternal(k)).map(([k, v]) => [k.toLowerCase(), v] as const),
    add: add.filter(([k]) => !isInternal(k)).map(([k, v]) => [k.toLowerCase(), v] as const),
    remove: (ops?.remove ?? []).filter((k) => !isInternal(k)).map((k) => k.toLowerCase()),
  };
  return authority === undefined || authority === "" ? { operations } : { operations, authority };
}

/** `ops` with `removals` after its own. */
function withRemovals(ops: HeaderOperations, removals: readonly string[]): HeaderOperations {
  return removals.length === 0 ? ops : { ...ops, remove: [...ops.remove, ...removals] };
}

/** `ops` without its removals (made elsewhere). */
function withoutRemovals(ops: HeaderOperations): HeaderOperations {
  return ops.remove.length === 0 ? ops : { ...ops, remove: [] };
}

function headerPair(
  ctx: TranslateContext,
  vs: VirtualService,
  headers: Headers | undefined,
  path: string,
): { pair: HeaderOperationsPair; authority?: string } {
  const request = headerOperations(headers?.request);
  const response = headerOperations(headers?.response);
  for (const [side, ops] of [
    ["request", headers?.request],
    ["response", headers?.response],
  ] as const) {
    for (const verb of ["set", "add"] as const) {
      const map = ops?.[verb] ?? {};
      for (const key of Object.keys(map)) {
        const unsupported = unsupportedFormatters(map[key]);
        if (unsupported.length > 0) {
          ctx.report(
            vs,
            "IGW6013",
            below(path, side, verb, key),
            `uses Envoy formatters the proxy does not support, sent literally (got ${unsupported.map((u) => JSON.stringify(u)).join(", ")})`,
          );
        }
      }
    }
  }
  const pair = { request: request.operations, response: response.operations };
  return request.authority === undefined ? { pair } : { pair, authority: request.authority };
}

/**
 * Warns when a rewrite would put into the path what no request line can carry. Istio accepts such a
 * rewrite; the proxy keeps it and refuses each request it would produce (500), never sending a
 * broken request upstream.
 */
function checkRewrittenPath(ctx: TranslateContext, vs: VirtualService, path: string, at: string): void {
  if (isRequestTargetText(path)) return;
  ctx.report(
    vs,
    "IGW6022",
    at,
    `must not contain spaces, control characters or characters beyond Latin-1 (percent-encode them), which no request line can carry: requests on the route get 500 (got ${JSON.stringify(path)})`,
  );
}

/** The normalized match, or undefined when it can never apply here (reported). */
function translateMatch(
  ctx: TranslateContext,
  vs: VirtualService,
  m: HTTPMatchRequest | undefined,
  path: string,
): RouteMatch | undefined {
  if (m === undefined) return { ignoreUriCase: false, headers: [], withoutHeaders: [], queryParams: [] };
  for (const field of ["headers", "withoutHeaders"] as const) {
    for (const key of Object.keys(m[field] ?? {})) {
      if (key.startsWith(JWT_CLAIM)) {
        ctx.report(
          vs,
          "IGW6012",
          below(path, field, key),
          `matches a JWT claim, which the proxy does not route on (RequestAuthentication validates tokens, but routing by their claims is not supported): the match never applies (got ${JSON.stringify(key)})`,
        );
        return undefined;
      }
    }
  }
  const regexes: [string, string][] = [];
  const collect = (where: string, sm: StringMatch | undefined) => {
    if (sm?.regex !== undefined && sm.regex !== "*") regexes.push([where, sm.regex]);
  };
  collect(below(path, "uri", "regex"), m.uri);
  collect(below(path, "scheme", "regex"), m.scheme);
  collect(below(path, "method", "regex"), m.method);
  collect(below(path, "authority", "regex"), m.authority);
  for (const field of ["headers", "withoutHeaders", "queryParams"] as const) {
    for (const [k, v] of Object.entries(m[field] ?? {})) collect(below(path, field, k, "regex"), v);
  }
  for (const [where, regex] of regexes) {
    const problem = validateRegex(regex);
    if (problem !== undefined) {
      ctx.report(vs, "IGW6018", where, problem);
      return undefined;
    }
  }
  const out: {
    -readonly [K in keyof RouteMatch]: RouteMatch[K];
  } = {
    ignoreUriCase: m.ignoreUriCase === true,
    headers: keyValues(m.headers, true),
    withoutHeaders: keyValues(m.withoutHeaders, true),
    queryParams: keyValues(m.queryParams, false),
  };
  if (m.uri !== undefined) out.uri = toMatcher(m.uri);
  if (m.scheme !== undefined) out.scheme = toMatcher(m.scheme);
  if (m.method !== undefined) out.method = toMatcher(m.method);
  if (m.authority !== undefined) out.authority = toMatcher(m.authority);
  return out;
}

function percentOf(value: number | undefined): number {
  return value === undefined ? 0 : value;
}

function translateFault(rule: HTTPRoute): FaultPolicy | undefined {
  const f = rule.fault;
  if (f === undefined) return undefined;
  const out: { delay?: FaultPolicy["delay"]; abort?: FaultPolicy["abort"] } = {};
  const delayMs = parseDurationMs(f.delay?.fixedDelay);
  if (f.delay !== undefined && delayMs !== undefined) {
    // Istio: `percentage` wins; else the deprecated whole `percent`; unspecified = never.
    const percentage =
      f.delay.percentage !== undefined ? percentOf(f.delay.percentage.value) : percentOf(f.delay.percent);
    out.delay = { fixedDelayMs: delayMs, percentage };
  }
  if (f.abort !== undefined && (f.abort.httpStatus !== undefined || f.abort.grpcStatus !== undefined)) {
    const percentage = percentOf(f.abort.percentage?.value);
    out.abort =
      f.abort.httpStatus !== undefined
        ? { httpStatus: f.abort.httpStatus, percentage }
        : { grpcStatus: f.abort.grpcStatus, percentage };
  }
  return out.delay === undefined && out.abort === undefined ? undefined : out;
}

function translateCors(cors: CorsPolicy | undefined): CorsPolicyConfig | undefined {
  if (cors === undefined) return undefined;
  const allowOrigins: StringMatcher[] =
    cors.allowOrigins !== undefined
      ? cors.allowOrigins.map((o) => toMatcher(o))
      : (cors.allowOrigin ?? []).map((value) => ({ kind: "exact", value }));
  const maxAgeMs = parseDurationMs(cors.maxAge);
  return {
    allowOrigins,
    allowMethods: [...(cors.allowMethods ?? [])],
    allowHeaders: [...(cors.allowHeaders ?? [])],
    exposeHeaders: [...(cors.exposeHeaders ?? [])],
    ...(maxAgeMs === undefined ? {} : { maxAgeSeconds: Math.floor(maxAgeMs / 1000) }),
    allowCredentials: cors.allowCredentials === true,
    unmatchedPreflights: cors.unmatchedPreflights === "IGNORE" ? "IGNORE" : "FORWARD",
  };
}

/**
 * The retry policy of `rule` (Istio's `ConvertPolicy`). `consistentHash`: the rule has a single
 * destination, and it hashes; then Istio leaves Envoy's `previous_hosts` predicate out, unless
 * the rule's `retryIgnorePreviousHosts` asks for it.
 */
function translateRetries(rule: HTTPRoute, consistentHash: boolean): RetryPolicyConfig | undefined {
  const r = rule.retries;
  if (r === undefined) return consistentHash ? { ...DEFAULT_RETRY, previousHosts: false } : DEFAULT_RETRY;
  if ((r.attempts ?? 0) <= 0) return undefined;
  const perTryTimeoutMs = parseDurationMs(r.perTryTimeout);
  return {
    attempts: r.attempts as number,
    retryOn: r.retryOn !== undefined && r.retryOn !== "" ? r.retryOn : DEFAULT_RETRY.retryOn,
    backoffMs: parseDurationMs(r.backoff) ?? DEFAULT_RETRY.backoffMs,
    ...(perTryTimeoutMs === undefined || perTryTimeoutMs === 0 ? {} : { perTryTimeoutMs }),
    previousHosts: r.retryIgnorePreviousHosts ?? !consistentHash,
  };
}

/** The redirect codes Envoy's redirect action can send. */
const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Reports (IGW6024) a status at `at` that Envoy refuses to send, `allowed` saying which it takes. */
function reportUnsendable(
  ctx: TranslateContext,
  vs: VirtualService,
  at: string,
  status: number,
  allowed: string,
): void {
  ctx.report(
    vs,
    "IGW6024",
    at,
    `must be ${allowed} for Envoy, which refuses the route configuration Istio builds for it: the rule is dropped (got ${status})`,
  );
}

/**
 * The route for `rule` (at `spec.http[ruleIndex]`) and its match `matchIndex` (-1: no match), or
 * undefined when it cannot apply (reported).
 */
export function translateRoute(
  ctx: TranslateContext,
  clusters: ClusterRegistry,
  site: RouteSite,
  rule: HTTPRoute,
  ruleIndex: number,
  matchIndex: number,
  origin?: RuleOrigin,
): Route | undefined {
  // A delegated rule is reported against, and resolves short names in, the delegate.
  const vs = origin?.owner ?? site.vs;
  const rulePath = pathOf("spec", "http", origin?.ownerRuleIndex ?? ruleIndex);
  const m = matchIndex < 0 ? undefined : rule.match?.[matchIndex];
  const match = translateMatch(ctx, vs, m ?? undefined, below(rulePath, "match", matchIndex));
  if (match === undefined) return undefined;
  const root = site.vs;
  const vsKey = `${namespaceOf(root)}/${root.metadata?.name ?? ""}`;
  let name = rule.name ?? "";
  if (m?.name) name = `${name}.${m.name}`;
  const unnamed = name === "";
  if (unnamed) name = `${namespaceOf(root)}.${root.metadata?.name ?? ""}.${ruleIndex}.${matchIndex}`;
  const headers = headerPair(ctx, vs, rule.headers, below(rulePath, "headers"));
  let routeHeaders = headers.pair;

  let action: RouteAction;
  if (rule.redirect !== undefined) {
    const r = rule.redirect;
    // Istio's webhook takes any 3xx, but pilot builds a route without an action for a code Envoy's
    // redirect cannot send, and Envoy refuses a route without one (with the whole configuration).
    if (r.redirectCode && !REDIRECT_CODES.has(r.redirectCode)) {
      reportUnsendable(
        ctx,
        vs,
        below(rulePath, "redirect", "redirectCode"),
        r.redirectCode,
        "301, 302, 303, 307 or 308",
      );
      return undefined;
    }
    let port = r.port;
    if (port === undefined && r.derivePort === "FROM_REQUEST_PORT") port = site.port;
    const scheme = r.scheme || (site.tls ? "https" : "http");
    // Istio does not write the default port of the scheme.
    if ((port === 80 && scheme === "http") || (port === 443 && scheme === "https")) port = undefined;
    action = {
      kind: "redirect",
      ...(r.uri ? { uri: r.uri } : {}),
      ...(r.prefixRewrite ? { prefixRewrite: r.prefixRewrite } : {}),
      ...(r.authority ? { authority: r.authority } : {}),
      ...(r.scheme ? { scheme: r.scheme } : {}),
      ...(port === undefined || port === 0 ? {} : { port }),
      responseCode: r.redirectCode || 301,
    };
  } else if (rule.directResponse !== undefined) {
    const d = rule.directResponse;
    // Istio's webhook takes 600; Envoy's DirectResponseAction takes 200 to 599.
    if (d.status >= 600) {
      reportUnsendable(ctx, vs, below(rulePath, "directResponse", "status"), d.status, "200 to 599");
      return undefined;
    }
    const body = d.body;
    action = {
      kind: "directResponse",
      status: d.status,
      ...(body?.string !== undefined
        ? { body: { inlineString: body.string } }
        : body?.bytes !== undefined
          ? { body: { inlineBytes: body.bytes } }
          : {}),
    };
  } else {
    const destinations = rule.route ?? [];
    // Istio merges a lone destination's header operations into the route's (`processDestination`):
    // one list, every removal first, then the route's `set`s and `add`s, then the destination's;
    // and the route's authority rewrite, when it has one, wins over the destination's.
    const merged = destinations.length === 1;
    const weighted: WeightedCluster[] = [];
    // Istio appends each destination's hash policy to the route's (`processDestination`,
    // `processWeightedDestination`), so a ring-hash cluster hashes on every destination's key.
    const hashPolicy: HashPolicy[] = [];
    let consistentHash = false;
    destinations.forEach((d, i) => {
      if (!hasHost(d?.destination)) return;
      // With several destinations a weight of 0 gets no traffic; a single one always gets it all.
      const weight = destinations.length === 1 ? 1 : (d.weight ?? 0);
      if (weight <= 0) return;
      const destPath = below(rulePath, "route", i, "destination");
      const cluster = clusters.clusterFor(d.destination, vs, destPath, site.port);
      const hash = clusters.hashFor(d.destination, vs);
      if (hash?.policy !== undefined) hashPolicy.push(hash.policy);
      // A lone destination with a consistent hash, even one naming no key, keeps retries on its endpoint.
      if (merged && hash !== undefined) consistentHash = true;
      const own = headerPair(ctx, vs, d.headers, below(rulePath, "route", i, "headers"));
      let destHeaders = own.pair;
      let destAuthority = own.authority;
      if (merged) {
        routeHeaders = {
          request: withRemovals(routeHeaders.request, own.pair.request.remove),
          response: withRemovals(routeHeaders.response, own.pair.response.remove),
        };
        destHeaders = {
          request: withoutRemovals(own.pair.request),
          response: withoutRemovals(own.pair.response),
        };
        if (rule.rewrite?.authority || headers.authority) destAuthority = undefined;
      }
      weighted.push({
        cluster,
        weight,
        headers: destHeaders,
        ...(destAuthority === undefined ? {} : { authority: destAuthority }),
      });
    });
    const rewrite: { -readonly [K in keyof RewritePolicy]: RewritePolicy[K] } = {};
    const rx = rule.rewrite?.uriRegexRewrite;
    if (rx?.match !== undefined && rx.rewrite !== undefined) {
      const problem = validateRegex(rx.match);
      if (problem !== undefined) {
        ctx.report(vs, "IGW6018", below(rulePath, "rewrite", "uriRegexRewrite", "match"), problem);
        return undefined;
      }
      rewrite.uriRegex = { pattern: rx.match, substitution: rx.rewrite };
      checkRewrittenPath(ctx, vs, rx.rewrite, below(rulePath, "rewrite", "uriRegexRewrite", "rewrite"));
    } else if (rule.rewrite?.uri) {
      rewrite.uri = rule.rewrite.uri;
      checkRewrittenPath(ctx, vs, rule.rewrite.uri, below(rulePath, "rewrite", "uri"));
    }
    const authority = rule.rewrite?.authority || headers.authority;
    if (authority) rewrite.authority = authority;
    const mirrors: MirrorPolicy[] = [];
    if (hasHost(rule.mirror)) {
      const percentage =
        rule.mirrorPercentage !== undefined
          ? percentOf(rule.mirrorPercentage.value)
          : rule.mirrorPercent !== undefined
            ? rule.mirrorPercent
            : 100;
      if (percentage > 0) {
        mirrors.push({
          cluster: clusters.clusterFor(rule.mirror, vs, below(rulePath, "mirror"), site.port),
          percentage,
        });
      }
    }
    (rule.mirrors ?? []).forEach((mp, i) => {
      if (!hasHost(mp?.destination)) return;
      const percentage = mp.percentage !== undefined ? percentOf(mp.percentage.value) : 100;
      if (percentage <= 0) return;
      mirrors.push({
        cluster: clusters.clusterFor(
          mp.destination,
          vs,
          below(rulePath, "mirrors", i, "destination"),
          site.port,
        ),
        percentage,
      });
    });
    const timeoutMs = parseDurationMs(rule.timeout);
    const retries = translateRetries(rule, consistentHash);
    action = {
      kind: "route",
      clusters: weighted,
      ...(Object.keys(rewrite).length === 0 ? {} : { rewrite }),
      ...(timeoutMs === undefined || timeoutMs === 0 ? {} : { timeoutMs }),
      ...(retries === undefined ? {} : { retries }),
      ...(hashPolicy.length === 0 ? {} : { hashPolicy }),
      mirrors,
      ...(merged ? { destinationHeadersLast: true } : {}),
    };
    if (weighted.length === 0) return undefined;
  }
  const fault = translateFault(rule);
  const cors = translateCors(rule.corsPolicy);
  return {
    name,
    ...(unnamed ? { unnamed } : {}),
    ...(action.kind === "route"
      ? {
          decoratorOperation: decoratorOperation(
            match,
            action.clusters,
            root.metadata?.name ?? "",
            site.port,
          ),
        }
      : {}),
    match,
    action,
    headers: routeHeaders,
    ...(fault === undefined || action.kind !== "route" ? {} : { fault }),
    ...(cors === undefined ? {} : { cors }),
    metadata: {
      virtualService: vsKey,
      ruleIndex,
      matchIndex,
      ...(origin === undefined
        ? {}
        : {
            delegate: {
              virtualService: `${namespaceOf(origin.owner)}/${origin.owner.metadata?.name ?? ""}`,
              ruleIndex: origin.ownerRuleIndex,
            },
          }),
    },
  };
}

/**
 * True for a route that matches every request (Istio's `IsCatchAllRoute`): path condition absent,
 * prefix `/` or regex `.*`, and no header (method, scheme and authority count as headers) or
 * query condition.
 */
export function isCatchAllRoute(route: Route): boolean {
  const m = route.match;
  const uri = m.uri;
  const path =
    uri === undefined ||
    (uri.kind === "prefix" && uri.value === "/") ||
    (uri.kind === "regex" && uri.regex === ".*");
  return (
    path &&
    m.method === undefined &&
    m.scheme === undefined &&
    m.authority === undefined &&
    m.headers.length === 0 &&
    m.withoutHeaders.length === 0 &&
    m.queryParams.length === 0
  );
}

/**
 * Istio's operation name of a forwarding route (`GetRouteOperation`): where it goes (the lone
 * destination's `host:port` from its cluster name, else the VirtualService's name and the server's
 * port), then the path it matches.
 */
function decoratorOperation(
  match: RouteMatch,
  destinations: readonly WeightedCluster[],
  vsName: string,
  port: number,
): string {
  const uri = match.uri;
  let path = "/*";
  if (uri?.kind === "exact") path = uri.value;
  else if (uri?.kind === "prefix") path = `${uri.value}*`;
  else if (uri?.kind === "regex") path = uri.regex;
  // outbound|<port>|<subset>|<host>, as Istio names the clusters of destinations.
  const parts = destinations.length === 1 ? destinations[0]!.cluster.split("|") : [];
  if (parts.length === 4 && parts[0] === "outbound") return `${parts[3]}:${parts[1]}${path}`;
  return `${vsName}:${port}${path}`;
}
