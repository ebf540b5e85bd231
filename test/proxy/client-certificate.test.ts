import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import {
  certificateHash,
  checkClientCertificate,
  dnsNameMatch,
  spkiHash,
  subjectAltNamesOf,
} from "../../provider/src/proxy/tls/client-certificate";
import { TestPki } from "./support/certs";

describe("client certificate pinning", () => {
  const pki = new TestPki();
  after(() => pki.dispose());
  const client = pki.issue(
    "client",
    ["URI:spiffe://cluster.local/ns/default/sa/sleep", "DNS:client.test"],
    "client",
  );
  const other = pki.issue("other", ["DNS:other.test"], "client");
  const der = new X509Certificate(client.cert).raw;

  it("computes hashes as openssl does", () => {
    const fp = execFileSync(
      "openssl",
      ["x509", "-noout", "-fingerprint", "-sha256", "-in", client.certPath],
      { encoding: "utf8" },
    );
    assert.equal(
      certificateHash(new X509Certificate(client.cert)),
      fp.trim().split("=")[1]!.replace(/:/g, "").toLowerCase(),
    );
    const spkiDer = execFileSync("openssl", ["x509", "-noout", "-pubkey", "-in", client.certPath]);
    const pubDer = execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: spkiDer });
    assert.equal(
      spkiHash(new X509Certificate(client.cert)),
      createHash("sha256").update(pubDer).digest("base64"),
    );
    assert.deepEqual(subjectAltNamesOf(new X509Certificate(client.cert)), [
      "spiffe://cluster.local/ns/default/sa/sleep",
      "client.test",
    ]);
    assert.deepEqual(
      [
        subjectAltNamesOf(new X509Certificate(client.cert), "URI"),
        subjectAltNamesOf(new X509Certificate(client.cert), "DNS"),
        subjectAltNamesOf(new X509Certificate(client.cert), "IP Address"),
      ],
      [["spiffe://cluster.local/ns/default/sa/sleep"], ["client.test"], []],
    );
  });

  const spki = spkiHash(new X509Certificate(client.cert));
  const hash = certificateHash(new X509Certificate(client.cert));
  const colonHash = hash.toUpperCase().match(/../g)!.join(":");
  const cases: {
    name: string;
    policy: Parameters<typeof checkClientCertificate>[1];
    want: string | undefined;
  }[] = [
    { name: "no policy", policy: {}, want: undefined },
    { name: "SAN matches", policy: { subjectAltNames: ["client.test"] }, want: undefined },
    {
      name: "URI SAN matches",
      policy: { subjectAltNames: ["spiffe://cluster.local/ns/default/sa/sleep"] },
      want: undefined,
    },
    {
      name: "SAN mismatch",
      policy: { subjectAltNames: ["nope.test"] },
      want: 'client certificate subject alternative names ["spiffe://cluster.local/ns/default/sa/sleep","client.test"] match none of subjectAltNames',
    },
    { name: "SPKI pin", policy: { verifyCertificateSpki: [spki] }, want: undefined },
    { name: "hash pin with colons", policy: { verifyCertificateHash: [colonHash] }, want: undefined },
    {
      name: "SPKI wrong but hash right",
      policy: { verifyCertificateSpki: ["AAAA"], verifyCertificateHash: [hash] },
      want: undefined,
    },
    {
      name: "both wrong",
      policy: {
        verifyCertificateSpki: [spkiHash(new X509Certificate(other.cert))],
        verifyCertificateHash: ["00"],
      },
      want: "client certificate matches neither verifyCertificateSpki nor verifyCertificateHash",
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(checkClientCertificate(der, c.policy), c.want));
  }
  it("rejects garbage", () =>
    assert.equal(checkClientCertificate(Buffer.from("x"), {}), "client certificate cannot be parsed"));

  // Envoy matches a DNS SAN against an exact subjectAltNames entry as a DNS name.
  const wild = new X509Certificate(pki.issue("wild", ["DNS:*.example.com"], "client").cert).raw;
  for (const [names, accepted] of [
    [["a.example.com"], true],
    [["A.Example.COM"], true],
    [["a.b.example.com"], false],
    [["example.com"], false],
    [[".example.com"], false],
  ] as const) {
    it(`a wildcard DNS SAN ${accepted ? "covers" : "does not cover"} ${names[0]}`, () =>
      assert.equal(checkClientCertificate(wild, { subjectAltNames: [...names] }) === undefined, accepted));
  }

  it("a DNS SAN matches whatever its case; a URI SAN only exactly", () => {
    assert.equal(checkClientCertificate(der, { subjectAltNames: ["CLIENT.test"] }), undefined);
    assert.notEqual(
      checkClientCertificate(der, { subjectAltNames: ["SPIFFE://cluster.local/ns/default/sa/sleep"] }),
      undefined,
    );
  });

  it("dnsNameMatch takes a wildcard for exactly one label, as Envoy's does", () => {
    assert.deepEqual(
      [
        ["api.example.com", "*.example.com"],
        ["x.api.example.com", "*.example.com"],
        ["example.com", "*.example.com"],
        ["api.example.com", "api.example.com"],
        ["api.example.com", "*.com"],
        ["api.example.com", "a*.example.com"],
      ].map(([name, pattern]) => dnsNameMatch(name!, pattern!)),
      [true, false, false, true, false, false],
    );
  });
});
