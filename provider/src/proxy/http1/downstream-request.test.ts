import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import type { BodyFlow } from "./downstream-request";
import { Http1Request } from "./downstream-request";

/** A flow that counts what the request asks of the socket. */
function flow(): BodyFlow & { pauses: number; resumes: number } {
  const f = {
    pauses: 0,
    resumes: 0,
    pauseBody: () => void f.pauses++,
    resumeBody: () => void f.resumes++,
  };
  return f;
}

function request(f: BodyFlow): Http1Request {
  return new Http1Request({} as Socket, "POST", "/upload", { "content-length": "5" }, 1, f);
}

async function read(body: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of body) text += String(chunk);
  return text;
}

test("bytes that arrive before anyone asks for the body are read from it, then its end", async () => {
  const req = request(flow());
  req.receive(Buffer.from("hel"));
  req.receive(Buffer.from("lo"));
  req.receiveEnd();
  assert.equal(req.complete, true);
  assert.equal(await read(req.body), "hello");
});

test("a body asked for after a request without one ended is an empty stream that ends", async () => {
  const req = request(flow());
  req.receiveEnd();
  assert.equal(await read(req.body), "");
  assert.equal(req.body, req.body);
});

test("a full body buffer pauses the socket, and reading it resumes the socket", async () => {
  const f = flow();
  const req = request(f);
  req.receive(Buffer.alloc(32 * 1024));
  assert.equal(f.pauses, 1);
  const resumesBefore = f.resumes;
  req.body.read();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(f.resumes > resumesBefore);
});

test("a connection closed mid-body: readers see aborted, then the stream closes", async () => {
  const req = request(flow());
  req.receive(Buffer.from("he"));
  const body = req.body;
  const aborted = once(body, "aborted");
  const closed = once(body, "close");
  req.abort();
  await aborted;
  await closed;
  assert.equal(req.aborted, true);
  assert.equal(body.destroyed, true);
});

test("a body first asked for after the connection closed is aborted and closed too", async () => {
  const req = request(flow());
  req.abort();
  const body = req.body;
  await Promise.all([once(body, "aborted"), once(body, "close")]);
  assert.equal(body.destroyed, true);
});

test("a request read to its end is not aborted by the connection's close", async () => {
  const req = request(flow());
  req.receive(Buffer.from("hello"));
  req.receiveEnd();
  req.abort();
  assert.equal(req.aborted, false);
  assert.equal(await read(req.body), "hello");
});
