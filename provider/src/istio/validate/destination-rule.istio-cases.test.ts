// Istio's own DestinationRule cases (istio/istio@86c9f01fd735, pkg/config/validation/validation_test.go,
// TestValidateDestinationRule), each Go literal marshalled with protojson, with Istio's verdict. Every case goes
// through the same path as a file would (parseResource, then validateDestinationRule); where we judge
// differently on purpose, `disagreements` says what we answer and why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseResource } from "../resource";
import type { DestinationRule } from "../model";
import { validateDestinationRule } from "./destination-rule";

type Verdict = "error" | "warning" | "clean";

interface IstioCase {
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
    spec: c.spec,
  });
  const issues = [
    ...parsed.issues,
    ...(parsed.resource ? validateDestinationRule(parsed.resource as DestinationRule) : []),
  ];
  if (issues.some((i) => i.severity === "error")) return "error";
  return issues.some((i) => i.severity === "warning") ? "warning" : "clean";
}

const cases: IstioCase[] = [
  {
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
];

describe("Istio's DestinationRule cases", () => {
  for (const c of cases) {
    const [expected, why] = disagreements[c.line] ?? [c.istio, ""];
    it(`${c.line} ${c.name}${why ? ` (we say ${expected}: ${why})` : ""}`, () =>
      assert.equal(verdictOf(c), expected));
  }
});
