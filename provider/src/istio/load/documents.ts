/**
 * Turns configuration text (multi-document YAML, or JSON) into plain objects, each remembering
 * where it came from, so findings and syntax errors can point at `file:line:column`.
 *
 * Pure: callers read files, stdin or the Kubernetes API; this only parses text.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Document, Node } from "yaml";

/** A position in a source text, 1-based as editors show it. */
export interface SourcePosition {
  /** Line number, from 1. */
  line: number;
  /** Column number, from 1. */
  column: number;
}

/** One configuration object found in a source, with the means to locate its fields. */
export interface LoadedObject {
  /** The file name (or `-` for standard input) the object came from. */
  source: string;
  /** Where the object starts in the source. */
  position: SourcePosition;
  /** The object as plain data (what `kubectl` would send to the API server). */
  object: unknown;
  /**
   * The position of a field given by a finding's path (`spec.servers[0].port`), or of its nearest
   * existing parent; undefined when the path leaves the object at once.
   */
  locate(path: string): SourcePosition | undefined;
}

/** A syntax error in a source, with its position. */
export interface LoadError {
  /** The file name (or `-`). */
  source: string;
  /** Where the error is. */
  position: SourcePosition;
  /** What is wrong, without the position. */
  message: string;
}

/** The objects and syntax errors of one source text. */
export interface LoadResult {
  /** Every object found, in order, with `kind: List` items expanded. */
  objects: LoadedObject[];
  /** The first syntax error of each document that has any; such documents yield no objects. */
  errors: LoadError[];
}

/**
 * Aliases expand into copies; a small limit stops "billion laughs" inputs from exhausting memory
 * while allowing the few anchors real configuration uses.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses every document of `text`. YAML 1.2 (JSON is YAML): the 1.1 boolean words (`yes`, `on`,
 * `y`) stay strings, so they are reported as wrong types instead of silently becoming booleans or
 * turning map keys into `"true"`. Merge keys (`<<`) are honoured as in Kubernetes' YAML reader.
 */
export function loadDocuments(text: string, source: string): LoadResult {
  const lineCounter = new LineCounter();
  const result: LoadResult = { objects: [], errors: [] };
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    result.errors.push({ source, position: { line: 1, column: 1 }, message: errorText(e) });
    return result;
  }
  const positionAt = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // parseAllDocuments returns an EmptyStream (an array with extra fields) for empty input.
  for (const doc of Array.from(documents)) {
    if (doc.errors.length > 0) {
      // The first error is the one to fix: the parser's later ones mostly follow from it (a Helm
      // template gives one per token), so they are counted, not listed.
      const first = doc.errors.reduce((a, b) => (b.pos[0] < a.pos[0] ? b : a));
      const more = doc.errors.length - 1;
      const after =
        more === 0
          ? ""
          : ` (${more} more ${more === 1 ? "error follows" : "errors follow"} in this document)`;
      result.errors.push({
        source,
        position: positionAt(first.pos[0]),
        message: cleanMessage(first.message) + after,
      });
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const at = doc.contents.range?.[0] ?? 0;
      result.errors.push({ source, position: positionAt(at), message: errorText(e) });
      continue;
    }
    result.objects.push(...expandList(object, doc.contents, source, positionAt));
  }
  return result;
}

/** `kind: List` (what `kubectl get -o yaml` prints) holds its objects in `items`. */
function expandList(
  object: unknown,
  node: Node,
  source: string,
  positionAt: (offset: number) => SourcePosition,
): LoadedObject[] {
  const make = (obj: unknown, n: Node): LoadedObject => ({
    source,
    position: positionAt(n.range?.[0] ?? 0),
    object: obj,
    locate: (path) => {
      const found = nodeAt(n, parsePath(path));
      return found?.range === undefined || found.range === null ? undefined : positionAt(found.range[0]);
    },
  });
  if (isRecord(object) && object.kind === "List" && Array.isArray(object.items) && isMap(node)) {
    const itemsNode = node.get("items", true);
    if (isSeq(itemsNode)) {
      return object.items.map((item, i) => make(item, (itemsNode.items[i] as Node | undefined) ?? node));
    }
  }
  return [make(object, node)];
}

/** The deepest node along `segments` below `root`. */
function nodeAt(root: Node, segments: Array<string | number>): Node | undefined {
  let node: Node = root;
  for (const segment of segments) {
    let next: unknown;
    if (isMap(node)) next = node.get(segment, true);
    else if (isSeq(node) && typeof segment === "number") next = node.get(segment, true);
    if (next === undefined || next === null || typeof next !== "object") break;
    node = next as Node;
  }
  return node;
}

/** Splits `spec.http[0].match[1].headers["x-user"]` into its segments. */
export function parsePath(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(m[3]) as string);
  }
  return segments;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The yaml library appends " at line L, column C:" and a code excerpt; positions are reported separately. */
function cleanMessage(message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function errorText(e: unknown): string {
  return cleanMessage(e instanceof Error ? e.message : String(e));
}
