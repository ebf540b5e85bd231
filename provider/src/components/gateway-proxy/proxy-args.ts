/**
 * The rules a GatewayProxy's inputs must meet, checked before anything is created: at
 * construction for every input already known (so `pulumi preview` fails), and for the rest once
 * they resolve. Messages follow the house style; paths are the Args property paths.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Port } from "../../istio/model";
import { FORWARD_CLIENT_CERT_DETAILS } from "../../istio/model/gateway-topology";

/** The Service types a proxy can have. */
export const ServiceType = {
  /** A cloud load balancer in front of the proxy (the default). */
  LoadBalancer: "LoadBalancer",
  /** A port on every node. */
  NodePort: "NodePort",
  /** An address inside the cluster only (behind an Ingress or another load balancer). */
  ClusterIP: "ClusterIP",
} as const;
/** One of {@link ServiceType}'s values. */
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** The inputs once resolved, with defaults applied. */
export interface ResolvedProxyArgs {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ports: Port[];
  serviceType: string;
  serviceAnnotations: Record<string, string>;
  replicas: number;
  numTrustedProxies: number;
  forwardClientCertDetails: string;
  proxyProtocol: boolean;
  image?: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
  skipAwait: boolean;
}

/** One violated rule. */
export interface ArgProblem {
  /** `ports[0].number`, `labels["istio"]`. */
  propertyPath: string;
  /** `must be an integer from 1 to 65535 (got 70000)`. */
  reason: string;
}

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const q = (v: unknown) => JSON.stringify(v);
const key = (k: string) => (IDENTIFIER.test(k) ? `.${k}` : `[${q(k)}]`);

function labelKeyProblem(k: string): string | undefined {
  const slash = k.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : k.slice(0, slash);
  const name = slash < 0 ? k : k.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `must have a DNS subdomain as its prefix (got ${q(k)})`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `must be a label name: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (got ${q(k)})`;
  }
  return undefined;
}

/** Every rule the given (possibly partial) inputs break; fields left out are not checked. */
export function proxyArgProblems(args: Partial<ResolvedProxyArgs>): ArgProblem[] {
  const problems: ArgProblem[] = [];
  const add = (propertyPath: string, reason: string) => problems.push({ propertyPath, reason });
  if (args.name !== undefined && (args.name.length > 63 || !DNS_1035.test(args.name))) {
    add(
      "name",
      `must be a DNS-1035 label: at most 63 lower-case letters, digits or "-", starting with a letter (got ${q(args.name)})`,
    );
  }
  if (args.namespace !== undefined && (args.namespace.length > 63 || !DNS_1123.test(args.namespace))) {
    add(
      "namespace",
      `must be a DNS-1123 label: at most 63 lower-case letters, digits or "-" (got ${q(args.namespace)})`,
    );
  }
  for (const [k, v] of Object.entries(args.labels ?? {})) {
    const keyProblem = labelKeyProblem(k);
    if (keyProblem !== undefined) add(`labels${key(k)}`, keyProblem);
    if (typeof v !== "string" || v.length > 63 || (v !== "" && !LABEL_NAME.test(v))) {
      add(
        `labels${key(k)}`,
        `must be a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (got ${q(v)})`,
      );
    }
  }
  (args.ports ?? []).forEach((p, i) => {
    const n = p?.number;
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      add(`ports[${i}].number`, `must be an integer from 1 to 65535 (got ${q(n)})`);
    if (typeof p?.protocol !== "string" || p.protocol === "")
      add(`ports[${i}].protocol`, `required (got ${q(p?.protocol)})`);
  });
  const types = Object.values(ServiceType) as string[];
  if (args.serviceType !== undefined && !types.includes(args.serviceType)) {
    add("serviceType", `must be one of ${types.map(q).join(", ")} (got ${q(args.serviceType)})`);
  }
  if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 0)) {
    add("replicas", `must be a non-negative integer (got ${q(args.replicas)})`);
  }
  const trusted = args.numTrustedProxies;
  if (trusted !== undefined && (!Number.isInteger(trusted) || trusted < 0 || trusted > 64)) {
    add("numTrustedProxies", `must be an integer from 0 to 64 (got ${q(trusted)})`);
  }
  const xfcc = args.forwardClientCertDetails;
  if (xfcc !== undefined && !(FORWARD_CLIENT_CERT_DETAILS as readonly unknown[]).includes(xfcc)) {
    add(
      "forwardClientCertDetails",
      `must be one of ${FORWARD_CLIENT_CERT_DETAILS.map(q).join(", ")} (got ${q(xfcc)})`,
    );
  }
  if (args.proxyProtocol !== undefined && typeof args.proxyProtocol !== "boolean") {
    add("proxyProtocol", `must be true or false (got ${q(args.proxyProtocol)})`);
  }
  if (args.image !== undefined && (typeof args.image !== "string" || args.image.trim() === "")) {
    add("image", `must be an image reference (got ${q(args.image)})`);
  }
  return problems;
}

/** Throws the problems as `pulumi.InputPropertiesError`, listed in its message too (TypeScript programs print only that). */
export function assertNoProblems(resourceName: string, problems: readonly ArgProblem[]): void {
  if (problems.length === 0) return;
  const count = problems.length === 1 ? "1 invalid property" : `${problems.length} invalid properties`;
  const lines = problems.map((p) => `  ${p.propertyPath}: ${p.reason}`);
  throw new pulumi.InputPropertiesError({
    message: [`GatewayProxy ${q(resourceName)} has ${count}:`, ...lines].join("\n"),
    errors: problems.map((p) => ({ propertyPath: p.propertyPath, reason: p.reason })),
  });
}
