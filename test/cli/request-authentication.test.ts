// `istio-gateway validate` and `analyze` read security.istio.io RequestAuthentication (they skipped
// it before), with Istio's webhook rules; security kinds the project does not read
// (PeerAuthentication) are still skipped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./run-cli";

const INVALID = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: istio-system
spec:
  jwtRules:
  - issuer: "testing@secure.istio.io"
    jwksUri: "ftp://keys.example.com/jwks.json"
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

describe("istio-gateway validate|analyze: RequestAuthentication", () => {
  for (const command of ["validate", "analyze"]) {
    it(`${command} reports a jwksUri Istio refuses, with its line, and exits 1`, async () => {
      const r = await runCli([command, "-"], { stdin: INVALID });
      assert.deepEqual(
        [r.code, r.stdout],
        [
          1,
          'Error [IGW5307] (RequestAuthentication istio-system/jwt -:9) spec.jwtRules[0].jwksUri: URI scheme "ftp" is not supported (got "ftp://keys.example.com/jwks.json")\n' +
            "1 error and 0 warnings in 1 resource; 1 object of other kinds skipped (1 PeerAuthentication).\n",
        ],
      );
    });
  }
});
