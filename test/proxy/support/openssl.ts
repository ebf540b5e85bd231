/** Runs the real `openssl s_client`, the TLS client Istio's docs reach for to inspect a handshake. */
import { spawn } from "node:child_process";

/**
 * Runs `openssl s_client` with `args`, writes `input` once started, and resolves with what it
 * printed (stdout then stderr) when it exits: when the server closes the connection, as stdin stays
 * open. It is killed after `timeoutMs`, and what it printed by then is returned.
 */
export function sClient(args: readonly string[], input = "", timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn("openssl", ["s_client", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // s_client reads stdin only after its handshake, so the input may go at once.
    child.stdin.on("error", () => {});
    child.stdin.write(input);
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(stdout + stderr);
    });
  });
}
