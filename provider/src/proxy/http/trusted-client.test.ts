import assert from "node:assert/strict";
import { test } from "node:test";
import { clientFromForwardedFor, trustedScheme } from "./trusted-client";

test("the client is the N-th address from the right of x-forwarded-for, as Envoy's xff_num_trusted_hops reads it", () => {
  const xff = "203.0.113.128, 203.0.113.10, 203.0.113.1";
  const cases: [string | string[] | undefined, number, string | undefined][] = [
    [xff, 0, undefined],
    [xff, 1, "203.0.113.1"],
    [xff, 2, "203.0.113.10"],
    [xff, 3, "203.0.113.128"],
    [xff, 4, undefined],
    [["203.0.113.128", "203.0.113.10,203.0.113.1"], 2, "203.0.113.10"],
    ["2001:db8::1 ,10.0.0.1", 2, "2001:db8::1"],
    ["unknown,10.0.0.1", 2, undefined],
    ["203.0.113.1:8080", 1, undefined],
    ["", 1, undefined],
    [undefined, 1, undefined],
  ];
  assert.deepEqual(
    cases.map(([value, n]) =>
      clientFromForwardedFor(value === undefined ? {} : { "x-forwarded-for": value }, n),
    ),
    cases.map(([, , client]) => client),
  );
});

test("the scheme is the x-forwarded-proto a trusted proxy set, else the listener's", () => {
  assert.deepEqual(
    [
      trustedScheme({ "x-forwarded-proto": "https" }, 1, "http"),
      trustedScheme({ "x-forwarded-proto": "https" }, 0, "http"),
      trustedScheme({}, 1, "http"),
      trustedScheme({ "x-forwarded-proto": ["https", "http"] }, 1, "http"),
      trustedScheme({ "x-forwarded-proto": "" }, 1, "https"),
    ],
    ["https", "http", "http", "https", "https"],
  );
});
