/**
 * Path normalization before routing, as Istio configures Envoy by default (`normalize_path`,
 * RFC 3986 §5.2.4 dot-segment removal), so `/static/../admin` cannot reach a route for `/admin`
 * through a rule written for `/static`.
 */

/**
 * Removes `.` and `..` segments (RFC 3986 §5.2.4). Other bytes, percent-encodings and repeated
 * slashes are kept as sent. A path not starting with `/` is returned unchanged (the runtime
 * rejects it before routing).
 */
export function normalizePath(path: string): string {
  // A dot segment follows a slash: without "/." there is none, and the path is kept as it is
  // (nearly every request; splitting and joining it cost more than routing it).
  if (!path.startsWith("/") || !path.includes("/.")) return path;
  const input = path.split("/").slice(1);
  const output: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const segment = input[i];
    const last = i === input.length - 1;
    if (segment === ".") {
      if (last) output.push("");
      continue;
    }
    if (segment === "..") {
      output.pop();
      if (last) output.push("");
      continue;
    }
    output.push(segment);
  }
  return "/" + output.join("/");
}
