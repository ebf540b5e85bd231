/**
 * `Gateway` (networking.istio.io): the load balancer at the edge of the mesh — which ports a set of
 * gateway workloads listen on, which host names each port serves, and how TLS is handled there.
 * Routing itself lives in the VirtualServices bound to the Gateway.
 *
 * Field names and semantics follow Istio's `networking/v1alpha3/gateway.proto` (also served as
 * `v1beta1` and `v1`).
 */
import type { ObjectMeta } from "./meta";

/** A Gateway resource as stored by Kubernetes. */
export interface Gateway {
  /** `networking.istio.io/v1` (or `v1beta1`, `v1alpha3`: the same shape). */
  apiVersion: string;
  /** Always `Gateway`. */
  kind: "Gateway";
  /** Name, namespace, labels and annotations. */
  metadata: ObjectMeta;
  /** What the gateway workloads expose. */
  spec: GatewaySpec;
}

/** The desired state of a Gateway. */
export interface GatewaySpec {
  /**
   * The servers (listeners) of the gateway: each a port, the hosts it serves and its TLS settings.
   * At least one is required.
   */
  servers?: Server[];
  /**
   * Labels of the gateway pods this configuration applies to, e.g. `{ istio: "ingressgateway" }`.
   * A pod is selected when its labels contain all of these. Empty or absent selects every gateway
   * pod. By default pods in any namespace are selected.
   */
  selector?: { [key: string]: string };
}

/**
 * One listener of the gateway: a port, the hosts served on it, and how TLS is handled.
 *
 * Several servers may share a port: TLS servers are told apart by SNI, plain HTTP servers by the
 * `Host` header.
 */
export interface Server {
  /** The port the gateway listens on, its protocol and its name. Required. */
  port: Port;
  /**
   * The address to listen on: an IP address, or `unix://<absolute path>` (or `unix://@abstract`)
   * with `port.number` 0. Defaults to all addresses of the gateway pod.
   */
  bind?: string;
  /**
   * The host names this server exposes; at least one is required. Each is a DNS name in FQDN form,
   * optionally with a leading wildcard (`*.example.com`), or `*` for every host. A name may carry
   * a namespace prefix that limits which VirtualServices can bind to it: `prod/example.com` (only
   * VirtualServices in `prod`), `./example.com` (only the Gateway's own namespace), or a `*`
   * prefix (any namespace, the same as no prefix). For HTTPS servers the host
   * also selects the certificate by SNI.
   */
  hosts: string[];
  /** TLS settings. Required for `HTTPS` and `TLS` ports; on `HTTP` ports only `httpsRedirect` is meaningful. */
  tls?: ServerTLSSettings;
  /**
   * Where traffic goes when nothing else matches: `127.0.0.1:PORT`, `0.0.0.0:PORT` or
   * `unix:///path`. Used by sidecars; ignored by ingress gateways.
   */
  defaultEndpoint?: string;
  /** An optional name for the server, used in metrics and for debugging. Istio does not require it to be unique. */
  name?: string;
}

/** The protocols a server or service port can speak, as Istio spells them. */
export const PortProtocol = {
  HTTP: "HTTP",
  HTTPS: "HTTPS",
  HTTP2: "HTTP2",
  GRPC: "GRPC",
  GRPC_WEB: "GRPC-WEB",
  HTTP_PROXY: "HTTP_PROXY",
  TCP: "TCP",
  TLS: "TLS",
  UDP: "UDP",
  MONGO: "MONGO",
  REDIS: "REDIS",
  MYSQL: "MYSQL",
} as const;
export type PortProtocol = (typeof PortProtocol)[keyof typeof PortProtocol];

/** A port the gateway listens on. */
export interface Port {
  /**
   * The port number, 1 to 65535 (0 only with a `unix://` bind). On a Kubernetes ingress gateway
   * this is the Service port; the pod listens on the mapped target port.
   */
  number: number;
  /**
   * The protocol: `HTTP`, `HTTPS`, `HTTP2`, `GRPC`, `GRPC-WEB`, `HTTP_PROXY`, `TCP`, `TLS`, `MONGO`,
   * `REDIS`, `MYSQL` or `UDP` (case-insensitive in Istio). `HTTPS` terminates or passes through TLS
   * and routes with `http` (terminated) or `tls` (passthrough) rules; `TLS` routes with `tcp` or
   * `tls` rules.
   */
  protocol: string;
  /** A name for the port; required, and unique among the servers of one Gateway. */
  name: string;
  /**
   * Deprecated and rejected on Gateways: the pod port is derived from the Service. Only meaningful
   * in ServiceEntry ports.
   */
  targetPort?: number;
}

