/**
 * What `istio-gateway demo` prints once the gateway serves: the curl commands that reach the
 * stand-in backends through it, the metrics, and a kubectl command that changes routing live.
 * Plain text, one command a line, so it can be copied (and a test can run the lines as printed).
 */

/** What the instructions refer to. */
export interface DemoInstructionsInput {
  /** The host the Gateway serves. */
  readonly host: string;
  /** The local port the gateway serves the Gateway's port 443 on. */
  readonly httpsPort: number;
  /** The status port (/metrics). */
  readonly statusPort: number;
  /** The CA certificate file that signed the host's certificate. */
  readonly caCertPath: string;
  /** The kubectl binary. */
  readonly kubectl: string;
  /** The control plane's kubeconfig file. */
  readonly kubeconfigPath: string;
  /** Namespace and name of the VirtualService that routes the host. */
  readonly virtualService: { readonly namespace: string; readonly name: string };
}

/** The JSON patch that sends the first HTTP route (`/reviews`) to productpage instead. */
export const REROUTE_PATCH =
  '[{"op":"replace","path":"/spec/http/0/route/0/destination/host","value":"productpage"}]';

/** The curl command for `path` on the host through the gateway, trusting the demo's CA. */
export function curlCommand(
  input: DemoInstructionsInput,
  path: string,
  flags: readonly string[] = [],
): string {
  const { host, httpsPort, caCertPath } = input;
  return [
    "curl",
    ...flags,
    "--cacert",
    caCertPath,
    "--resolve",
    `${host}:${httpsPort}:127.0.0.1`,
    `https://${host}:${httpsPort}${path}`,
  ].join(" ");
}

/** The instructions, as lines (no trailing newline). */
export function demoInstructions(input: DemoInstructionsInput): string[] {
  const vs = input.virtualService;
  return [
    `The gateway serves https://${input.host}:${input.httpsPort} (the Gateway's port 443) with routes from the control plane. Try:`,
    `  ${curlCommand(input, "/productpage")}`,
    `  ${curlCommand(input, "/reviews/1")}`,
    `  ${curlCommand(input, "/ratings", ["-i"])}`,
    `  curl -s http://127.0.0.1:${input.statusPort}/metrics | grep istio_requests_total`,
    `Change routing live (/reviews to productpage), then curl /reviews/1 again:`,
    `  ${input.kubectl} --kubeconfig ${input.kubeconfigPath} -n ${vs.namespace} patch virtualservice ${vs.name} --type json -p '${REROUTE_PATCH}'`,
    "Ctrl-C stops the gateway, the backends and the control plane, and removes their files.",
  ];
}
