/** Runs the real `openssl s_client`, the TLS client Istio's docs reach for to inspect a handshake. */
import { spawn } from "node:child_process";

/** How {@link sClient} feeds `s_client` and when it stops waiting. */
export interface SClientOptions {
  /** Written to its stdin: a request to send once the handshake is done. Default: nothing. */
  readonly input?: string;
  /**
   * Milliseconds to wait before writing `input`, as a person typing would (default 0). s_client
   * reads stdin only after its handshake, so input written at once waits for it anyway.
   */
  readonly inputDelayMs?: number;
  /**
   * Leaves stdin open after `input`: s_client then stays until the server closes the connection,
   * and prints what the server sent after the handshake (a TLS 1.3 alert for a missing client
   * certificate comes then). By default stdin ends after `input`, and s_client leaves after the
   * handshake and the answer to `input`.
   */
  readonly keepOpen?: boolean;
  /** Stops (killing s_client) as soon as its stdout matches this. */
  readonly until?: RegExp;
  /** Kills s_client after this many milliseconds (default 5000), returning what it printed. */
  readonly timeoutMs?: number;
}

/**
 * Runs `openssl s_client` with `args` and resolves with everything it printed, stdout and stderr as
 * they came, once it exits, its stdout matches `until`, or `timeoutMs` passes.
 */
export function sClient(args: readonly string[], options: SClientOptions = {}): Promise<string> {
  const { input = "", inputDelayMs = 0, keepOpen = false, until, timeoutMs = 5000 } = options;
  return new Promise((resolve) => {
    const child = spawn("openssl", ["s_client", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(feed);
      child.kill();
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (until?.test(out) === true) done();
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", done);
    // s_client may be gone (the handshake refused) before its input is written.
    child.stdin.on("error", () => {});
    const feed = setTimeout(() => {
      if (input !== "") child.stdin.write(input);
      if (!keepOpen && until === undefined) child.stdin.end();
    }, inputDelayMs);
  });
}
