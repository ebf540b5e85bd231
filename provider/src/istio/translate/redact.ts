/**
 * Debug output of a {@link ProxyConfig} without key material: inline PEM data from Secrets is
 * replaced by its origin, so a dump can go to logs and to `istio-gateway render`.
 */
import type { ProxyConfig } from "./proxy-config";

/** The configuration with every inline `DataSource` replaced by `{ redacted: <origin> }`. */
export function redactProxyConfig(config: ProxyConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (_key, value: unknown) => {
      if (
        value !== null &&
        typeof value === "object" &&
        "inline" in value &&
        "origin" in value &&
        typeof (value as { origin: unknown }).origin === "string"
      ) {
        return { redacted: (value as { origin: string }).origin };
      }
      return value;
    }),
  );
}
