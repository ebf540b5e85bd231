import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { curlCommand, demoInstructions, type DemoInstructionsInput } from "./demo-instructions";

const input: DemoInstructionsInput = {
  host: "bookinfo.com",
  httpsPort: 8443,
  statusPort: 15021,
  caCertPath: "/tmp/d/tls/ca.crt",
  kubectl: "/tools/kubectl",
  kubeconfigPath: "/tmp/d/cp/kubeconfig",
  virtualService: { namespace: "default", name: "bookinfo" },
};

describe("demo instructions", () => {
  it("builds a curl command that trusts the demo's CA and resolves the host to loopback", () => {
    assert.equal(
      curlCommand(input, "/productpage", ["-i"]),
      "curl -i --cacert /tmp/d/tls/ca.crt --resolve bookinfo.com:8443:127.0.0.1 https://bookinfo.com:8443/productpage",
    );
  });

  it("prints the curls, the metrics and the kubectl command that reroutes /reviews", () => {
    assert.deepEqual(demoInstructions(input), [
      "The gateway serves https://bookinfo.com:8443 (the Gateway's port 443) with routes from the control plane. Try:",
      "  curl --cacert /tmp/d/tls/ca.crt --resolve bookinfo.com:8443:127.0.0.1 https://bookinfo.com:8443/productpage",
      "  curl --cacert /tmp/d/tls/ca.crt --resolve bookinfo.com:8443:127.0.0.1 https://bookinfo.com:8443/reviews/1",
      "  curl -i --cacert /tmp/d/tls/ca.crt --resolve bookinfo.com:8443:127.0.0.1 https://bookinfo.com:8443/ratings",
      "  curl -s http://127.0.0.1:15021/metrics | grep istio_requests_total",
      "Change routing live (/reviews to productpage), then curl /reviews/1 again:",
      "  /tools/kubectl --kubeconfig /tmp/d/cp/kubeconfig -n default patch virtualservice bookinfo --type json -p " +
        `'[{"op":"replace","path":"/spec/http/0/route/0/destination/host","value":"productpage"}]'`,
      "Ctrl-C stops the gateway, the backends and the control plane, and removes their files.",
    ]);
  });
});
