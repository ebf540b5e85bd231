/**
 * Test data: one sample of each kind with every modelled field set, shared by the schema, resource
 * and CRD tests. Typed with the model, so a renamed field fails to compile here too.
 */
import type * as model from "../model";

const stringMatch = (i: number): model.StringMatch[] => [
  { exact: `e${i}` },
  { prefix: `/p${i}` },
  { regex: `r${i}.*` },
];

/** A Gateway with every field. */
export const fullGateway: model.Gateway = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: {
    name: "public-gw",
    namespace: "istio-system",
    labels: { app: "gw" },
    annotations: { note: "x" },
    creationTimestamp: "2026-01-01T00:00:00Z",
    resourceVersion: "12",
    uid: "0000-1111",
    generation: 3,
  },
  spec: {
    selector: { istio: "ingressgateway" },
    servers: [
      {
        port: { number: 443, protocol: "HTTPS", name: "https", targetPort: 8443 },
        bind: "0.0.0.0",
        hosts: ["bookinfo.example.com", "prod/*.example.com"],
        defaultEndpoint: "127.0.0.1:8080",
        name: "https-server",
        tls: {
          httpsRedirect: false,
          mode: "MUTUAL",
          serverCertificate: "/etc/certs/tls.crt",
          privateKey: "/etc/certs/tls.key",
          caCertificates: "/etc/certs/ca.crt",
          caCrl: "/etc/certs/ca.crl",
          caCertCredentialName: "ca-secret",
          subjectAltNames: ["spiffe://cluster.local/ns/default/sa/client"],
          verifyCertificateSpki: ["abc="],
          verifyCertificateHash: ["AB:CD"],
          minProtocolVersion: "TLSV1_2",
          maxProtocolVersion: "TLSV1_3",
          cipherSuites: ["ECDHE-RSA-AES128-GCM-SHA256"],
          insecureSkipVerify: false,
        },
      },
      {
        port: { number: 8443, protocol: "HTTPS", name: "https-pair" },
        hosts: ["*"],
        tls: {
          mode: "SIMPLE",
          tlsCertificates: [
            { serverCertificate: "/a.crt", privateKey: "/a.key", caCertificates: "/ca.crt" },
            { serverCertificate: "/b.crt", privateKey: "/b.key" },
          ],
        },
      },
      {
        port: { number: 9443, protocol: "HTTPS", name: "https-names" },
        hosts: ["*"],
        tls: { mode: "SIMPLE", credentialNames: ["rsa", "ecdsa"] },
      },
      {
        port: { number: 10443, protocol: "HTTPS", name: "https-name" },
        hosts: ["*"],
        tls: { mode: "SIMPLE", credentialName: "cert" },
      },
    ],
  },
};

const destination: model.Destination = { host: "reviews", subset: "v1", port: { number: 9080 } };

