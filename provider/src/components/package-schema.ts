/**
 * The package's Pulumi schema, inferred in-process from the Args interfaces exactly as
 * `pulumi package add ./provider` infers it (`ComponentProvider.getSchema()`), so the committed
 * `sdk/schema.json` can be regenerated and drift-tested without the Pulumi CLI.
 */
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { join } from "node:path";
import { Gateway } from "./gateway";
import { GatewayProxy } from "./gateway-proxy";
import { IstioCrds } from "./istio-crds";
import { VirtualService } from "./virtual-service";

/** The package name: `provider/package.json`'s `name`, the first segment of every type token. */
export const PACKAGE_NAME = "istio-gateway";

/** Says, inside the JSON (which has no comments), that the file is generated. */
export const GENERATED_NOTE =
  "Generated from the Args interfaces by `node --import tsx test/provider/write-schema.ts`; do not edit.";

/** A provider over the package's components, rooted at `provider/`. */
export function componentProvider(): ComponentProvider {
  return new ComponentProvider({
    name: PACKAGE_NAME,
    dirname: join(__dirname, "..", ".."),
    components: [Gateway, VirtualService, IstioCrds, GatewayProxy],
  });
}

/** The schema as committed: pretty-printed, its description (first) saying it is generated. */
export async function packageSchemaText(): Promise<string> {
  const schema = JSON.parse(await componentProvider().getSchema()) as Record<string, unknown>;
  const base = String(schema.description ?? "").replace(/\.?$/, ".");
  const description = `${base} ${GENERATED_NOTE}`;
  // The description goes first, so the file's first lines say it is generated.
  const rest = Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "description"));
  return `${JSON.stringify({ description, ...rest }, null, 2)}\n`;
}
