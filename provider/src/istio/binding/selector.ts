/** Label selectors as Gateways and Services use them: every key must be present with the same value. */

/** True when `labels` contain every key/value of `selector`; an absent or empty selector selects everything. */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === null || typeof selector !== "object") return true;
  for (const key of Object.keys(selector)) {
    if (labels === null || typeof labels !== "object" || !Object.prototype.hasOwnProperty.call(labels, key))
      return false;
    if (labels[key] !== selector[key]) return false;
  }
  return true;
}

/** `{a: "1", b: "2"}` as `a=1,b=2` (keys sorted), the form messages and indexes use. */
export function selectorString(selector: Readonly<Record<string, string>> | undefined): string {
  if (selector === null || typeof selector !== "object") return "";
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(",");
}
