import assert from "node:assert/strict";
import { test } from "node:test";
import { headerLines, isHeaderName } from "./header-lines";

test("a token is a header name; anything else is not, asked once or many times", () => {
  for (let i = 0; i < 3; i++) {
    assert.equal(isHeaderName("x-request-id"), true);
    assert.equal(isHeaderName("!#$%&'*+-.^_`|~09AZaz"), true);
    assert.equal(isHeaderName(""), false);
    assert.equal(isHeaderName("bad name"), false);
    assert.equal(isHeaderName("x-injected:\r\nevil"), false);
    assert.equal(isHeaderName("caf\u00e9"), false);
  }
});

test("past the names it remembers, names are still judged one by one", () => {
  for (let i = 0; i < 2000; i++) assert.equal(isHeaderName(`x-name-${i}`), true);
  assert.equal(isHeaderName("x-name-after-2000"), true);
  assert.equal(isHeaderName("x bad"), false);
  assert.equal(isHeaderName("x-name-1999"), true);
});

test("a header becomes one line per value", () => {
  assert.equal(headerLines("x-a", "1"), "x-a: 1\r\n");
  assert.equal(headerLines("set-cookie", ["a=1", "b=2"]), "set-cookie: a=1\r\nset-cookie: b=2\r\n");
});

test("what would break the head is refused with the header's name", () => {
  assert.throws(() => headerLines("bad name", "1"), /invalid header name "bad name"/);
  assert.throws(() => headerLines("x-a", "1\r\nx-evil: 2"), /invalid value of header "x-a"/);
  assert.throws(() => headerLines("x-a", ["ok", "no\n"]), /invalid value of header "x-a"/);
});
