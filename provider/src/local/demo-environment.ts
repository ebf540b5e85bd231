/**
 * Everything `istio-gateway demo` runs besides the gateway itself: the local control plane, a
 * throwaway CA and bookinfo.com certificate, `pulumi up` of the root program (the Bookinfo example)
 * against that control plane, and stand-in backends for productpage and reviews. The proxy is
 * started by the command, which owns the runtime; this module imports none of it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCustomResourceDefinition, CUSTOM_RESOURCE_KINDS } from "../istio/schema/crd";
import { makeCertificateAuthority, makeServerCertificate } from "./certificates";
import { startControlPlane, waitForEstablished, type ControlPlane } from "./control-plane";
import { PulumiCli, type ConfigEntry } from "./pulumi-cli";
import { startStandInBackend, type StandInBackend } from "./stand-in-backend";
import type { Toolchain } from "./toolchain";

/** The host the Bookinfo Gateway serves (HTTPS, port 443, certificate in Secret `bookinfo-secret`). */
export const BOOKINFO_HOST = "bookinfo.com";

/** The services the Bookinfo VirtualService routes to, with the version each stand-in reports. */
export const BOOKINFO_SERVICES: readonly { service: string; version: string }[] = [
  { service: "productpage", version: "v1" },
  { service: "reviews", version: "v1" },
];

/** Options for {@link startDemoEnvironment}. */
export interface DemoEnvironmentOptions {
  /** The toolchain (all of it must be present). */
  readonly tools: Toolchain;
  /** The directory of the root Pulumi program. */
  readonly projectDir: string;
  /** Aborting stops whatever step is running; the start then rejects after removing what it made. */
  readonly signal?: AbortSignal;
  /** Called as each step finishes, with what it made and how long it took. */
  readonly progress?: (step: string, elapsedMs: number) => void;
}

/** A running demo environment; {@link DemoEnvironment.stop} ends it and removes its files. */
export interface DemoEnvironment {
  /** The temporary directory holding everything (control plane, certificates, Pulumi state). */
  readonly dir: string;
  /** The control plane the stack was deployed to. */
  readonly controlPlane: ControlPlane;
  /** The CA certificate file clients trust to reach bookinfo.com. */
  readonly caCertPath: string;
  /** The stand-in backends, one per service of {@link BOOKINFO_SERVICES}. */
  readonly backends: readonly StandInBackend[];
  /** The Pulumi stack's name. */
  readonly stack: string;
  /** Stops the backends and the control plane and removes the directory. */
  stop(): Promise<void>;
}

/**
 * The root program's configuration for a control plane without nodes: install the CRDs, create
 * istio-system, do not wait for pods that never run, a ClusterIP Service (there is no load
 * balancer), and the bookinfo.com certificate and key for Secret `bookinfo-secret`, as secrets.
 */
export function bookinfoConfig(tlsCertificate: string, tlsPrivateKey: string): ConfigEntry[] {
  return [
    { key: "installCrds", value: "true" },
    { key: "createNamespace", value: "true" },
    { key: "skipAwait", value: "true" },
    { key: "serviceType", value: "ClusterIP" },
    { key: "tlsCertificate", value: tlsCertificate, secret: true },
    { key: "tlsPrivateKey", value: tlsPrivateKey, secret: true },
  ];
}

/** How many resources `pulumi up` reports as created, from its summary (`+ 12 created`). */
export function createdCount(upOutput: string): number | undefined {
  const m = /^\s*\+\s*(\d+) created\b/m.exec(upOutput);
  return m ? Number(m[1]) : undefined;
}

/**
 * Applies the definitions of the kinds the gateway watches that the control plane does not serve
 * yet. The root program installs Gateway and VirtualService (what it creates); the gateway also
 * reads DestinationRules and ServiceEntries (a kind not served counts as empty), and with their
 * definitions in place they can be applied with kubectl while the demo runs, as on a cluster with
 * Istio's CRDs. Resolves with the kinds applied.
 */