/** A VirtualService with every field. */
export const fullVirtualService: model.VirtualService = {
  apiVersion: "networking.istio.io/v1beta1",
  kind: "VirtualService",
  metadata: { name: "bookinfo", namespace: "default" },
  spec: {
    hosts: ["bookinfo.example.com"],
    gateways: ["istio-system/public-gw", "mesh"],
    exportTo: ["*"],
    http: [
      {
        name: "main",
        match: [
          {
            name: "m",
            uri: { prefix: "/api" },
            scheme: { exact: "https" },
            method: { exact: "GET" },
            authority: { regex: "bookinfo.*" },
            headers: { "x-user": { exact: "jason" }, "x-any": {} },
            port: 443,
            sourceLabels: { app: "client" },
            gateways: ["istio-system/public-gw"],
            queryParams: { v: { exact: "1" } },
            ignoreUriCase: true,
            withoutHeaders: { "x-debug": { prefix: "1" } },
            sourceNamespace: "default",
            statPrefix: "api",
          },
        ],
        route: [
          {
            destination,
            weight: 80,
            headers: {
              request: { set: { a: "1" }, add: { b: "2" }, remove: ["c"] },
              response: { remove: ["d"] },
            },
          },
          { destination: { host: "reviews", subset: "v2" }, weight: 20 },
        ],
        rewrite: { uri: "/", authority: "internal", uriRegexRewrite: { match: "^/a(.*)", rewrite: "/b\\1" } },
        timeout: "5s",
        retries: {
          attempts: 3,
          perTryTimeout: "2s",
          retryOn: "5xx",
          retryRemoteLocalities: true,
          retryIgnorePreviousHosts: true,
          backoff: "25ms",
        },
        fault: {
          delay: { percent: 5, fixedDelay: "1s", percentage: { value: 0.5 } },
          abort: { httpStatus: 503, percentage: { value: 1.5 } },
        },
        mirror: { host: "mirror" },
        mirrorPercent: 10,
        mirrorPercentage: { value: 10 },
        corsPolicy: {
          allowOrigin: ["https://a.example"],
          allowOrigins: stringMatch(1),
          allowMethods: ["GET"],
          allowHeaders: ["x-a"],
          exposeHeaders: ["x-b"],
          maxAge: "24h",
          allowCredentials: true,
          unmatchedPreflights: "FORWARD",
        },
        headers: { request: { set: { x: "y" } } },
      },
      { mirrors: [{ destination: { host: "shadow" }, percentage: { value: 50 } }], route: [{ destination }] },
      { redirect: { uri: "/new", authority: "a.example", port: 8443, scheme: "https", redirectCode: 302 } },
      { redirect: { prefixRewrite: "/v2", derivePort: "FROM_REQUEST_PORT" } },
      { directResponse: { status: 503, body: { string: "down" } } },
      {
        directResponse: { status: 200, body: { bytes: "b2s=" } },
        fault: { abort: { grpcStatus: "UNAVAILABLE" } },
      },
      { delegate: { name: "reviews-delegate", namespace: "default" } },
    ],
    tls: [
      {
        match: [
          {
            sniHosts: ["bookinfo.example.com"],
            destinationSubnets: ["10.0.0.0/8"],
            port: 443,
            sourceLabels: { app: "x" },
            gateways: ["istio-system/public-gw"],
            sourceNamespace: "default",
          },
        ],
        route: [{ destination, weight: 100 }],
      },
    ],
    tcp: [
      {
        match: [
          {
            destinationSubnets: ["10.0.0.1"],
            port: 31400,
            sourceSubnet: "10.1.0.0/16",
            sourceLabels: { app: "x" },
            gateways: ["mesh"],
            sourceNamespace: "default",
          },
        ],
        route: [{ destination: { host: "tcp-echo", port: { number: 9000 } } }],
      },
    ],
  },
};

const trafficPolicy: model.TrafficPolicy = {
  loadBalancer: { simple: "ROUND_ROBIN" },
  connectionPool: {
    tcp: { maxConnections: 100, connectTimeout: "3s", idleTimeout: "1h", maxConnectionDuration: "10m" },
    http: {
      http1MaxPendingRequests: 10,
      http2MaxRequests: 100,
      maxRequestsPerConnection: 1,
      maxRetries: 3,
      idleTimeout: "30s",
      h2UpgradePolicy: "UPGRADE",
      useClientProtocol: false,
    },
  },
  tls: {
    mode: "MUTUAL",
    clientCertificate: "/c.crt",
    privateKey: "/c.key",
    caCertificates: "/ca.crt",
    credentialName: "client-cred",
    subjectAltNames: ["reviews"],
    sni: "reviews.example.com",
    insecureSkipVerify: false,
  },
  outlierDetection: {
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 3,
    consecutiveLocalOriginFailures: 2,
    splitExternalLocalOriginErrors: true,
    interval: "10s",
    baseEjectionTime: "30s",
    maxEjectionPercent: 50,
    minHealthPercent: 20,
  },
  portLevelSettings: [
    { port: { number: 9080 }, loadBalancer: { simple: "RANDOM" }, connectionPool: {}, tls: {} },
    {
      port: { number: 9443 },
      loadBalancer: {
        consistentHash: {
          httpHeaderName: "x-user",
          httpCookie: { name: "user", path: "/", ttl: "60s" },
          useSourceIp: true,
          httpQueryParameterName: "u",
          ringHash: { minimumRingSize: 2048 },
          maglev: { tableSize: 65537 },
          minimumRingSize: 1024,
        },
      },
      outlierDetection: {},
    },
  ],
};

/** A DestinationRule with every modelled field. */
export const fullDestinationRule: model.DestinationRule = {
  apiVersion: "networking.istio.io/v1alpha3",
  kind: "DestinationRule",
  metadata: { name: "reviews", namespace: "default" },
  spec: {
    host: "reviews.default.svc.cluster.local",
    trafficPolicy,
    subsets: [
      { name: "v1", labels: { version: "v1" }, trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } },
      { name: "v2", labels: { version: "v2" } },
    ],
    exportTo: ["."],
  },
};