/** How a server handles TLS. `PASSTHROUGH` is what an omitted `mode` means. */
export const TLSmode = {
  /** Do not terminate: route the encrypted connection by SNI with VirtualService `tls` rules. */
  PASSTHROUGH: "PASSTHROUGH",
  /** Terminate TLS with the server's certificate. */
  SIMPLE: "SIMPLE",
  /** Terminate TLS and require a client certificate signed by `caCertificates`. */
  MUTUAL: "MUTUAL",
  /** Pass through by SNI to mesh services named in `outbound_.<port>_.<subset>_.<host>` form; needs Istio's mesh. */
  AUTO_PASSTHROUGH: "AUTO_PASSTHROUGH",
  /** Mutual TLS with Istio's own workload certificates; needs Istio's mesh identity. */
  ISTIO_MUTUAL: "ISTIO_MUTUAL",
  /** Terminate TLS and verify a client certificate when one is presented, without requiring it. */
  OPTIONAL_MUTUAL: "OPTIONAL_MUTUAL",
} as const;
export type TLSmode = (typeof TLSmode)[keyof typeof TLSmode];

/** TLS protocol versions, as Istio names them. `TLS_AUTO` leaves the choice to the proxy. */
export const TLSProtocol = {
  TLS_AUTO: "TLS_AUTO",
  TLSV1_0: "TLSV1_0",
  TLSV1_1: "TLSV1_1",
  TLSV1_2: "TLSV1_2",
  TLSV1_3: "TLSV1_3",
} as const;
export type TLSProtocol = (typeof TLSProtocol)[keyof typeof TLSProtocol];

/**
 * TLS settings of a server. Exactly one certificate source may be given: `credentialName`,
 * `credentialNames`, `serverCertificate` with `privateKey`, or `tlsCertificates`.
 */
export interface ServerTLSSettings {
  /**
   * On an HTTP server: answer every request with a 301 redirect to `https`. Default false.
   */
  httpsRedirect?: boolean;
  /** How TLS is handled. Default (when `tls` is present but `mode` is not): `PASSTHROUGH`. */
  mode?: TLSmode;
  /**
   * Path of the PEM server certificate on the gateway's file system. Required with `privateKey` in
   * `SIMPLE`, `MUTUAL` and `OPTIONAL_MUTUAL` modes when no credential name is given.
   */
  serverCertificate?: string;
  /** Path of the PEM private key on the gateway's file system; goes with `serverCertificate`. */
  privateKey?: string;
  /**
   * Path of the PEM bundle of CA certificates that client certificates are verified against.
   * Required in `MUTUAL` and `OPTIONAL_MUTUAL` modes when no credential name is given.
   */
  caCertificates?: string;
  /**
   * Path of a PEM certificate revocation list checked against client certificates. Not supported
   * with `SIMPLE` mode, nor together with `credentialName` (put the CRL in the credential instead).
   */
  caCrl?: string;
  /**
   * Name of a Kubernetes Secret, in the gateway pod's namespace, holding the certificate and key
   * (`tls.crt`/`tls.key`, or `cert`/`key`) and for mutual TLS the client CA (`ca.crt`/`cacert`, or a
   * second Secret named `<credentialName>-cacert`). Replaces the file path fields.
   */
  credentialName?: string;
  /**
   * Up to two Secret names, for serving an RSA and an ECDSA certificate side by side. Exclusive
   * with `credentialName` and `tlsCertificates`.
   */
  credentialNames?: string[];
  /**
   * Name of a Secret holding only the CA bundle (and CRL) for client certificate verification,
   * when the server certificate comes from elsewhere.
   */
  caCertCredentialName?: string;
  /**
   * Up to two certificate/key pairs given as file paths (RSA and ECDSA side by side). Exclusive
   * with the other certificate sources.
   */
  tlsCertificates?: TLSCertificate[];
  /**
   * Accepted subject alternative names of client certificates (`MUTUAL`, `OPTIONAL_MUTUAL`): a
   * client certificate must carry one of them.
   */
  subjectAltNames?: string[];
  /**
   * Accepted base64-encoded SHA-256 hashes of client certificates' Subject Public Key Info. With
   * `verifyCertificateHash`, a certificate matching either list is accepted.
   */
  verifyCertificateSpki?: string[];
  /** Accepted hex-encoded SHA-256 fingerprints of client certificates (colons allowed). */
  verifyCertificateHash?: string[];
  /** The lowest TLS version accepted. Default `TLSV1_2`. Below 1.2 requires setting `cipherSuites`. */
  minProtocolVersion?: TLSProtocol;
  /** The highest TLS version accepted. Default `TLSV1_3`. */
  maxProtocolVersion?: TLSProtocol;
  /**
   * OpenSSL-style cipher suite names offered for TLS 1.2 and below, in order of preference. Unknown
   * names are ignored with a warning.
   */
  cipherSuites?: string[];
  /**
   * Skip verification of the client certificate's chain while still requesting one. Only useful
   * for debugging; default false.
   */
  insecureSkipVerify?: boolean;
}

/** One server certificate and key, given as file paths on the gateway. */
export interface TLSCertificate {
  /** Path of the PEM certificate chain. Required. */
  serverCertificate?: string;
  /** Path of the PEM private key. Required. */
  privateKey?: string;
  /** Path of the PEM CA bundle for verifying client certificates (mutual modes). */
  caCertificates?: string;
}
