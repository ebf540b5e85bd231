/**
 * The Gateways the same Pulumi program declares, as the proxy's Service ports need them: read
 * from the per-stack registry the Gateway components fill, once the rest of the program has run,
 * so the order of declaration does not matter.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GatewaySpec } from "../../istio/model";
import { declarationsOfStack } from "../declarations";
import type { SelectingGateway } from "./service-ports";

/** What the registry holds once settled. */
export interface DeclaredGateways {
  /** Every Gateway whose object is known. */
  gateways: SelectingGateway[];
  /** Gateways whose spec or metadata were still unknown (only at preview). */
  pending: number;
}

/**
 * How long an update waits for Gateways whose inputs are other resources' outputs. Bounded because
 * a Gateway whose input failed never becomes known, and the run must not hang on it.
 */
export const PENDING_GATEWAYS_TIMEOUT_MS = 5 * 60 * 1000;

/** At preview an unknown value never resolves; give the ones that will resolve a moment. */
const PREVIEW_GRACE_MS = 250;

const POLL_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the program has declared its Gateways and their objects are known (at preview: as
 * many as will be known), then returns them.
 */
export async function settledGateways(
  timeoutMs: number = pulumi.runtime.isDryRun() ? PREVIEW_GRACE_MS : PENDING_GATEWAYS_TIMEOUT_MS,
): Promise<DeclaredGateways> {
  // Components declared after this one in the same program run before this macrotask.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const declarations = declarationsOfStack();
  const deadline = Date.now() + timeoutMs;
  while (declarations.pendingGateways > 0 && Date.now() < deadline) await sleep(POLL_MS);
  const gateways = [...declarations.gateways.values()].map((d) => ({
    key: d.key,
    spec: (d.object.spec ?? {}) as GatewaySpec,
  }));
  return { gateways, pending: declarations.pendingGateways };
}
