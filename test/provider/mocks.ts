// Shared by the component suites: Pulumi mocks that record every registered resource, a recorder
// of the warnings and infos components log, and helpers to read Outputs in tests.
// setMocks is per process: each suite file installs them once, in one mode (preview or update).
import * as pulumi from "@pulumi/pulumi";

/** A resource as the engine would receive it. */
export interface Registered {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
}

/** The marker Pulumi's wire format wraps a secret value in. */
export const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

/** URNs each resource was registered as depending on, by `<type> <name>`. */
export const dependencies = new Map<string, string[]>();

/**
 * Records in `into` the URNs each resource is registered as depending on, by `<type> <name>`:
 * mocks do not pass dependencies on to newResource, but the monitor's request has them. Call
 * after setMocks, which installs the monitor.
 */
export function recordDependencies(into: Map<string, string[]>): void {
  type Request = { getType(): string; getName(): string; getDependenciesList(): string[] };
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: Request, cb: unknown): unknown;
  };
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    into.set(`${req.getType()} ${req.getName()}`, req.getDependenciesList());
    return registerResource(req, cb);
  };
}

/** Installs mocks that echo inputs as state, and returns the live list of registrations. */
export async function installMocks(preview: boolean): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    "istio-gateway-test",
    preview ? "preview" : "update",
    preview,
  );
  recordDependencies(dependencies);
  return registered;
}

/** One log line a component wrote. */
export interface LogLine {
  severity: "warning" | "info";
  /** The Pulumi name of the resource the line is about. */
  resource: string;
  message: string;
}

/** Captures `pulumi.log.warn` and `pulumi.log.info` (the components' only log calls). */
export function captureLogs(): LogLine[] {
  const lines: LogLine[] = [];
  const log = pulumi.log as { warn: typeof pulumi.log.warn; info: typeof pulumi.log.info };
  const record = (severity: LogLine["severity"]) => (message: string, resource?: pulumi.Resource) => {
    const name = resource === undefined ? "" : resourceName(resource);
    lines.push({ severity, resource: name, message });
    return Promise.resolve();
  };
  log.warn = record("warning");
  log.info = record("info");
  return lines;
}

/** The value of an Output, or `undefined` when it is unknown (preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  // Output.promise(withUnknowns) is internal; it is the one way not to hang on an unknown.
  return (output as unknown as { promise(withUnknowns: boolean): Promise<T | undefined> }).promise(true);
}

/** Whether an Output is secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

// Internal to the SDK (absent from its typings): resolves once every RPC the runtime has started
// (resource registrations, output registrations) has finished, as the runtime waits at exit.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/**
 * Waits until every resource registration started so far has finished, and the checks the
 * components schedule after the program's synchronous part have run.
 */
export async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    await waitForRPCs();
  }
}

function resourceName(resource: pulumi.Resource): string {
  // The name is not a public property; the URN's last segment is, but it resolves later.
  return (resource as unknown as { __name?: string }).__name ?? "";
}
