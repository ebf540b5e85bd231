/**
 * References to Gateways (`spec.gateways`, `match[].gateways`): `<namespace>/<name>`, a bare
 * `<name>` in the VirtualService's namespace, `mesh`, or the legacy `<name>.<namespace>[...]`.
 */
import type { Report } from "./context";
import { isDNS1123Label, validateFQDN } from "../../host/dns";
import { childPath } from "../path";
import { listOf } from "./values";

/**
 * Reports invalid gateway references in `names` at `path`. Every entry is checked: Istio stops at
 * the first entry without a "/" (so `[mesh, ns/*]` passes there), which lets a reference that can
 * never bind through; here it is reported.
 */
export function checkGatewayNames(
  report: Report,
  names: readonly unknown[] | null | undefined,
  path: string,
  gatewaySemantics = false,
): void {
  listOf(names).forEach((raw, i) => {
    const where = childPath(path, i);
    const name = typeof raw === "string" ? raw : String(raw);
    const slash = name.indexOf("/");
    if (slash < 0) {
      if (name.includes(".")) {
        const parts = name.split(".");
        report(
          "IGW3031",
          where,
          `should be written <namespace>/<name>, here ${JSON.stringify(`${parts[1]}/${parts[0]}`)}; the <name>.<namespace> form is legacy (got ${JSON.stringify(name)})`,
        );
      }
      const problem = validateFQDN(name);
      if (problem !== undefined) report("IGW3030", where, problem);
      return;
    }
    const namespace = name.slice(0, slash);
    const gateway = name.slice(slash + 1);
    if (namespace === "" || gateway === "") {
      report(
        "IGW3030",
        where,
        `must be <namespace>/<name> with both parts non-empty (got ${JSON.stringify(name)})`,
      );
    }
    if (!isDNS1123Label(namespace)) {
      report(
        "IGW3030",
        where,
        `namespace must be a DNS-1123 label; "." and "*" are not allowed here (got ${JSON.stringify(namespace)})`,
      );
    }
    if (!isDNS1123Label(gateway) && !gatewaySemantics) {
      report("IGW3030", where, `gateway name must be a DNS-1123 label (got ${JSON.stringify(gateway)})`);
    }
  });
}
