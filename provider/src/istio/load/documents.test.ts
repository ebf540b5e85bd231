import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadDocuments, parsePath } from "./documents";

describe("loadDocuments", () => {
  it("reads every document of a multi-document file with its position", () => {
    const text = "# a comment\napiVersion: v1\nkind: A\n---\n\n---\napiVersion: v1\nkind: B\n";
    const { objects, errors } = loadDocuments(text, "two.yaml");
    assert.deepEqual(errors, []);
    assert.deepEqual(
      objects.map((o) => [o.object, o.position]),
      [
        [
          { apiVersion: "v1", kind: "A" },
          { line: 2, column: 1 },
        ],
        [
          { apiVersion: "v1", kind: "B" },
          { line: 7, column: 1 },
        ],
      ],
    );
  });

  it("expands kind: List into its items", () => {
    const text = "kind: List\napiVersion: v1\nitems:\n- kind: A\n- kind: B\n  x: 1\n";
    const { objects } = loadDocuments(text, "list.yaml");
    assert.deepEqual(
      objects.map((o) => [o.object, o.position.line]),
      [
        [{ kind: "A" }, 4],
        [{ kind: "B", x: 1 }, 5],
      ],
    );
  });

  it("reports syntax errors with line and column and keeps the good documents", () => {
    const text = "kind: A\n---\nkind: B\nspec: [1,\n---\nkind: C\n";
    const { objects, errors } = loadDocuments(text, "bad.yaml");
    assert.deepEqual(
      objects.map((o) => o.object),
      [{ kind: "A" }, { kind: "C" }],
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0].source, "bad.yaml");
    assert.deepEqual(errors[0].position, { line: 5, column: 1 });
    assert.match(errors[0].message, /^flow sequence in block collection must be sufficiently indented/);
  });

  it("reports the first error of a document and counts the ones after it", () => {
    const template = [
      "kind: Gateway",
      "metadata:",
      "  labels:",
      '{{ include "labels" . | indent 4 }}',
      "spec:",
      "  selector:",
      "    {{- range $k, $v := .Values.selector }}",
      "    {{ $k }}: {{ $v }}",
      "    {{- end }}",
      "",
    ].join("\n");
    const { objects, errors } = loadDocuments(`${template}---\nkind: B\n`, "chart.yaml");
    assert.deepEqual(
      objects.map((o) => o.object),
      [{ kind: "B" }],
    );
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0].position, { line: 4, column: 1 });
    assert.equal(
      errors[0].message,
      "implicit map keys need to be followed by map values (10 more errors follow in this document)",
    );
  });

  it("rejects duplicate keys, as the API server does", () => {
    const { errors } = loadDocuments("kind: A\nkind: B\n", "dup.yaml");
    assert.deepEqual(
      errors.map((e) => [e.position, e.message]),
      [[{ line: 2, column: 1 }, "map keys must be unique"]],
    );
  });

  it("keeps YAML 1.1 boolean words as strings", () => {
    const { objects } = loadDocuments("a: yes\ny: on\n", "b.yaml");
    assert.deepEqual(objects[0].object, { a: "yes", y: "on" });
  });

  it("reads JSON", () => {
    const { objects } = loadDocuments('{"kind": "A", "spec": {"n": 1}}', "a.json");
    assert.deepEqual(objects[0].object, { kind: "A", spec: { n: 1 } });
  });

  it("stops alias bombs instead of exhausting memory", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 12; i++)
      lines.push(
        `${"b" + i}: &b${i} [${Array(10)
          .fill(i === 0 ? "*a" : `*b${i - 1}`)
          .join(", ")}]`,
      );
    const { objects, errors } = loadDocuments(lines.join("\n"), "bomb.yaml");
    assert.deepEqual(objects, []);
    assert.equal(errors.length, 1);
  });

  it("locates the field a finding names, or its nearest parent", () => {
    const text = 'kind: Gateway\nspec:\n  servers:\n  - port:\n      number: 70000\n    hosts: ["a.com"]\n';
    const [gw] = loadDocuments(text, "gw.yaml").objects;
    assert.deepEqual(gw.locate("spec.servers[0].port.number"), { line: 5, column: 15 });
    assert.deepEqual(gw.locate("spec.servers[0].hosts[0]"), { line: 6, column: 13 });
    assert.deepEqual(gw.locate("spec.servers[0].tls.mode"), { line: 4, column: 5 });
    assert.deepEqual(gw.locate(""), { line: 1, column: 1 });
  });

  it("returns nothing for empty input", () => {
    assert.deepEqual(loadDocuments("", "empty.yaml"), { objects: [], errors: [] });
    assert.deepEqual(loadDocuments("---\n# only a comment\n", "c.yaml"), { objects: [], errors: [] });
  });
});

describe("parsePath", () => {
  it("splits fields, indexes and quoted keys", () => {
    assert.deepEqual(parsePath('spec.http[0].match[12].headers["x.user[1]"].exact'), [
      "spec",
      "http",
      0,
      "match",
      12,
      "headers",
      "x.user[1]",
      "exact",
    ]);
    assert.deepEqual(parsePath(""), []);
  });
});
