/** Access-log sinks for tests: what the proxy writes, kept as text or as parsed lines. */
import type { LogSink } from "../../../provider/src/proxy/observability/access-log";

/** A sink that keeps each write as text. */
export function textSink(writes: string[]): LogSink {
  return { write: (chunk) => writes.push(Buffer.from(chunk).toString("utf8")) };
}

/** A sink that parses each line written and keeps the objects. */
export function jsonLinesSink(entries: Record<string, unknown>[]): LogSink {
  return {
    write: (chunk) => {
      for (const line of Buffer.from(chunk).toString("utf8").split("\n"))
        if (line !== "") entries.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/**
 * The first line of `entries` whose path is `path`, waiting up to `ms` for its batch to be written
 * (the access log writes in batches); fails naming the paths it has seen when none comes.
 */
export function loggedLine(
  entries: readonly Record<string, unknown>[],
  path: string,
  ms = 3000,
): Promise<Record<string, unknown>> {
  return loggedLineWhere(entries, (l) => l["path"] === path, path, ms);
}

/**
 * The first line of `entries` that `matches` (a request without a path, a CONNECT's, is found by
 * its other fields), waiting up to `ms`; fails naming `what` and the paths it has seen.
 */
export async function loggedLineWhere(
  entries: readonly Record<string, unknown>[],
  matches: (line: Record<string, unknown>) => boolean,
  what: string,
  ms = 3000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const line = entries.find(matches);
    if (line !== undefined) return line;
    if (Date.now() > until) {
      const seen = JSON.stringify(entries.map((l) => [l["path"], l["response_code"]]));
      throw new Error(`no access-log line for ${what}; lines: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A request id as the proxy makes one: a version 4 UUID. */
export const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
