/**
 * Where the repository checkout is, seen from this package: the local commands run the root
 * Pulumi program and use the toolchain `test/e2e/tools.sh` builds, both of which live in the
 * checkout rather than in the published package.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The checkout's root directory (the one holding the root Pulumi.yaml): provider/src/local/../../.. */
export const repositoryRoot = resolve(__dirname, "../../..");

/** The version pins of the toolchain, shared with test/e2e/tools.sh. */
export const toolsEnvPath = join(repositoryRoot, "test", "e2e", "tools.env");

/** The command that builds the toolchain, as the README and error messages name it. */
export const toolsCommand = "bash test/e2e/tools.sh";

/** Whether this package runs from a checkout (the root program and the tool pins are present). */
export function isCheckout(root: string = repositoryRoot): boolean {
  return existsSync(join(root, "Pulumi.yaml")) && existsSync(join(root, "test", "e2e", "tools.env"));
}
