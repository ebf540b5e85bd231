/**
 * The CustomResourceDefinitions of Istio's networking kinds, built from the zod schemas: one
 * source of shape rules for the rule engine and the API server. `z.toJSONSchema` gives JSON
 * Schema; {@link toStructuralSchema} turns it into Kubernetes' structural form (every node typed,
 * no `$ref`, no `additionalProperties` beside `properties`, loose parts kept with
 * `x-kubernetes-preserve-unknown-fields`, at-most-one groups as value-only `oneOf`s or CEL rules
 * as Istio's own CRDs have them).
 */
import { z } from "zod";
import { ISTIO_NETWORKING_GROUP } from "../model";
import { AT_MOST_ONE_KEY, atMostOneMessage } from "./at-most-one";
import type { AtMostOneGroup } from "./at-most-one";
import { destinationRuleSpecSchema } from "./destination-rule";
import { gatewaySpecSchema } from "./gateway";
import { PRESERVE_UNKNOWN_FIELDS } from "./loose";
import { KUBERNETES_VALIDATIONS } from "./scalars";
import { serviceEntrySpecSchema } from "./service-entry";
import type { JSONSchemaProps } from "./structural";
import { virtualServiceSpecSchema } from "./virtual-service";

/** The kinds that have a CustomResourceDefinition. */
export type CustomResourceKind = "Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry";

/** A printer column of a CRD version (`kubectl get` output). */
export interface CustomResourceColumnDefinition {
  /** Column header. */
  name: string;
  /** `string`, `date`, `integer`, ... */
  type: string;
  /** JSONPath into the object. */
  jsonPath: string;
  /** Help text. */
  description?: string;
}

/** One served version of a CRD. */
export interface CustomResourceDefinitionVersion {
  /** `v1`, `v1beta1`, `v1alpha3`. */
  name: string;
  /** Whether the API server serves it. */
  served: boolean;
  /** Whether objects are stored in it (exactly one version). */
  storage: boolean;
  /** The structural schema. */
  schema: { openAPIV3Schema: JSONSchemaProps };
  /** `status` is a subresource, as in Istio. */
  subresources: { status: Record<string, never> };
  /** Extra `kubectl get` columns. */
  additionalPrinterColumns?: CustomResourceColumnDefinition[];
}

/** An apiextensions.k8s.io/v1 CustomResourceDefinition, as plain data. */
export interface CustomResourceDefinition {
  /** `apiextensions.k8s.io/v1`. */
  apiVersion: "apiextensions.k8s.io/v1";
  /** `CustomResourceDefinition`. */
  kind: "CustomResourceDefinition";
  /** `<plural>.networking.istio.io`. */
  metadata: { name: string; labels?: { [key: string]: string } };
  /** Group, names, scope and versions. */
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Namespaced";
    versions: CustomResourceDefinitionVersion[];
  };
}

interface KindInfo {
  spec: z.ZodType;
  plural: string;
  shortName: string;
  description: string;
  columns: CustomResourceColumnDefinition[];
}

const ageColumn: CustomResourceColumnDefinition = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};

const kinds: Record<CustomResourceKind, KindInfo> = {
  Gateway: {
    spec: gatewaySpecSchema,
    plural: "gateways",
    shortName: "gw",
    description: "The load balancer at the edge of the mesh: ports, hosts and TLS settings.",
    columns: [],
  },
  VirtualService: {
    spec: virtualServiceSpecSchema,
    plural: "virtualservices",
    shortName: "vs",
    description: "Routing rules for a set of hosts, bound to gateways.",
    columns: [
      {
        name: "Gateways",
        type: "string",
        jsonPath: ".spec.gateways",
        description: "The gateways and sidecars these routes apply to.",
      },
      {
        name: "Hosts",
        type: "string",
        jsonPath: ".spec.hosts",
        description: "The hosts these routes serve.",
      },
      ageColumn,
    ],
  },
  DestinationRule: {
    spec: destinationRuleSpecSchema,
    plural: "destinationrules",
    shortName: "dr",
    description: "Policies applied after routing: subsets, load balancing, connection pools, upstream TLS.",
    columns: [
      {
        name: "Host",
        type: "string",
        jsonPath: ".spec.host",
        description: "The service the rule applies to.",
      },
      ageColumn,
    ],
  },
  ServiceEntry: {
    spec: serviceEntrySpecSchema,
    plural: "serviceentries",
    shortName: "se",
    description: "A service added to the mesh's registry by hand: hosts, ports and endpoints.",
    columns: [
      { name: "Hosts", type: "string", jsonPath: ".spec.hosts", description: "The hosts of the service." },
      {
        name: "Location",
        type: "string",
        jsonPath: ".spec.location",
        description: "Whether the service is outside the mesh or part of it.",
      },
      {
        name: "Resolution",
        type: "string",
        jsonPath: ".spec.resolution",
        description: "How the endpoints are found (NONE, STATIC, DNS, ...).",
      },
      ageColumn,
    ],
  },
};

/** Every kind with a CRD, in a stable order. */
export const CUSTOM_RESOURCE_KINDS: readonly CustomResourceKind[] = [
  "Gateway",
  "VirtualService",
  "DestinationRule",
  "ServiceEntry",
];

/** The served versions: `v1` stored, the older names served with the same schema (as Istio). */
const VERSIONS: ReadonlyArray<{ name: string; storage: boolean }> = [
  { name: "v1", storage: true },
  { name: "v1beta1", storage: false },
  { name: "v1alpha3", storage: false },
];

type JSONNode = Record<string, unknown>;

function exclusiveOneOf(fields: readonly string[]): JSONSchemaProps[] {
  // "none of them, or exactly one": Istio's own encoding of a protobuf oneof. Only value checks
  // (`required`), so it is allowed inside a structural schema.
  const each = fields.map((f) => ({ required: [f] }));
  return [{ not: { anyOf: each } }, ...each];
}

