import assert from "node:assert/strict";
import { test } from "node:test";
import { socketAddress } from "./socket-address";

test("an IPv4 address and its port are joined by a colon", () => {
  assert.equal(socketAddress("127.0.0.1", 8080), "127.0.0.1:8080");
});

test("an IPv6 address is bracketed, as Envoy writes it", () => {
  assert.equal(socketAddress("::1", 443), "[::1]:443");
  assert.equal(socketAddress("::ffff:10.0.0.1", 80), "[::ffff:10.0.0.1]:80");
});

test("a socket that reports no port gets port 0", () => {
  assert.equal(socketAddress("10.1.2.3", undefined), "10.1.2.3:0");
});
