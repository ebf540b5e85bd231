// Istio's own DestinationRule cases (istio/istio@86c9f01fd735, pkg/config/validation/validation_test.go:
// TestValidateDestinationRule, and TestValidateTrafficPolicy / TestValidateConnectionPool placed into an
// otherwise valid rule), each Go literal marshalled with protojson, with Istio's verdict. Every case goes
// through the same path as a file would (parseResource, then validateDestinationRule); where we judge
// differently on purpose, `disagreements` says what we answer and why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseResource } from "../resource";
import type { DestinationRule } from "../model";
import { validateDestinationRule } from "./destination-rule";

/** `valid`: no error (those Istio tests do not judge warnings). */
type Verdict = "error" | "warning" | "clean" | "valid";

interface IstioCase {
  /** The Go test the case comes from; it says which part of a DestinationRule `spec` is. */
  test: string;
  /** Line of the case in validation_test.go. */
  line: number;
  name: string;
  spec: object;
  labels?: Record<string, string>;
  istio: Verdict;
}

/** Cases where our verdict differs from Istio's on purpose: line -> [our verdict, why]. */
const disagreements: Record<number, [Verdict, string]> = {};

function verdictOf(c: IstioCase): Verdict {
  const parsed = parseResource({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "some-name", namespace: "someNamespace", ...(c.labels ? { labels: c.labels } : {}) },
    spec:
      c.test === "TestValidateTrafficPolicy"
        ? { host: "reviews", trafficPolicy: c.spec }
        : c.test === "TestValidateConnectionPool"
          ? { host: "reviews", trafficPolicy: { connectionPool: c.spec } }
          : c.spec,
  });
  const issues = [
    ...parsed.issues,
    ...(parsed.resource ? validateDestinationRule(parsed.resource as DestinationRule) : []),
  ];
  if (issues.some((i) => i.severity === "error")) return "error";
  if (c.istio === "valid") return "valid";
  return issues.some((i) => i.severity === "warning") ? "warning" : "clean";
}

