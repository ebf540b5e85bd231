// Istio's own ServiceEntry cases (istio/istio@86c9f01fd735, pkg/config/validation/validation_test.go,
// TestValidateServiceEntries), each Go literal marshalled with protojson, with Istio's verdict. Every case goes
// through the same path as a file would (parseResource, then validateServiceEntry); where we judge
// differently on purpose, `disagreements` says what we answer and why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseResource } from "../resource";
import type { ServiceEntry } from "../model";
import { validateServiceEntry } from "./service-entry";

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
const disagreements: Record<number, [Verdict, string]> = {
  4136: [
    "warning",
    "a STATIC entry with no endpoints and no workloadSelector gives the gateway nothing to send to (IGW5128, strict)",
  ],
};

function verdictOf(c: IstioCase): Verdict {
  const parsed = parseResource({
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: { name: "some-name", namespace: "someNamespace", ...(c.labels ? { labels: c.labels } : {}) },
    spec: c.spec,
  });
  const issues = [
    ...parsed.issues,
    ...(parsed.resource ? validateServiceEntry(parsed.resource as ServiceEntry) : []),
  ];
  if (issues.some((i) => i.severity === "error")) return "error";
  return issues.some((i) => i.severity === "warning") ? "warning" : "clean";
}

const cases: IstioCase[] = [
  {
    line: 3804,
    name: "discovery type DNS",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3819,
    name: "discovery type DNS Round Robin",
    spec: {
      hosts: ["*.istio.io"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS_ROUND_ROBIN",
      endpoints: [
        {
          address: "api-v1.istio.io",
          ports: {
            "http-valid1": 8080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3833,
    name: "discovery type DNS, label tlsMode: istio",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
          labels: {
            "security.istio.io/tlsMode": "istio",
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
          labels: {
            "security.istio.io/tlsMode": "istio",
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3848,
    name: "discovery type DNS, one host set with IP address and https port",
    spec: {
      hosts: ["httpbin.org"],
      addresses: ["10.10.10.10"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
        {
          number: 443,
          protocol: "https",
          name: "https",
        },
      ],
      resolution: "DNS",
    },
    istio: "clean",
  },
  {
    line: 3863,
    name: "discovery type DNS, multi hosts set with IP address and https port",
    spec: {
      hosts: ["httpbin.org", "wikipedia.org"],
      addresses: ["10.10.10.10"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
        {
          number: 443,
          protocol: "https",
          name: "https",
        },
      ],
      resolution: "DNS",
    },
    istio: "warning",
  },
  {
    line: 3878,
    name: "discovery type DNS, IP address set",
    spec: {
      hosts: ["*.google.com"],
      addresses: ["10.10.10.10"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3896,
    name: "discovery type DNS, IP in endpoints",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3911,
    name: "discovery type DYNAMIC_DNS",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "clean",
  },
  {
    line: 3922,
    name: "empty hosts",
    spec: {
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 3934,
    name: "bad hosts",
    spec: {
      hosts: ["-"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 3947,
    name: "full wildcard host",
    spec: {
      hosts: ["foo.com", "*"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "in.google.com",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 3960,
    name: "short name host",
    spec: {
      hosts: ["foo", "bar.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "in.google.com",
          ports: {
            "http-valid1": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 3973,
    name: "undefined endpoint port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 80,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-dne": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 3989,
    name: "discovery type DNS, non-FQDN endpoint",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "*.lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "in.google.com",
          ports: {
            "http-dne": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4005,
    name: "discovery type DNS, non-FQDN host",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
    },
    istio: "error",
  },
  {
    line: 4018,
    name: "discovery type DNS, no endpoints",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DNS",
    },
    istio: "clean",
  },
  {
    line: 4031,
    name: "discovery type DNS, unix endpoint",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      endpoints: [
        {
          address: "unix:///lon/google/com",
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4045,
    name: "discovery type none",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4057,
    name: "discovery type none, endpoints provided",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      endpoints: [
        {
          address: "lon.google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4072,
    name: "discovery type none, cidr addresses",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16/16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4085,
    name: "discovery type static, cidr addresses with endpoints",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16/16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "2.2.2.2",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4102,
    name: "discovery type static",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "2.2.2.2",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4119,
    name: "discovery type static, FQDN in endpoints",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "google.com",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "2.2.2.2",
          ports: {
            "http-valid2": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4136,
    name: "discovery type static, missing endpoints",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "STATIC",
    },
    istio: "clean",
  },
  {
    line: 4149,
    name: "discovery type static, bad endpoint port name",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 8080,
          },
        },
        {
          address: "2.2.2.2",
          ports: {
            "http-dne": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4166,
    name: "discovery type none, conflicting port names",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-conflict",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-conflict",
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4178,
    name: "discovery type none, conflicting port numbers",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-conflict1",
        },
        {
          number: 80,
          protocol: "http",
          name: "http-conflict2",
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4190,
    name: "unix socket",
    spec: {
      hosts: ["uds.cluster.local"],
      ports: [
        {
          number: 6553,
          protocol: "grpc",
          name: "grpc-service1",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "unix:///path/to/socket",
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4204,
    name: "unix socket, relative path",
    spec: {
      hosts: ["uds.cluster.local"],
      ports: [
        {
          number: 6553,
          protocol: "grpc",
          name: "grpc-service1",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "unix://./relative/path.sock",
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4218,
    name: "unix socket, endpoint ports",
    spec: {
      hosts: ["uds.cluster.local"],
      ports: [
        {
          number: 6553,
          protocol: "grpc",
          name: "grpc-service1",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "unix:///path/to/socket",
          ports: {
            "grpc-service1": 6553,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4231,
    name: "unix socket, multiple service ports",
    spec: {
      hosts: ["uds.cluster.local"],
      ports: [
        {
          number: 6553,
          protocol: "grpc",
          name: "grpc-service1",
        },
        {
          number: 80,
          protocol: "http",
          name: "http-service2",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "unix:///path/to/socket",
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4245,
    name: "empty protocol",
    spec: {
      hosts: ["google.com"],
      addresses: ["172.1.2.16/16"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          name: "http-valid2",
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4257,
    name: "selector",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      workloadSelector: {
        labels: {
          foo: "bar",
        },
      },
    },
    istio: "warning",
  },
  {
    line: 4268,
    name: "workload selector without labels",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      workloadSelector: {},
    },
    istio: "warning",
  },
  {
    line: 4281,
    name: "selector and endpoints",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      endpoints: [
        {
          address: "1.1.1.1",
        },
      ],
      workloadSelector: {
        labels: {
          foo: "bar",
        },
      },
    },
    istio: "error",
  },
  {
    line: 4295,
    name: "selector and resolution NONE",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      workloadSelector: {
        labels: {
          foo: "bar",
        },
      },
    },
    istio: "warning",
  },
  {
    line: 4307,
    name: "selector and resolution DNS",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS",
      workloadSelector: {
        labels: {
          foo: "bar",
        },
      },
    },
    istio: "clean",
  },
  {
    line: 4319,
    name: "bad selector key",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      workloadSelector: {
        labels: {
          "": "bar",
        },
      },
    },
    istio: "error",
  },
  {
    line: 4329,
    name: "repeat target port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 80,
        },
        {
          number: 81,
          protocol: "http",
          name: "http-valid2",
          targetPort: 80,
        },
      ],
      resolution: "DNS",
    },
    istio: "clean",
  },
  {
    line: 4340,
    name: "valid target port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 81,
        },
      ],
      resolution: "DNS",
    },
    istio: "clean",
  },
  {
    line: 4350,
    name: "invalid target port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 65536,
        },
      ],
      resolution: "DNS",
    },
    istio: "error",
  },
  {
    line: 4360,
    name: "warn target port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 1234,
        },
      ],
      workloadSelector: {
        labels: {
          key: "bar",
        },
      },
    },
    istio: "warning",
  },
  {
    line: 4371,
    name: "valid endpoint port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 81,
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 8081,
          },
        },
      ],
    },
    istio: "clean",
  },
  {
    line: 4389,
    name: "invalid endpoint port",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
          targetPort: 81,
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          address: "1.1.1.1",
          ports: {
            "http-valid1": 65536,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4407,
    name: "protocol unset for addresses empty",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          name: "http-valid2",
        },
      ],
    },
    istio: "warning",
  },
  {
    line: 4420,
    name: "protocol is TCP for addresses empty",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 81,
          protocol: "TCP",
          name: "tcp-valid1",
        },
      ],
    },
    istio: "warning",
  },
  {
    line: 4433,
    name: "dns round robin with more than one endpoint",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 8081,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS_ROUND_ROBIN",
      endpoints: [
        {
          address: "api-v1.istio.io",
          ports: {
            "http-valid1": 8081,
          },
        },
        {
          address: "1.1.1.2",
          ports: {
            "http-valid1": 8081,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4459,
    name: "dns round robin with 0 endpoints",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 8081,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DNS_ROUND_ROBIN",
    },
    istio: "clean",
  },
  {
    line: 4472,
    name: "partial wildcard hosts",
    spec: {
      hosts: ["*.nytimes.com", "*washingtonpost.com"],
      ports: [
        {
          number: 443,
          protocol: "HTTPS",
          name: "https-nytimes",
        },
      ],
    },
    istio: "warning",
  },
  {
    line: 4485,
    name: "network set with no address on endpoint",
    spec: {
      hosts: ["www.example.com"],
      ports: [
        {
          number: 443,
          protocol: "HTTPS",
          name: "https-example",
        },
      ],
      resolution: "STATIC",
      endpoints: [
        {
          network: "cluster-1",
        },
      ],
    },
    istio: "warning",
  },
  {
    line: 4500,
    name: "discovery type DYNAMIC_DNS, unsupported TCP protocol",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 81,
          protocol: "TCP",
          name: "tcp-valid1",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
  },
  {
    line: 4512,
    name: "discovery type DYNAMIC_DNS, GRPC protocol",
    spec: {
      hosts: ["*.svc.cluster.local"],
      ports: [
        {
          number: 9090,
          protocol: "GRPC",
          name: "grpc",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "clean",
  },
  {
    line: 4523,
    name: "discovery type DYNAMIC_DNS, FQDN host",
    spec: {
      hosts: ["google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
  },
  {
    line: 4534,
    name: "discovery type DYNAMIC_DNS, endpoints set",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DYNAMIC_DNS",
      endpoints: [
        {
          address: "in.google.com",
          ports: {
            "http-valid1": 9080,
          },
        },
      ],
    },
    istio: "error",
  },
  {
    line: 4548,
    name: "discovery type DYNAMIC_DNS, IP address set",
    spec: {
      hosts: ["*.google.com"],
      addresses: ["10.10.10.10"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
        {
          number: 8080,
          protocol: "http",
          name: "http-valid2",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
  },
  {
    line: 4561,
    name: "discovery type DYNAMIC_DNS, empty hosts",
    spec: {
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
  },
  {
    line: 4573,
    name: "discovery type DYNAMIC_DNS, multiple wildcarded hosts",
    spec: {
      hosts: ["*.google.com", "*.amazon.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      resolution: "DYNAMIC_DNS",
    },
    istio: "clean",
  },
  {
    line: 4585,
    name: "discovery type DYNAMIC_DNS, internal mesh location",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      location: "MESH_INTERNAL",
      resolution: "DYNAMIC_DNS",
    },
    istio: "clean",
  },
  {
    line: 4598,
    name: "discovery type DYNAMIC_DNS, MESH_INTERNAL with waypoint (invalid)",
    spec: {
      hosts: ["*.google.com"],
      ports: [
        {
          number: 80,
          protocol: "http",
          name: "http-valid1",
        },
      ],
      location: "MESH_INTERNAL",
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
    labels: {
      "istio.io/use-waypoint": "my-waypoint",
    },
  },
  {
    line: 4612,
    name: "discovery type DYNAMIC_DNS, nil port",
    spec: {
      hosts: ["*.google.com"],
      ports: [{}],
      resolution: "DYNAMIC_DNS",
    },
    istio: "error",
  },
  {
    line: 4624,
    name: "nil port in ports array",
    spec: {
      hosts: ["google.com"],
      ports: [{}],
    },
    istio: "error",
  },
  {
    line: 4635,
    name: "discovery type DNS with addresses, nil port",
    spec: {
      hosts: ["google.com"],
      addresses: ["1.2.3.4"],
      ports: [{}],
      resolution: "DNS",
    },
    istio: "error",
  },
];

describe("Istio's ServiceEntry cases", () => {
  for (const c of cases) {
    const [expected, why] = disagreements[c.line] ?? [c.istio, ""];
    it(`${c.line} ${c.name}${why ? ` (we say ${expected}: ${why})` : ""}`, () =>
      assert.equal(verdictOf(c), expected));
  }
});
