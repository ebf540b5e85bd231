/**
 * Header values Envoy will accept in header operations: no control characters but TAB, and
 * Envoy's formatter syntax, where `%` opens a `%VARIABLE%` or `%VARIABLE(args)%` expression and
 * `%%` is a literal percent sign. A port of the state machine of Envoy's `header_parser.cc`, as
 * Istio ports it; it checks the syntax only, not the variable names.
 */

// Every C0 control character but TAB (0x09), and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const State = {
  Literal: 0,
  VariableName: 1,
  ExpectArray: 2,
  ExpectString: 3,
  String: 4,
  ExpectArrayDelimiterOrEnd: 5,
  ExpectArgsEnd: 6,
  ExpectVariableEnd: 7,
} as const;
type State = (typeof State)[keyof typeof State];

/** Why `value` is not a valid header value for Envoy, or undefined. */
export function headerValueProblem(value: string): string | undefined {
  if (CONTROL.test(value)) {
    return `must not contain control characters other than tab (got ${JSON.stringify(value)})`;
  }
  const syntax = formatterProblem(value);
  return syntax === undefined ? undefined : `${syntax} (got ${JSON.stringify(value)})`;
}

function formatterProblem(value: string): string | undefined {
  let state: State = State.Literal;
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos];
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case State.Literal:
        if (ch !== "%") break;
        if (!hasNext) return 'must escape a literal "%" as "%%"';
        if (value[pos + 1] === "%") {
          pos++;
          break;
        }
        state = State.VariableName;
        break;
      case State.VariableName:
        if (ch === "%") state = State.Literal;
        else if (ch === "(") state = State.ExpectArray;
        break;
      case State.ExpectArray:
        if (ch === "[") state = State.ExpectString;
        else if (ch !== " ") state = State.String;
        break;
      case State.ExpectArrayDelimiterOrEnd:
        if (ch === ",") state = State.ExpectString;
        else if (ch === "]") state = State.ExpectArgsEnd;
        else if (ch !== " ") return `must have "," or "]" after an argument of a %VARIABLE(...)% expression`;
        break;
      case State.ExpectString:
        if (ch === '"') state = State.String;
        else if (ch !== " ") return `must quote the arguments of a %VARIABLE([...])% expression with '"'`;
        break;
      case State.String:
        if (ch === "\\") {
          if (!hasNext) return "must not end with an unfinished backslash escape";
          pos++;
        } else if (ch === ")") state = State.ExpectVariableEnd;
        else if (ch === '"') state = State.ExpectArrayDelimiterOrEnd;
        break;
      case State.ExpectArgsEnd:
        if (ch === ")") state = State.ExpectVariableEnd;
        else if (ch !== " ") return `must close the arguments of a %VARIABLE(...)% expression with ")"`;
        break;
      case State.ExpectVariableEnd:
        if (ch === "%") state = State.Literal;
        else if (ch !== " ") return `must end a %VARIABLE(...)% expression with "%"`;
        break;
    }
  }
  if (state !== State.Literal) {
    return 'must close every %VARIABLE% expression with "%" (write "%%" for a literal "%")';
  }
  return undefined;
}
