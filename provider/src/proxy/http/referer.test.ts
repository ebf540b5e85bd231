import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidReferer } from "./referer";

test("isValidReferer keeps absolute URLs and relative references, as Envoy's isValidRefererValue", () => {
  for (const value of [
    "http://www.example.com",
    "http://www.example.com/foo?bar=xyz",
    "https://a.example.com:8443/p/q",
    "/resource.html",
    "resource.html",
    "foo/bar/resource.html",
    "/a:b",
    "",
  ]) {
    assert.equal(isValidReferer(value), true, value);
  }
});

test("isValidReferer refuses spaces, credentials, fragments and schemes without a host", () => {
  for (const value of [
    "mal  formed/path/resource.html",
    "not a url",
    "htp:/www.malformed.com",
    "http://www.example.com/?foo=bar#baz",
    "http://user@a/",
    "http:///path",
    "a:b/c",
    "/caf\u00e9",
    "/a#b",
  ]) {
    assert.equal(isValidReferer(value), false, value);
  }
});
