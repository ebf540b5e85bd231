import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildCustomResourceDefinition,
  buildCustomResourceDefinitions,
  structuralSchemaErrors,
  toStructuralSchema,
  type JSONSchemaProps,
} from ".";
import { fullDestinationRule, fullGateway, fullServiceEntry, fullVirtualService } from "./samples.fixture";

/**
 * A small OpenAPI v3 validator for what the generated schemas use (types, properties, required,
 * items, maps, enums, bounds, item counts, allOf/anyOf/oneOf/not), with the API server's pruning:
 * unknown fields are dropped, not errors. CEL rules are checked separately, by their text.
 */
function validate(schema: JSONSchemaProps, value: unknown, path = ""): string[] {
  const errors: string[] = [];
  const t = schema.type;
  if (t !== undefined && !hasType(value, t)) return [`${path}: expected ${t}`];
  if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above maximum`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${path}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${path}: too many items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(schema.items!, v, `${path}[${i}]`)));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const child = schema.properties?.[k] ?? schema.additionalProperties;
      if (child !== undefined) errors.push(...validate(child, v, `${path}.${k}`));
    }
  }
  if (schema.oneOf && schema.oneOf.filter((s) => validate(s, value, path).length === 0).length !== 1) {
    errors.push(`${path}: oneOf`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, path).length === 0))
    errors.push(`${path}: anyOf`);
  for (const s of schema.allOf ?? []) errors.push(...validate(s, value, path));
  if (schema.not && validate(schema.not, value, path).length === 0) errors.push(`${path}: not`);
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    default:
      return typeof value === type;
  }
}

const crds = buildCustomResourceDefinitions();
const schemaOf = (kind: string): JSONSchemaProps =>
  crds.find((c) => c.spec.names.kind === kind)!.spec.versions[0].schema.openAPIV3Schema;

describe("buildCustomResourceDefinition", () => {
  it("builds the four kinds with Istio's names, versions and columns", () => {
    assert.deepEqual(
      crds.map((c) => [c.metadata.name, c.spec.group, c.spec.scope, c.spec.names]),
      [
        [
          "gateways.networking.istio.io",
          "networking.istio.io",
          "Namespaced",
          names("Gateway", "gateways", "gw"),
        ],
        [
          "virtualservices.networking.istio.io",
          "networking.istio.io",
          "Namespaced",
          names("VirtualService", "virtualservices", "vs"),
        ],
        [
          "destinationrules.networking.istio.io",
          "networking.istio.io",
          "Namespaced",
          names("DestinationRule", "destinationrules", "dr"),
        ],
        [
          "serviceentries.networking.istio.io",
          "networking.istio.io",
          "Namespaced",
          names("ServiceEntry", "serviceentries", "se"),
        ],
      ],
    );
    for (const crd of crds) {
      assert.deepEqual(
        crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources]),
        [
          ["v1", true, true, { status: {} }],
          ["v1beta1", true, false, { status: {} }],
          ["v1alpha3", true, false, { status: {} }],
        ],
      );
      const [v1, ...older] = crd.spec.versions;
      for (const v of older) assert.deepEqual(v.schema, v1.schema);
      assert.notEqual(older[0].schema, v1.schema);
    }
    const columns = (kind: string) =>
      buildCustomResourceDefinition(kind as "Gateway").spec.versions[0].additionalPrinterColumns?.map((c) => [
        c.name,
        c.type,
        c.jsonPath,
      ]);
    assert.equal(columns("Gateway"), undefined);
    assert.deepEqual(columns("VirtualService"), [
      ["Gateways", "string", ".spec.gateways"],
      ["Hosts", "string", ".spec.hosts"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
    assert.deepEqual(columns("DestinationRule"), [
      ["Host", "string", ".spec.host"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
    assert.deepEqual(columns("ServiceEntry"), [
      ["Hosts", "string", ".spec.hosts"],
      ["Location", "string", ".spec.location"],
      ["Resolution", "string", ".spec.resolution"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
  });

  it("produces structural schemas", () => {
    for (const crd of crds) {
      for (const v of crd.spec.versions)
        assert.deepEqual(structuralSchemaErrors(v.schema.openAPIV3Schema), []);
      assert.equal(JSON.stringify(crd).includes("$ref"), false);
      assert.equal(JSON.stringify(crd).includes("x-istio-gateway"), false);
    }
  });

  it("encodes the CRD rules as Istio's schema does", () => {
    const gwSpec = schemaOf("Gateway").properties!.spec;
    const server = gwSpec.properties!.servers.items!;
    assert.deepEqual(server.required, ["port", "hosts"]);
    assert.deepEqual(server.properties!.port, {
      type: "object",
      properties: {
        number: { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 },
        protocol: { type: "string" },
        name: { type: "string" },
        targetPort: { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 },
      },
      required: ["number", "protocol", "name"],
    });
    const tls = server.properties!.tls;
    assert.deepEqual(tls["x-kubernetes-validations"], [
      {
        rule: "(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1",
        message: "only one of credentialNames or tlsCertificates may be set",
      },
      {
        rule: "(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1",
        message: "only one of credentialName or credentialNames may be set",
      },
    ]);
    assert.deepEqual(gwSpec.properties!.selector, {
      type: "object",
      additionalProperties: { type: "string" },
    });
    const match =
      schemaOf("VirtualService").properties!.spec.properties!.http.items!.properties!.match.items!;
    assert.deepEqual(match.properties!.headers.additionalProperties!.oneOf, [
      { not: { anyOf: [{ required: ["exact"] }, { required: ["prefix"] }, { required: ["regex"] }] } },
      { required: ["exact"] },
      { required: ["prefix"] },
      { required: ["regex"] },
    ]);
    assert.deepEqual(schemaOf("VirtualService").properties!.status, {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    const httpRoute = schemaOf("VirtualService").properties!.spec.properties!.http.items!;
    const durationRule = [
      { rule: "duration(self) >= duration('1ms')", message: "must be a valid duration greater than 1ms" },
    ];
    assert.deepEqual(httpRoute.properties!.timeout, {
      type: "string",
      "x-kubernetes-validations": durationRule,
    });
    assert.deepEqual(httpRoute.properties!.directResponse.properties!.body.properties!.bytes, {
      type: "string",
      format: "byte",
    });
    const dr = schemaOf("DestinationRule").properties!.spec;
    assert.deepEqual(
      dr.properties!.trafficPolicy.properties!.connectionPool.properties!.tcp.properties!.connectTimeout,
      { type: "string", "x-kubernetes-validations": durationRule },
    );
    const se = schemaOf("ServiceEntry").properties!.spec.properties!;
    assert.deepEqual(
      [se.hosts.minItems, se.hosts.maxItems, se.addresses.maxItems, se.ports.maxItems, se.endpoints.maxItems],
      [1, 256, 256, 256, 4096],
    );
    assert.equal(dr["x-kubernetes-preserve-unknown-fields"], true);
    assert.equal(dr.properties!.trafficPolicy["x-kubernetes-preserve-unknown-fields"], true);
    assert.equal(schemaOf("Gateway").properties!.spec["x-kubernetes-preserve-unknown-fields"], undefined);
  });

  const samples: Array<[string, unknown]> = [
    ["Gateway", fullGateway],
    ["VirtualService", fullVirtualService],
    ["DestinationRule", fullDestinationRule],
    ["ServiceEntry", fullServiceEntry],
  ];
  for (const [kind, sample] of samples) {
    it(`accepts a full ${kind}`, () => {
      const { spec } = sample as { spec: unknown };
      assert.deepEqual(validate(schemaOf(kind), { spec }), []);
    });
  }

  const rejected: Array<[string, string, unknown, string[]]> = [
    [
      "Gateway",
      "a negative port",
      { servers: [{ port: { number: -1, protocol: "HTTP", name: "a" }, hosts: [] }] },
      [".spec.servers[0].port.number: below minimum"],
    ],
    [
      "Gateway",
      "no hosts",
      { servers: [{ port: { number: 1, protocol: "HTTP", name: "a" } }] },
      [".spec.servers[0].hosts: required"],
    ],
    [
      "Gateway",
      "a bad mode",
      { servers: [{ port: { number: 1, protocol: "HTTP", name: "a" }, hosts: [], tls: { mode: "FOO" } }] },
      [".spec.servers[0].tls.mode: not in enum"],
    ],
    [
      "Gateway",
      "three credentials",
      {
        servers: [
          {
            port: { number: 1, protocol: "HTTP", name: "a" },
            hosts: [],
            tls: { credentialNames: ["a", "b", "c"] },
          },
        ],
      },
      [".spec.servers[0].tls.credentialNames: too many items"],
    ],
    [
      "VirtualService",
      "exact and prefix",
      { http: [{ match: [{ uri: { exact: "a", prefix: "b" } }] }] },
      [".spec.http[0].match[0].uri: oneOf"],
    ],
    [
      "VirtualService",
      "a header with exact and regex",
      { http: [{ match: [{ headers: { a: { exact: "a", regex: "b" } } }] }] },
      [".spec.http[0].match[0].headers.a: oneOf"],
    ],
    [
      "VirtualService",
      "port and derivePort",
      { http: [{ redirect: { port: 1, derivePort: "FROM_REQUEST_PORT" } }] },
      [".spec.http[0].redirect: oneOf"],
    ],
    [
      "VirtualService",
      "a fractional weight",
      { http: [{ route: [{ destination: { host: "a" }, weight: 0.5 }] }] },
      [".spec.http[0].route[0].weight: expected integer"],
    ],
    [
      "VirtualService",
      "no status",
      { http: [{ directResponse: {} }] },
      [".spec.http[0].directResponse.status: required"],
    ],
    ["DestinationRule", "no host", { subsets: [] }, [".spec.host: required"]],
    [
      "ServiceEntry",
      "a bad resolution",
      { hosts: ["a"], resolution: "X" },
      [".spec.resolution: not in enum"],
    ],
  ];
  for (const [kind, name, spec, expected] of rejected) {
    it(`rejects a ${kind} with ${name}`, () =>
      assert.deepEqual(validate(schemaOf(kind), { spec }), expected));
  }

  it("lets the API server prune unknown fields (strictness is kubectl's and ours)", () => {
    assert.deepEqual(validate(schemaOf("Gateway"), { spec: { servers: [], bogus: 1 } }), []);
  });
});

function names(kind: string, plural: string, shortName: string) {
  return {
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [shortName],
    categories: ["istio-io", "networking-istio-io"],
  };
}

describe("toStructuralSchema", () => {
  it("refuses what a structural schema cannot say", () => {
    assert.throws(() => toStructuralSchema({ $ref: "#/$defs/a" }), /spec: references cannot be expressed/);
    assert.throws(
      () => toStructuralSchema({ anyOf: [{ type: "string" }, { type: "number" }] }),
      /spec: every node needs a single type/,
    );
    assert.throws(
      () => toStructuralSchema({ type: "object", properties: { a: { type: "array", items: [] } } }),
      /spec.a: an array needs one item schema/,
    );
  });

  it("turns const into enum and open maps into preserved objects", () => {
    assert.deepEqual(toStructuralSchema({ type: "string", const: "Gateway" }), {
      type: "string",
      enum: ["Gateway"],
    });
    assert.deepEqual(toStructuralSchema({ type: "object" }), {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });
});

describe("structuralSchemaErrors", () => {
  const table: Array<[string, unknown, string[]]> = [
    [
      "an untyped node",
      { type: "object", properties: { a: {} } },
      ["openAPIV3Schema.properties.a.type: must be set (every node is typed)"],
    ],
    [
      "properties beside additionalProperties",
      { type: "object", properties: { a: { type: "string" } }, additionalProperties: { type: "string" } },
      ["openAPIV3Schema: properties and additionalProperties are mutually exclusive"],
    ],
    [
      "additionalProperties false",
      { type: "object", additionalProperties: false },
      ["openAPIV3Schema.additionalProperties: must be a schema, not a boolean"],
    ],
    [
      "a reference",
      { type: "object", $ref: "#/x" },
      ["openAPIV3Schema.$ref: not a Kubernetes JSONSchemaProps field"],
    ],
    [
      "a type inside oneOf",
      { type: "object", properties: { a: { type: "string" } }, oneOf: [{ type: "object", required: ["a"] }] },
      ["openAPIV3Schema.oneOf[0].type: not allowed inside a value validation"],
    ],
    [
      "a value validation naming an unknown field",
      { type: "object", properties: { a: { type: "string" } }, not: { required: ["b"] } },
      ['openAPIV3Schema.not.required: "b" is not a property of the structural schema'],
    ],
    [
      "an array without items",
      { type: "object", properties: { a: { type: "array" } } },
      ["openAPIV3Schema.properties.a.items: must be set for arrays"],
    ],
    [
      "an enum of the wrong type",
      { type: "object", properties: { a: { type: "integer", enum: ["1"] } } },
      ['openAPIV3Schema.properties.a.enum: "1" does not match type integer'],
    ],
    ["a non-object root", { type: "string" }, ["openAPIV3Schema.type: must be object at the root"]],
    [
      "preserve-unknown-fields false",
      { type: "object", "x-kubernetes-preserve-unknown-fields": false },
      ["openAPIV3Schema.x-kubernetes-preserve-unknown-fields: must be true when set"],
    ],
  ];
  for (const [name, schema, expected] of table) {
    it(`reports ${name}`, () =>
      assert.deepEqual(structuralSchemaErrors(schema as JSONSchemaProps), expected));
  }
});
