import assert from "node:assert/strict";
import { test } from "node:test";
import { isCodecMethod } from "./codec-methods";
import { methodName } from "./llhttp";

test("Envoy's HTTP/1.1 codec knows its list of methods, exactly and in capitals", () => {
  for (const m of ["GET", "HEAD", "CONNECT", "OPTIONS", "TRACE", "PURGE", "MSEARCH", "UNSUBSCRIBE"])
    assert.equal(isCodecMethod(m), true, m);
  for (const m of ["QUERY", "M-SEARCH", "get", "FOO", "PRI", ""]) assert.equal(isCodecMethod(m), false, m);
});

test("llhttp's method numbers name node's methods up to SOURCE, and no method past it", () => {
  assert.deepEqual([0, 1, 5, 24, 33].map(methodName), ["DELETE", "GET", "CONNECT", "M-SEARCH", "SOURCE"]);
  // llhttp numbers QUERY 46; node's list, without llhttp's gap, has it at 34.
  assert.deepEqual([34, 46].map(methodName), [undefined, undefined]);
});