export async function applyMissingDefinitions(controlPlane: ControlPlane): Promise<string[]> {
  const served = new Set(
    (await controlPlane.kubectl(["get", "customresourcedefinitions", "-o", "name"]))
      .split("\n")
      .map((line) => line.trim().replace(/^customresourcedefinition\.apiextensions\.k8s\.io\//, "")),
  );
  const missing = CUSTOM_RESOURCE_KINDS.map(buildCustomResourceDefinition).filter(
    (d) => !served.has(d.metadata.name),
  );
  if (missing.length === 0) return [];
  await controlPlane.kubectl(["apply", "-f", "-"], missing.map((d) => JSON.stringify(d)).join("\n"));
  await waitForEstablished(
    (args) => controlPlane.kubectl(args),
    missing.map((d) => `customresourcedefinition/${d.metadata.name}`),
  );
  return missing.map((d) => d.spec.names.kind);
}

/** Times `step` and reports it through `progress`. */
async function timed<T>(
  progress: DemoEnvironmentOptions["progress"],
  step: () => Promise<T>,
  describe: (result: T) => string,
): Promise<T> {
  const start = performance.now();
  const result = await step();
  progress?.(describe(result), performance.now() - start);
  return result;
}

/** Starts the control plane, deploys the root program to it, and starts the stand-in backends. */
export async function startDemoEnvironment(options: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const { tools, signal, progress } = options;
  const dir = mkdtempSync(join(tmpdir(), "istio-gateway-demo-"));
  const stack = `demo-${process.pid}`;
  let controlPlane: ControlPlane | undefined;
  const backends: StandInBackend[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(backends.map((b) => b.close()));
    await controlPlane?.stop();
    rmSync(dir, { recursive: true, force: true });
    // Set when `pulumi stack init` was stopped between writing the settings and their move.
    rmSync(join(options.projectDir, `Pulumi.${stack}.yaml`), { force: true });
  };
  try {
    controlPlane = await timed(
      progress,
      async () => await startControlPlane(tools, { parentDir: dir, ...(signal ? { signal } : {}) }),
      (cp) =>
        `control plane ready at ${cp.server} (etcd pid ${cp.pids[0]}, kube-apiserver pid ${cp.pids[1]})`,
    );

    const tlsDir = join(dir, "tls");
    mkdirSync(tlsDir);
    const tls = await timed(
      progress,
      async () => {
        const ca = makeCertificateAuthority(tlsDir, "ca", "istio-gateway demo CA");
        const server = makeServerCertificate(tlsDir, BOOKINFO_HOST, ca, {
          commonName: BOOKINFO_HOST,
          subjectAltNames: [`DNS:${BOOKINFO_HOST}`],
        });
        return { ca, server };
      },
      ({ ca }) => `certificate for ${BOOKINFO_HOST} signed by a new CA (${ca.cert})`,
    );

    signal?.throwIfAborted();
    const pulumiDir = join(dir, "pulumi");
    mkdirSync(pulumiDir);
    const pulumi = new PulumiCli({
      tools,
      dir: pulumiDir,
      projectDir: options.projectDir,
      stack,
      // The state lives and dies with the directory: the passphrase protects nothing longer-lived.
      passphrase: `demo-${process.pid}-${Date.now()}`,
      env: { KUBECONFIG: controlPlane.kubeconfigPath },
      ...(signal ? { signal } : {}),
    });
    await timed(
      progress,
      async () => {
        await pulumi.initStack();
        await pulumi.setConfig(
          bookinfoConfig(readFileSync(tls.server.cert, "utf8"), readFileSync(tls.server.key, "utf8")),
        );
        return await pulumi.up();
      },
      (out) =>
        `pulumi up of the root program: ${createdCount(out) ?? "?"} resources created on stack ${stack}`,
    );

    await timed(
      progress,
      async () => await applyMissingDefinitions(controlPlane!),
      (kinds) =>
        kinds.length === 0
          ? "every kind the gateway watches is served"
          : `applied the definitions of ${kinds.join(" and ")}, which the gateway watches too`,
    );

    await timed(
      progress,
      async () => {
        for (const s of BOOKINFO_SERVICES) backends.push(await startStandInBackend(s.service, s.version));
        return backends;
      },
      (bs) =>
        `stand-in backends ${bs.map((b) => `${b.service} ${b.version} on 127.0.0.1:${b.port}`).join(", ")}`,
    );
    return { dir, controlPlane, caCertPath: tls.ca.cert, backends, stack, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
