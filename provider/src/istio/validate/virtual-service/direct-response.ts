/** `http[].directResponse`: a status Envoy can send, and a body small enough for the control plane. */
import type { HTTPDirectResponse } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { isRecord, numberOr0, utf8Length } from "./values";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Decoded length of a base64 string (what `bytes` holds on the wire). */
function base64Length(text: string): number {
  const clean = text.replace(/[\s=]+/g, "");
  return Math.floor((clean.length * 3) / 4);
}

/** True for a status Istio accepts: 200 to 600 (Envoy's own range ends at 599). */
export function isHTTPStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 600;
}

/** Reports problems of `directResponse` at `path`. */
export function checkDirectResponse(
  report: Report,
  dr: HTTPDirectResponse | null | undefined,
  path: string,
): void {
  if (!isRecord(dr)) return;
  if (isRecord(dr.body)) {
    let size = 0;
    let field = "string";
    if (typeof dr.body.string === "string") size = utf8Length(dr.body.string);
    else if (typeof dr.body.bytes === "string") {
      size = base64Length(dr.body.bytes);
      field = "bytes";
    }
    const where = childPath(childPath(path, "body"), field);
    if (size > MIB) {
      report(
        "IGW3101",
        where,
        `must be at most 1 MiB: every proxy holds it in its configuration (got ${size} bytes)`,
      );
    } else if (size > 100 * KIB) {
      report(
        "IGW3102",
        where,
        `should be at most 100 KiB: every proxy holds it in its configuration (got ${size} bytes)`,
      );
    }
  }
  const status = numberOr0(dr.status);
  if (!isHTTPStatus(status)) {
    report("IGW3100", childPath(path, "status"), `must be an HTTP status from 200 to 599 (got ${status})`);
  }
}
