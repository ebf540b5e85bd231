/** Runs the real `curl` and parses its answer: status, headers (lower-case names) and body. */
import { execFile } from "node:child_process";
import http from "node:http";

/** A response as curl saw it. */
export interface CurlResponse {
  /** The final status. */
  status: number;
  /** The HTTP version curl reports (`1.1`, `2`). */
  httpVersion: string;
  /** Headers of the final response; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body. */
  body: string;
}

/** Runs curl with `args` (a URL among them) and resolves with the final response. */
export function curl(args: string[], timeoutSeconds = 10): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-sS", "-i", "--max-time", String(timeoutSeconds), ...args],
      { encoding: "latin1", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null && stdout === "")
          return reject(new Error(`curl ${args.join(" ")}: ${stderr || err.message}`));
        resolve(parse(stdout));
      },
    );
  });
}

function parse(text: string): CurlResponse {
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    const head = end < 0 ? rest : rest.slice(0, end);
    const body = end < 0 ? "" : rest.slice(end + 4);
    const lines = head.split("\r\n");
    const m = /^HTTP\/([\d.]+) (\d{3})/.exec(lines[0] ?? "");
    if (m === null) throw new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200 && status !== 101) {
      rest = body;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const k = line.slice(0, colon).trim().toLowerCase();
      const v = line.slice(colon + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    return { status, httpVersion: m[1]!, headers, body };
  }
}

/** A GET with node:http (for loops where spawning curl would be slow), body read whole. */
export function request(
  url: string,
  headers: Record<string, string>,
  agent?: http.Agent,
): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h[k] = Array.isArray(v) ? v.join(", ") : v;
        resolve({
          status: res.statusCode ?? 0,
          httpVersion: res.httpVersion,
          headers: h,
          body: Buffer.concat(chunks).toString(),
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
