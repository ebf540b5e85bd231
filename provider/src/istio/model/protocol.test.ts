import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProtocol } from "./protocol";

describe("parseProtocol (Go strings.ToLower semantics)", () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ["http", "HTTP"],
    ["Grpc-Web", "GRPC-WEB"],
    ["http_proxy", "HTTP_PROXY"],
    ["REDİS", "REDIS"],
    ["redıs", undefined],
    ["httpſ", undefined],
    ["kafka", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  for (const [name, want] of cases) it(JSON.stringify(name), () => assert.equal(parseProtocol(name), want));
});