function celAtMostOne(fields: readonly string[]): { rule: string; message: string } {
  return {
    rule: `${fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(" + ")} <= 1`,
    message: atMostOneMessage(fields),
  };
}

/**
 * Converts one node of zod's JSON Schema (OpenAPI 3.0 target) to Kubernetes' structural form.
 * Throws on what cannot be expressed (a `$ref`, an untyped node): a schema change that needs a
 * decision, caught by the tests rather than by the API server.
 */
export function toStructuralSchema(node: JSONNode, path = "spec"): JSONSchemaProps {
  if ("$ref" in node || "$defs" in node || "definitions" in node) {
    throw new Error(`${path}: references cannot be expressed in a structural schema`);
  }
  const type = node.type;
  if (typeof type !== "string") throw new Error(`${path}: every node needs a single type`);
  const out: JSONSchemaProps = { type };
  if (typeof node.description === "string") out.description = node.description;
  if (typeof node.format === "string") out.format = node.format;
  for (const key of ["minimum", "maximum", "minItems", "maxItems"] as const) {
    if (typeof node[key] === "number") out[key] = node[key] as number;
  }
  if (Array.isArray(node.enum)) out.enum = [...(node.enum as unknown[])];
  if ("const" in node) out.enum = [node.const];
  if (type === "array") {
    if (typeof node.items !== "object" || node.items === null || Array.isArray(node.items)) {
      throw new Error(`${path}: an array needs one item schema`);
    }
    out.items = toStructuralSchema(node.items as JSONNode, `${path}[]`);
  }
  if (type === "object") {
    const properties = node.properties as Record<string, JSONNode> | undefined;
    const additional = node.additionalProperties;
    let preserve = node[PRESERVE_UNKNOWN_FIELDS] === true;
    if (properties !== undefined) {
      out.properties = {};
      for (const [name, child] of Object.entries(properties)) {
        out.properties[name] = toStructuralSchema(child, `${path}.${name}`);
      }
      if (Array.isArray(node.required) && node.required.length > 0)
        out.required = [...(node.required as string[])];
      // additionalProperties: false is how JSON Schema says "strict"; Kubernetes prunes unknown
      // fields instead (and kubectl's strict field validation reports them), so it is dropped.
      if (typeof additional === "object" && additional !== null && Object.keys(additional).length === 0) {
        preserve = true;
      }
    } else if (typeof additional === "object" && additional !== null) {
      out.additionalProperties = toStructuralSchema(additional as JSONNode, `${path}{}`);
    } else {
      preserve = true;
    }
    if (preserve) out[PRESERVE_UNKNOWN_FIELDS] = true;
  }
  const groups = node[AT_MOST_ONE_KEY] as readonly AtMostOneGroup[] | undefined;
  if (groups !== undefined) {
    const oneOfs = groups.filter((g) => g.form === "oneOf").map((g) => exclusiveOneOf(g.fields));
    if (oneOfs.length === 1) out.oneOf = oneOfs[0];
    else if (oneOfs.length > 1) out.allOf = oneOfs.map((oneOf) => ({ oneOf }));
    const cel = groups.filter((g) => g.form === "cel").map((g) => celAtMostOne(g.fields));
    if (cel.length > 0) out["x-kubernetes-validations"] = cel;
  }
  const rules = node[KUBERNETES_VALIDATIONS];
  if (Array.isArray(rules) && rules.length > 0) {
    out[KUBERNETES_VALIDATIONS] = [
      ...(out[KUBERNETES_VALIDATIONS] ?? []),
      ...(rules as Array<{ rule: string; message: string }>),
    ];
  }
  return out;
}

/** The `openAPIV3Schema` of a kind: its spec from the zod schema, and an open `status`. */
export function buildOpenAPIV3Schema(kind: CustomResourceKind): JSONSchemaProps {
  const info = kinds[kind];
  const spec = toStructuralSchema(
    z.toJSONSchema(info.spec, { target: "openapi-3.0", io: "input" }) as JSONNode,
  );
  spec.description = info.description;
  return {
    type: "object",
    properties: {
      spec,
      status: { type: "object", [PRESERVE_UNKNOWN_FIELDS]: true },
    },
    required: ["spec"],
  };
}

/** The CustomResourceDefinition of one kind (`gateways.networking.istio.io`, ...). */
export function buildCustomResourceDefinition(kind: CustomResourceKind): CustomResourceDefinition {
  const info = kinds[kind];
  const openAPIV3Schema = buildOpenAPIV3Schema(kind);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${info.plural}.${ISTIO_NETWORKING_GROUP}`, labels: { app: "istio-gateway" } },
    spec: {
      group: ISTIO_NETWORKING_GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: info.plural,
        singular: kind.toLowerCase(),
        shortNames: [info.shortName],
        categories: ["istio-io", "networking-istio-io"],
      },
      scope: "Namespaced",
      versions: VERSIONS.map(({ name, storage }) => {
        const version: CustomResourceDefinitionVersion = {
          name,
          served: true,
          storage,
          // Each version gets its own copy: callers may mutate one without touching the others.
          schema: { openAPIV3Schema: structuredClone(openAPIV3Schema) },
          subresources: { status: {} },
        };
        if (info.columns.length > 0) version.additionalPrinterColumns = info.columns.map((c) => ({ ...c }));
        return version;
      }),
    },
  };
}

/** The CustomResourceDefinitions of every kind, in {@link CUSTOM_RESOURCE_KINDS} order. */
export function buildCustomResourceDefinitions(): CustomResourceDefinition[] {
  return CUSTOM_RESOURCE_KINDS.map((kind) => buildCustomResourceDefinition(kind));
}
