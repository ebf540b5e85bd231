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
