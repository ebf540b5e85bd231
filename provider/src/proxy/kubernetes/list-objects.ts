/**
 * One `list` request against the API server as plain JSON (the same form watch events arrive in),
 * with the kubeconfig's credentials and a deadline, so an API server that accepts connections and
 * never answers cannot hold a reconnection forever.
 */
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A list response. */
export interface ObjectList {
  /** The objects. */
  readonly items: unknown[];
  /** `metadata.resourceVersion`: where the watch that follows starts. */
  readonly metadata?: { readonly resourceVersion?: string };
}

/** An error with the HTTP status the API server answered (410 Gone makes the cache re-list). */
export class ApiStatusError extends Error {
  constructor(
    message: string,
    /** The HTTP status. */
    readonly statusCode: number,
  ) {
    super(message);
    this.name = "ApiStatusError";
  }
}

/** GETs `path` (an API list path such as `/api/v1/namespaces/ns/secrets`) and parses the list. */
export async function listObjects(kc: KubeConfig, path: string, timeoutMs = 30_000): Promise<ObjectList> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const secure = url.protocol === "https:";
  if (!secure) delete options.agent;
  return await new Promise<ObjectList>((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      { ...options, method: "GET", timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            let message = `${status} ${http.STATUS_CODES[status] ?? ""}`.trim();
            try {
              const parsed = JSON.parse(text) as { message?: unknown };
              if (typeof parsed.message === "string") message += `: ${parsed.message}`;
            } catch {
              // Not a Status object: the status line says enough.
            }
            reject(new ApiStatusError(message, status));
            return;
          }
          try {
            const parsed = JSON.parse(text) as ObjectList;
            resolve({
              items: Array.isArray(parsed.items) ? parsed.items : [],
              metadata: parsed.metadata ?? {},
            });
          } catch (err) {
            reject(new Error(`unreadable list from ${path}: ${(err as Error).message}`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
