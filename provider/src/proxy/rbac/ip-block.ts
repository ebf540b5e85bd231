/**
 * IP blocks of AuthorizationPolicies (`ipBlocks`, `remoteIpBlocks`, `source.ip`, `destination.ip`):
 * addresses and CIDR blocks, matched as Envoy's CIDR matchers do. An IPv4 client reaching a
 * dual-stack socket shows as `::ffff:a.b.c.d`, and is matched as the IPv4 address it is.
 */
import { BlockList, isIP } from "node:net";
import type { ValueTest } from "./istio-pattern";

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The address as Envoy compares it: IPv4-mapped IPv6 addresses as IPv4. */
export function plainAddress(address: string): string {
  const m = MAPPED.exec(address);
  return m === null ? address : m[1]!;
}

/** A test of addresses against `blocks` (validated beforehand; one that is not an address never matches). */
export function ipBlockTest(blocks: readonly string[]): ValueTest {
  const list = new BlockList();
  for (const block of blocks) {
    const slash = block.indexOf("/");
    const address = plainAddress(slash < 0 ? block : block.slice(0, slash));
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (slash < 0) list.addAddress(address, type);
    else list.addSubnet(address, Number(block.slice(slash + 1)), type);
  }
  return (value) => {
    if (value === undefined || value === "") return false;
    const address = plainAddress(value);
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
  };
}
