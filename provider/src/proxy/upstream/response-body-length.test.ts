import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentLengthFraming } from "./response-body-length";

describe("contentLengthFraming", () => {
  it("gives the content-length, whatever the name's case and the blanks around the value", () => {
    assert.equal(contentLengthFraming(["Server", "nginx", "Content-Length", "12"]), 12);
    assert.equal(contentLengthFraming(["content-length", " \t7 "]), 7);
    assert.equal(contentLengthFraming(["CONTENT-LENGTH", "0"]), 0);
    assert.equal(contentLengthFraming(["content-length", "9007199254740991"]), 9007199254740991);
  });

  it("takes a repeated content-length only when every value is the same", () => {
    assert.equal(contentLengthFraming(["content-length", "5", "Content-Length", "5"]), 5);
    assert.equal(contentLengthFraming(["content-length", "5", "content-length", "6"]), undefined);
  });

  it("leaves chunked and connection-delimited bodies to llhttp", () => {
    assert.equal(contentLengthFraming(["transfer-encoding", "chunked"]), undefined);
    assert.equal(contentLengthFraming(["Content-Length", "3", "Transfer-Encoding", "chunked"]), undefined);
    assert.equal(contentLengthFraming(["Transfer-Encoding", "identity", "Content-Length", "3"]), undefined);
    assert.equal(contentLengthFraming(["server", "x"]), undefined);
    assert.equal(contentLengthFraming([]), undefined);
  });

  it("leaves a value that is not plain digits, or too large to count exactly, to llhttp", () => {
    for (const value of ["", " ", "+5", "-1", "1e3", "0x10", "5,5", "5 5", "١٢", "9007199254740992"])
      assert.equal(contentLengthFraming(["content-length", value]), undefined, JSON.stringify(value));
  });

  it("ignores names that only resemble the two", () => {
    assert.equal(contentLengthFraming(["content-lengths", "3", "x-content-length", "4"]), undefined);
    assert.equal(contentLengthFraming(["transfer-encodingx", "chunked", "content-length", "2"]), 2);
  });

  it("ignores a name left without its value", () => {
    assert.equal(contentLengthFraming(["content-length", "4", "transfer-encoding"]), 4);
  });
});
