/**
 * `exportTo` visibility, as Istio applies it to VirtualServices: a gateway pod only uses the
 * VirtualServices exported to its own namespace (the pod's, not the Gateway resource's).
 */

/** The export scope when `exportTo` is absent or empty (mesh config `defaultVirtualServiceExportTo`). */
export const DEFAULT_EXPORT_TO: readonly string[] = ["*"];

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
