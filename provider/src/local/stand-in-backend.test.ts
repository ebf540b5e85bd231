import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { startStandInBackend } from "./stand-in-backend";

function request(port: number, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("stand-in backend", () => {
  it("answers with its service, version, method and path, and stops listening when closed", async () => {
    const backend = await startStandInBackend("reviews", "v2");
    assert.deepEqual(await request(backend.port, "POST", "/reviews/7?x=1"), {
      status: 200,
      body: "reviews v2: POST /reviews/7?x=1\n",
    });
    await backend.close();
    await assert.rejects(request(backend.port, "GET", "/"), { code: "ECONNREFUSED" });
  });
});
