/** Request mirroring: which mirror clusters get a copy of this request (each drawn on its own). */
import type { CompiledRoute } from "./route-config";
import { drawPercentage } from "./percent";
import type { RandomSource } from "./weighted-cluster";

/**
 * The clusters that receive a fire-and-forget copy of the request, in configuration order. The
 * runtime sends the copies with `-shadow` appended to the authority (Envoy's default) and never
 * waits for them.
 */
export function decideMirrors(route: CompiledRoute, random: RandomSource = Math.random): string[] {
  const action = route.route.action;
  if (action.kind !== "route") return [];
  return action.mirrors.filter((m) => drawPercentage(m.percentage, random)).map((m) => m.cluster);
}

/** The authority of a mirrored request: `host-shadow[:port]`, as Envoy sends it. */
export function shadowAuthority(authority: string): string {
  const bracket = authority.lastIndexOf("]");
  const colon = authority.lastIndexOf(":");
  if (colon > bracket && authority.indexOf(":") === colon) {
    return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  }
  if (authority.startsWith("[") && colon > bracket) {
    return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  }
  return `${authority}-shadow`;
}
