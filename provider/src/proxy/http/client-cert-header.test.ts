import assert from "node:assert/strict";
import { test } from "node:test";
import { forwardedClientCert, rfc2253 } from "./client-cert-header";
import { FORWARD_CLIENT_CERT_DETAILS } from "../../istio/model/gateway-topology";

test("each forwardClientCertDetails does with the header what Envoy's forward_client_cert_details does", () => {
  const theirs = "By=spiffe://edge;Hash=00";
  const ours = 'Hash=ab;Subject="CN=client";URI=';
  // [mode, with mutual TLS and a client header, with mutual TLS and none, without mutual TLS]
  const want: Record<string, [string | undefined, string | undefined, string | undefined]> = {
    SANITIZE: [undefined, undefined, undefined],
    FORWARD_ONLY: [theirs, undefined, undefined],
    APPEND_FORWARD: [`${theirs},${ours}`, ours, undefined],
    SANITIZE_SET: [ours, ours, undefined],
    ALWAYS_FORWARD_ONLY: [theirs, undefined, theirs],
  };
  for (const mode of FORWARD_CLIENT_CERT_DETAILS) {
    assert.deepEqual(
      [
        forwardedClientCert(mode, theirs, ours),
        forwardedClientCert(mode, undefined, ours),
        forwardedClientCert(mode, theirs, undefined),
      ],
      want[mode],
      mode,
    );
  }
  // Several headers are one list.
  assert.equal(
    forwardedClientCert("ALWAYS_FORWARD_ONLY", ["Hash=01", "Hash=02"], undefined),
    "Hash=01,Hash=02",
  );
});

test("a subject is written as RFC 2253 writes it: the most specific attribute first", () => {
  assert.deepEqual(
    [rfc2253("C=US\nO=Acme\\, Inc.\nCN=client"), rfc2253("CN=only"), rfc2253("")],
    ["CN=client,O=Acme\\, Inc.,C=US", "CN=only", ""],
  );
});
