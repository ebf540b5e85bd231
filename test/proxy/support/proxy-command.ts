/** The proxy command as the suites run it in a child process: from the sources, as a user runs it. */
import { resolve } from "node:path";

/** Node's arguments that run `istio-gateway proxy ...args` (proxy-main.ts, through tsx). */
export function proxyCommand(...args: string[]): string[] {
  return ["--import", "tsx", resolve(__dirname, "proxy-main.ts"), "proxy", ...args];
}
