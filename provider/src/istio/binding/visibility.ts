/**
 * `exportTo` visibility, as Istio applies it to VirtualServices: a gateway pod only uses the
 * VirtualServices exported to its own namespace (the pod's, not the Gateway resource's).
 */

/** The export scope when `exportTo` is absent or empty (mesh config `defaultVirtualServiceExportTo`). */
export const DEFAULT_EXPORT_TO: readonly string[] = ["*"];

/** How a VirtualService is visible from a namespace, in the order pilot lists them for a gateway. */
export enum Visibility {
  /** Exported to its own namespace only (`.` or that namespace named), which is the viewer's. */
  PRIVATE = 0,
  /** Exported to the viewer's namespace by name. */
  EXPORTED = 1,
  /** Exported everywhere (`*`, or no `exportTo`). */
  PUBLIC = 2,
}

/**
 * How a resource in `ownNamespace` with this `exportTo` is visible from `viewerNamespace`, or
 * undefined when it is not. Pilot's `VirtualServicesForGateway` lists a gateway's VirtualServices
 * in this order, each group by creation time: a namespace's own VirtualServices come before those
 * other namespaces export to it, and those before the public ones.
 */
export function visibilityFrom(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  viewerNamespace: string,
): Visibility | undefined {
  const scope = Array.isArray(exportTo) && exportTo.length > 0 ? exportTo : DEFAULT_EXPORT_TO;
  if (scope.includes("*")) return Visibility.PUBLIC;
  if (ownNamespace === viewerNamespace && (scope.includes(".") || scope.includes(ownNamespace))) {
    return Visibility.PRIVATE;
  }
  return scope.includes(viewerNamespace) ? Visibility.EXPORTED : undefined;
}

/**
 * True when a resource in `ownNamespace` with this `exportTo` is visible from `viewerNamespace`:
 * the list contains `*`, the viewer's namespace, or `.` and the viewer is the owner's namespace.
 * Absent or empty means `*`.
 */
export function isExportedTo(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  viewerNamespace: string,
): boolean {
  const scope = Array.isArray(exportTo) && exportTo.length > 0 ? exportTo : DEFAULT_EXPORT_TO;
  for (const entry of scope) {
    if (entry === "*" || entry === viewerNamespace) return true;
    if (entry === "." && ownNamespace === viewerNamespace) return true;
  }
  return false;
}
