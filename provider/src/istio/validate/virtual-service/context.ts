/**
 * What every VirtualService rule needs: where to report, and the facts about the whole resource
 * that change how a part is judged (does it apply to gateways, to the mesh, is it a delegate).
 */
import type { Reporter } from "../issue";
import type { VirtualServiceCode } from "./codes";

/** Records one finding; the code must be one of the VirtualService table. */
export type Report = (code: VirtualServiceCode, path: string, message: string) => void;

/** Facts about the VirtualService under validation, shared by all of its rules. */
export interface RuleContext {
  /** Records a finding. */
  report: Report;
  /** `spec.hosts`, as written (non-string entries dropped). */
  hosts: string[];
  /** `spec.gateways`, as written (non-string entries dropped). */
  gateways: string[];
  /** `gateways` is non-empty and does not list `mesh`: only gateways use the rules. */
  appliesToGateway: boolean;
  /** `gateways` is empty or lists `mesh`: sidecars use the rules. */
  appliesToMesh: boolean;
  /** No hosts: the VirtualService is a delegate, referenced from another's `http[].delegate`. */
  isDelegate: boolean;
  /** Some `tls[].match[].sniHosts` is set: hosts may use the `outbound_` auto-passthrough form. */
  hasSniHosts: boolean;
  /**
   * Generated from a Gateway API route (annotation `internal.istio.io/route-semantics: gateway`):
   * destinations are not checked and gateway names need not be DNS labels, as in Istio.
   */
  gatewaySemantics: boolean;
}

/** Adapts a {@link Reporter} to the typed {@link Report}. */
export function reportTo(reporter: Reporter): Report {
  return (code, path, message) => reporter.report(code, path, message);
}
