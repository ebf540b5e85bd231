/**
 * Certificates made at test time with the `openssl` command line: a CA, server certificates for
 * given names, and client certificates with given SANs, in a temporary directory removed by
 * {@link TestPki.dispose}.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its key, as PEM text and as file paths. */
export interface Issued {
  /** PEM certificate. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** Path of the certificate file. */
  certPath: string;
  /** Path of the key file. */
  keyPath: string;
}

/** A throwaway CA that issues server and client certificates. */
export class TestPki {
  /** The temporary directory. */
  readonly dir = mkdtempSync(join(tmpdir(), "igw-pki-"));
  /** The CA. */
  readonly ca: Issued;
  private serial = 1;

  constructor(name = "igw-test-ca") {
    const keyPath = join(this.dir, `${name}.key`);
    const certPath = join(this.dir, `${name}.crt`);
    this.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath]);
    this.openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      keyPath,
      "-sha256",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      certPath,
    ]);
    this.ca = { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath };
  }

  /**
   * Issues a certificate for `cn` with `sans` (`DNS:x`, `URI:spiffe://…`, `IP:127.0.0.1`), its
   * subject `/CN=<cn>` unless `subject` (openssl's `-subj` form) says otherwise.
   */
  issue(cn: string, sans: string[], usage: "server" | "client" = "server", subject = `/CN=${cn}`): Issued {
    const n = this.serial++;
    const keyPath = join(this.dir, `${n}.key`);
    const csrPath = join(this.dir, `${n}.csr`);
    const certPath = join(this.dir, `${n}.crt`);
    const extPath = join(this.dir, `${n}.ext`);
    this.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath]);
    this.openssl(["req", "-new", "-key", keyPath, "-subj", subject, "-out", csrPath]);
    const lines = [
      "basicConstraints=CA:FALSE",
      `extendedKeyUsage=${usage === "server" ? "serverAuth" : "clientAuth"}`,
    ];
    if (sans.length > 0) lines.push(`subjectAltName=${sans.join(",")}`);
    writeFileSync(extPath, lines.join("\n") + "\n");
    this.openssl([
      "x509",
      "-req",
      "-in",
      csrPath,
      "-CA",
      this.ca.certPath,
      "-CAkey",
      this.ca.keyPath,
      "-set_serial",
      String(1000 + n),
      "-days",
      "2",
      "-sha256",
      "-extfile",
      extPath,
      "-out",
      certPath,
    ]);
    return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath };
  }

  /** Removes the directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(args: string[]): void {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  }
}
