/** Paths below an existing path: `below("spec.http[0]", "match", 1)` is `spec.http[0].match[1]`. */
import { childPath } from "../validate/path";

/** `base` extended by `segments`, with map keys quoted as `childPath` does. */
export function below(base: string, ...segments: Array<string | number>): string {
  return segments.reduce<string>((acc, s) => childPath(acc, s), base);
}
