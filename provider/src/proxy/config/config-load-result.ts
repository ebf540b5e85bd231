/** What loading configuration yields, whatever the source (files, tests, a Kubernetes watch). */
import type { ProxyConfig } from "../../istio/translate/proxy-config";

/** The outcome of one load. */
export interface ConfigLoadResult {
  /** The configuration; undefined when refused. */
  readonly config?: ProxyConfig;
  /** What to tell the operator, one line each (errors, warnings, skipped Gateways). */
  readonly messages: readonly string[];
}
