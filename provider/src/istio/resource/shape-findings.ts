/**
 * Turns zod's issues into findings in the house style: one finding per field, paths rooted at the
 * resource, messages that say the rule and show the value (`must be a string (got 42)`).
 */
import type { z } from "zod";
import { AT_MOST_ONE_PARAM } from "../schema/at-most-one";
import { formatValue } from "../schema/value";
import { childPath, pathOf } from "../validate/path";

/** One shape finding before it is attached to a resource. */
export interface ShapeFinding {
  /** A code of {@link shapeCodes}. */
  code: string;
  /** Path rooted at the resource. */
  path: string;
  /** House-style message. */
  message: string;
}

const typeNames: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
};

function pathString(path: readonly PropertyKey[]): string {
  return pathOf(...path.map((p) => (typeof p === "number" ? p : String(p))));
}

function itemCount(n: number): string {
  return n === 1 ? "1 item" : `${n} items`;
}

/** The findings one zod issue stands for (several for unknown keys, one per key). */
function findingsOf(issue: z.core.$ZodIssue): ShapeFinding[] {
  const path = pathString(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        code: "IGW1004",
        path: childPath(path, key),
        message: "unknown field",
      }));
    case "invalid_type":
      if (input === undefined) return [{ code: "IGW1003", path, message: "required" }];
      if (issue.message.startsWith("must be an integer"))
        return [{ code: "IGW1006", path, message: issue.message }];
      return [
        {
          code: "IGW1005",
          path,
          message: `must be ${typeNames[issue.expected] ?? issue.expected} (got ${formatValue(input)})`,
        },
      ];
    case "too_small":
    case "too_big": {
      if (issue.origin === "array" && Array.isArray(input)) {
        const bound = Number(issue.code === "too_big" ? issue.maximum : issue.minimum);
        const rule = issue.code === "too_big" ? "at most" : "at least";
        return [
          { code: "IGW1008", path, message: `must have ${rule} ${itemCount(bound)} (got ${input.length})` },
        ];
      }
      return [{ code: "IGW1006", path, message: issue.message }];
    }
    case "invalid_value": {
      const values = issue.values.map((v) => formatValue(v)).join(", ");
      const rule = issue.values.length === 1 ? `must be ${values}` : `must be one of ${values}`;
      return [{ code: "IGW1007", path, message: `${rule} (got ${formatValue(input)})` }];
    }
    case "custom":
      if (issue.params?.[AT_MOST_ONE_PARAM] === true)
        return [{ code: "IGW1009", path, message: issue.message }];
      return [{ code: "IGW1005", path, message: issue.message }];
    case "invalid_union":
      return [{ code: "IGW1005", path, message: issue.message }];
    default:
      return [{ code: "IGW1005", path, message: issue.message }];
  }
}

/** All findings of a failed parse, without duplicates, in zod's order (the schema's field order). */
export function toShapeFindings(issues: readonly z.core.$ZodIssue[]): ShapeFinding[] {
  const seen = new Set<string>();
  const out: ShapeFinding[] = [];
  for (const issue of issues) {
    for (const f of findingsOf(issue)) {
      const key = `${f.code}\u0000${f.path}\u0000${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(f);
    }
  }
  return out;
}