/** A ServiceEntry with every modelled field. */
export const fullServiceEntry: model.ServiceEntry = {
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name: "external-svc", namespace: "default" },
  spec: {
    hosts: ["api.example.com"],
    addresses: ["192.0.2.10"],
    ports: [
      { number: 443, protocol: "TLS", name: "tls", targetPort: 8443 },
      { number: 80, protocol: "HTTP", name: "http" },
    ],
    location: "MESH_EXTERNAL",
    resolution: "STATIC",
    endpoints: [
      {
        address: "192.0.2.11",
        ports: { tls: 9443 },
        labels: { version: "v1" },
        network: "net1",
        locality: "us-east/zone1/sub",
        weight: 10,
        serviceAccount: "api",
      },
    ],
    exportTo: ["*"],
    subjectAltNames: ["api.example.com"],
  },
};

/** A RequestAuthentication with every modelled field. */
export const fullRequestAuthentication: model.RequestAuthentication = {
  apiVersion: "security.istio.io/v1",
  kind: "RequestAuthentication",
  metadata: { name: "jwt-example", namespace: "istio-system" },
  spec: {
    selector: { matchLabels: { istio: "ingressgateway" } },
    jwtRules: [
      {
        issuer: "testing@secure.istio.io",
        audiences: ["bookinfo.com"],
        jwksUri: "https://raw.githubusercontent.com/istio/istio/master/security/tools/jwt/samples/jwks.json",
        fromHeaders: [{ name: "x-jwt-assertion", prefix: "Bearer " }],
        fromParams: ["my_token"],
        fromCookies: ["session"],
        outputPayloadToHeader: "x-jwt-payload",
        forwardOriginalToken: true,
        outputClaimToHeaders: [{ header: "x-jwt-claim-foo", claim: "foo" }],
        spaceDelimitedClaims: ["roles"],
        timeout: "3s",
      },
    ],
  },
};

/** A Secret with every modelled field. */
export const fullAuthorizationPolicy: model.AuthorizationPolicy = {
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name: "ingress-policy", namespace: "istio-system" },
  spec: {
    selector: { matchLabels: { app: "istio-ingressgateway" } },
    action: "ALLOW",
    rules: [
      {
        from: [
          {
            source: {
              principals: ["cluster.local/ns/default/sa/sleep"],
              notPrincipals: ["cluster.local/ns/default/sa/other"],
              requestPrincipals: ["issuer/subject"],
              notRequestPrincipals: ["other/*"],
              namespaces: ["default"],
              notNamespaces: ["kube-system"],
              ipBlocks: ["10.0.0.0/8"],
              notIpBlocks: ["10.1.0.0/16"],
              remoteIpBlocks: ["1.2.3.4", "5.6.7.0/24"],
              notRemoteIpBlocks: ["5.6.7.8"],
            },
          },
          {
            source: {
              serviceAccounts: ["default/sleep"],
              notServiceAccounts: ["bad"],
              trustDomains: ["cluster.local"],
              notTrustDomains: ["other.local"],
            },
          },
        ],
        to: [
          {
            operation: {
              hosts: ["*.example.com"],
              notHosts: ["admin.example.com"],
              ports: ["8080"],
              notPorts: ["9090"],
              methods: ["GET"],
              notMethods: ["DELETE"],
              paths: ["/api/*"],
              notPaths: ["/api/admin/{**}"],
            },
          },
        ],
        when: [{ key: "request.headers[x-token]", values: ["a"], notValues: ["b"] }],
      },
    ],
  },
};

export const fullSecret: model.Secret = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "cert", namespace: "istio-system" },
  type: "kubernetes.io/tls",
  data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" },
  stringData: { "ca.crt": "ca" },
};

/** A Service with every modelled field. */
export const fullService: model.Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "istio-ingressgateway", namespace: "istio-system" },
  spec: {
    selector: { istio: "ingressgateway" },
    ports: [
      { name: "http2", protocol: "TCP", port: 80, targetPort: 8080 },
      { name: "https", port: 443, targetPort: "https" },
    ],
    type: "LoadBalancer",
    clusterIP: "10.0.0.10",
  },
};

/** A Pod with every modelled field. */
export const fullPod: model.Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "istio-ingressgateway-1",
    namespace: "istio-system",
    labels: { istio: "ingressgateway" },
  },
};

/** The samples by kind. */
export const samples: Record<string, model.Resource> = {
  Gateway: fullGateway,
  VirtualService: fullVirtualService,
  DestinationRule: fullDestinationRule,
  ServiceEntry: fullServiceEntry,
  AuthorizationPolicy: fullAuthorizationPolicy,
  RequestAuthentication: fullRequestAuthentication,
  Secret: fullSecret,
  Service: fullService,
  Pod: fullPod,
};
