import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCredentialName } from "./credential-name";

test("parseCredentialName resolves credential names as Istio's ToResourceName and ParseResourceName", () => {
  const cases: [string, ReturnType<typeof parseCredentialName>][] = [
    ["cred", { kind: "secret", namespace: "istio-system", name: "cred" }],
    ["kubernetes://cred", { kind: "secret", namespace: "istio-system", name: "cred" }],
    ["kubernetes://edge/cred", { kind: "secret", namespace: "edge", name: "cred" }],
    ["kubernetes://edge/cred-cacert", { kind: "secret", namespace: "edge", name: "cred-cacert" }],
    // Only two segments count, and a bare name with a slash is read as namespace/name too.
    ["kubernetes://edge/cred/extra", { kind: "secret", namespace: "edge", name: "cred" }],
    ["edge/cred", { kind: "secret", namespace: "edge", name: "cred" }],
    // Without an external SDS server, Istio falls back to the Secret.
    ["sds://cred", { kind: "secret", namespace: "istio-system", name: "cred" }],
    ["sds://kubernetes://edge/cred", { kind: "secret", namespace: "edge", name: "cred" }],
    ["builtin://", { kind: "builtin" }],
    ["configmap://default/ca", { kind: "other", scheme: "configmap://" }],
    ["kubernetes-gateway://istio-system/cred", { kind: "other", scheme: "kubernetes-gateway://" }],
    ["invalid://", { kind: "other", scheme: "invalid://" }],
  ];
  for (const [name, want] of cases) assert.deepEqual(parseCredentialName(name, "istio-system"), want, name);
});
