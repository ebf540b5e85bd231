import { test } from "node:test";
import assert from "node:assert/strict";
import { headerValueProblem } from "./header-value";

test("header values follow Envoy's formatter syntax and have no control characters", () => {
  const cases: Array<[string, string | undefined]> = [
    ["plain", undefined],
    ["", undefined],
    ["100%%", undefined],
    ["%HOSTNAME%", undefined],
    ["prefix %HOSTNAME% suffix", undefined],
    ["%REQ(x-request-id)%", undefined],
    ['%PER_REQUEST_STATE(["a", "b"])%', undefined],
    ["%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%", undefined],
    ["tab\tinside", undefined],
    ["100%", 'must escape a literal "%" as "%%" (got "100%")'],
    ["%START_TIME%%", 'must escape a literal "%" as "%%" (got "%START_TIME%%")'],
    [
      "abc%123",
      'must close every %VARIABLE% expression with "%" (write "%%" for a literal "%") (got "abc%123")',
    ],
    [
      '%X(["a" "b"])%',
      'must have "," or "]" after an argument of a %VARIABLE(...)% expression (got "%X([\\"a\\" \\"b\\"])%")',
    ],
    ["%X([a])%", `must quote the arguments of a %VARIABLE([...])% expression with '"' (got "%X([a])%")`],
    [
      '%X(["a"] x)%',
      'must close the arguments of a %VARIABLE(...)% expression with ")" (got "%X([\\"a\\"] x)%")',
    ],
    ["%X(a) x%", 'must end a %VARIABLE(...)% expression with "%" (got "%X(a) x%")'],
    ['%X(["a\\', 'must not end with an unfinished backslash escape (got "%X([\\"a\\\\")'],
    ["line\nbreak", 'must not contain control characters other than tab (got "line\\nbreak")'],
  ];
  assert.deepEqual(
    cases.map(([value]) => [value, headerValueProblem(value)]),
    cases,
  );
});