const cases: IstioCase[] = [
  {
    test: "TestValidateDestinationRule",
    line: 2888,
    name: "simple destination rule",
    spec: {
      host: "reviews",
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2896,
    name: "simple destination rule with empty selector labels",
    spec: {
      host: "reviews",
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
      workloadSelector: {},
    },
    istio: "warning",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2905,
    name: "missing destination name",
    spec: {
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2913,
    name: "missing subset name",
    spec: {
      host: "reviews",
      subsets: [
        {
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2921,
    name: "duplicate subset names",
    spec: {
      host: "reviews",
      subsets: [
        {
          name: "foo",
          labels: {
            version: "v1",
          },
        },
        {
          name: "foo",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2929,
    name: "valid traffic policy, top level",
    spec: {
      host: "reviews",
      trafficPolicy: {
        loadBalancer: {
          simple: "ROUND_ROBIN",
        },
        connectionPool: {
          tcp: {
            maxConnections: 7,
          },
          http: {
            http2MaxRequests: 11,
          },
        },
        outlierDetection: {
          minHealthPercent: 20,
        },
      },
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2951,
    name: "invalid traffic policy, top level",
    spec: {
      host: "reviews",
      trafficPolicy: {
        loadBalancer: {
          simple: "ROUND_ROBIN",
        },
        connectionPool: {},
        outlierDetection: {
          minHealthPercent: 20,
        },
      },
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2970,
    name: "valid traffic policy, subset level",
    spec: {
      host: "reviews",
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
          trafficPolicy: {
            loadBalancer: {
              simple: "ROUND_ROBIN",
            },
            connectionPool: {
              tcp: {
                maxConnections: 7,
              },
              http: {
                http2MaxRequests: 11,
              },
            },
            outlierDetection: {
              minHealthPercent: 20,
            },
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 2994,
    name: "invalid traffic policy, subset level",
    spec: {
      host: "reviews",
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
          trafficPolicy: {
            loadBalancer: {
              simple: "ROUND_ROBIN",
            },
            connectionPool: {},
            outlierDetection: {
              minHealthPercent: 20,
            },
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3015,
    name: "valid traffic policy, both levels",
    spec: {
      host: "reviews",
      trafficPolicy: {
        loadBalancer: {
          simple: "ROUND_ROBIN",
        },
        connectionPool: {
          tcp: {
            maxConnections: 7,
          },
          http: {
            http2MaxRequests: 11,
          },
        },
        outlierDetection: {
          minHealthPercent: 20,
        },
      },
      subsets: [
        {
          name: "v1",
          labels: {
            version: "v1",
          },
          trafficPolicy: {
            loadBalancer: {
              simple: "ROUND_ROBIN",
            },
            connectionPool: {
              tcp: {
                maxConnections: 7,
              },
              http: {
                http2MaxRequests: 11,
              },
            },
            outlierDetection: {
              minHealthPercent: 30,
            },
          },
        },
        {
          name: "v2",
          labels: {
            version: "v2",
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3053,
    name: "InsecureSkipVerify is not specified with tls mode simple, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          caCertificates: "test",
          subjectAltNames: ["reviews.default.svc"],
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3064,
    name: "InsecureSkipVerify is not specified with tls mode simple, and the ca cert is specified by CredentialName",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          credentialName: "test",
          subjectAltNames: ["reviews.default.svc"],
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3075,
    name: "InsecureSkipVerify is set false with tls mode simple, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          caCertificates: "test",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: false,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3089,
    name: "InsecureSkipVerify is set false with tls mode simple, and the ca cert is specified by CredentialName",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          credentialName: "test",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: false,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3103,
    name: "InsecureSkipVerify is set true with tls mode simple, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          credentialName: "test",
          insecureSkipVerify: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3116,
    name: "InsecureSkipVerify is set true with tls mode simple, and the ca cert is specified by CredentialName",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          caCertificates: "test",
          insecureSkipVerify: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3129,
    name: "InsecureSkipVerify is set true with tls mode simple, and the san is specified",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "SIMPLE",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3142,
    name: "InsecureSkipVerify is not specified with tls mode mutual, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          clientCertificate: "cert",
          privateKey: "key",
          caCertificates: "test",
          subjectAltNames: ["reviews.default.svc"],
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3155,
    name: "InsecureSkipVerify is not specified with tls mode mutual, and the ca cert is specified by CredentialName",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          credentialName: "test",
          subjectAltNames: ["reviews.default.svc"],
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3166,
    name: "InsecureSkipVerify is set false with tls mode mutual, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          clientCertificate: "cert",
          privateKey: "key",
          caCertificates: "test",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: false,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3182,
    name: "InsecureSkipVerify is set false with tls mode mutual, and the ca cert is specified by CredentialName",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          credentialName: "test",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: false,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3196,
    name: "InsecureSkipVerify is set true with tls mode mutual, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          clientCertificate: "cert",
          privateKey: "key",
          caCertificates: "test",
          insecureSkipVerify: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3211,
    name: "InsecureSkipVerify is set true with tls mode mutual, and the ca cert is specified by CaCertificates",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          credentialName: "test",
          insecureSkipVerify: true,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3224,
    name: "InsecureSkipVerify is set true with tls mode mutual, and the ca cert is not specified",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          clientCertificate: "cert",
          privateKey: "key",
          insecureSkipVerify: true,
        },
      },
    },
    istio: "clean",
  },
  {
    test: "TestValidateDestinationRule",
    line: 3238,
    name: "InsecureSkipVerify is set true with tls mode mutual, and the san is specified",
    spec: {
      host: "reviews",
      trafficPolicy: {
        tls: {
          mode: "MUTUAL",
          clientCertificate: "cert",
          privateKey: "key",
          subjectAltNames: ["reviews.default.svc"],
          insecureSkipVerify: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3281,
    name: "valid traffic policy",
    spec: {
      loadBalancer: {
        simple: "ROUND_ROBIN",
      },
      connectionPool: {
        tcp: {
          maxConnections: 7,
        },
        http: {
          http2MaxRequests: 11,
        },
      },
      outlierDetection: {
        minHealthPercent: 20,
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3298,
    name: "invalid traffic policy, nil entries",
    spec: {},
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3303,
    name: "invalid traffic policy, missing port in port level settings",
    spec: {
      portLevelSettings: [
        {
          loadBalancer: {
            simple: "ROUND_ROBIN",
          },
          connectionPool: {
            tcp: {
              maxConnections: 7,
            },
            http: {
              http2MaxRequests: 11,
            },
          },
          outlierDetection: {
            minHealthPercent: 20,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3324,
    name: "invalid traffic policy, bad connection pool",
    spec: {
      loadBalancer: {
        simple: "ROUND_ROBIN",
      },
      connectionPool: {},
      outlierDetection: {
        minHealthPercent: 20,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3338,
    name: "invalid traffic policy, bad max connection duration",
    spec: {
      loadBalancer: {
        simple: "ROUND_ROBIN",
      },
      connectionPool: {
        tcp: {
          maxConnectionDuration: "0.000000500s",
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3353,
    name: "invalid traffic policy, panic threshold too low",
    spec: {
      loadBalancer: {
        simple: "ROUND_ROBIN",
      },
      connectionPool: {
        tcp: {
          maxConnections: 7,
        },
        http: {
          http2MaxRequests: 11,
        },
      },
      outlierDetection: {
        minHealthPercent: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateTrafficPolicy",
    line: 3370,
    name: "invalid traffic policy, both upgrade and use client protocol set",
    spec: {
      connectionPool: {
        http: {
          h2UpgradePolicy: "UPGRADE",
          useClientProtocol: true,
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3396,
    name: "valid connection pool, tcp and http",
    spec: {
      tcp: {
        maxConnections: 7,
        connectTimeout: "2s",
      },
      http: {
        http1MaxPendingRequests: 2,
        http2MaxRequests: 11,
        maxRequestsPerConnection: 5,
        maxRetries: 4,
        idleTimeout: "30s",
        maxConcurrentStreams: 5,
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3414,
    name: "valid connection pool, tcp only",
    spec: {
      tcp: {
        maxConnections: 7,
        connectTimeout: "2s",
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3424,
    name: "valid connection pool, http only",
    spec: {
      http: {
        http1MaxPendingRequests: 2,
        http2MaxRequests: 11,
        maxRequestsPerConnection: 5,
        maxRetries: 4,
        idleTimeout: "30s",
        maxConcurrentStreams: 5,
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3438,
    name: "valid connection pool, http only with empty idle timeout",
    spec: {
      http: {
        http1MaxPendingRequests: 2,
        http2MaxRequests: 11,
        maxRequestsPerConnection: 5,
        maxRetries: 4,
        maxConcurrentStreams: 5,
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3450,
    name: "valid connection pool, http2 keepalive",
    spec: {
      http: {
        http2KeepAlive: {
          interval: "15s",
          timeout: "5s",
        },
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3461,
    name: "invalid connection pool, empty",
    spec: {},
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3464,
    name: "invalid connection pool, bad max connections",
    spec: {
      tcp: {
        maxConnections: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3471,
    name: "invalid connection pool, bad connect timeout",
    spec: {
      tcp: {
        connectTimeout: "2.000000005s",
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3480,
    name: "invalid connection pool, bad max pending requests",
    spec: {
      http: {
        http1MaxPendingRequests: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3487,
    name: "invalid connection pool, bad max requests",
    spec: {
      http: {
        http2MaxRequests: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3494,
    name: "invalid connection pool, bad max requests per connection",
    spec: {
      http: {
        maxRequestsPerConnection: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3501,
    name: "invalid connection pool, bad max retries",
    spec: {
      http: {
        maxRetries: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3508,
    name: "invalid connection pool, bad idle timeout",
    spec: {
      http: {
        idleTimeout: "30.000000005s",
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3515,
    name: "valid connection pool, tcp timeout disabled",
    spec: {
      tcp: {
        idleTimeout: "0s",
      },
    },
    istio: "valid",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3522,
    name: "invalid connection pool, bad max concurrent streams",
    spec: {
      http: {
        maxConcurrentStreams: -1,
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3528,
    name: "invalid connection pool, http2 keepalive without interval",
    spec: {
      http: {
        http2KeepAlive: {
          timeout: "5s",
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3538,
    name: "invalid connection pool, http2 keepalive without timeout",
    spec: {
      http: {
        http2KeepAlive: {
          interval: "15s",
        },
      },
    },
    istio: "error",
  },
  {
    test: "TestValidateConnectionPool",
    line: 3548,
    name: "invalid connection pool, bad http2 keepalive interval",
    spec: {
      http: {
        http2KeepAlive: {
          interval: "15.000000005s",
          timeout: "5s",
        },
      },
    },
    istio: "error",
  },
];

describe("Istio's DestinationRule cases", () => {
  for (const c of cases) {
    const [expected, why] = disagreements[c.line] ?? [c.istio, ""];
    it(`${c.line} ${c.name}${why ? ` (we say ${expected}: ${why})` : ""}`, () =>
      assert.equal(verdictOf(c), expected));
  }
});
