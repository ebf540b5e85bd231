/**
 * One HTTP(S) GET of a key set or an OpenID discovery document, as istiod's JWKS resolver makes
 * it: a 200 answer within the rule's timeout, verified against the system's CAs for `https`.
 */
import http from "node:http";
import https from "node:https";

/** The largest document read: key sets are a few kilobytes. */
const MAX_BODY_BYTES = 1 << 20;

/** Fetches `uri`'s body as text; rejects on a non-200 status, a timeout or a transport error. */
export function fetchText(uri: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      reject(new Error(`not a URL: ${uri}`));
      return;
    }
    const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
    if (client === undefined) {
      reject(new Error(`URI scheme ${url.protocol} is not supported`));
      return;
    }
    const req = client.get(url, { timeout: timeoutMs, headers: { accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${uri} answered ${res.statusCode ?? 0}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error(`${uri} answered more than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${uri} did not answer within ${timeoutMs}ms`)));
    req.on("error", reject);
  });
}
