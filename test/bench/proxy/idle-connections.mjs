// Opens COUNT keep-alive connections to 127.0.0.1:PORT, sends one request on each (so every
// connection has been accepted, parsed and routed, as an idle client connection is in production),
// prints "open N" once every answer has arrived, and holds the connections until stdin closes or
// HOLD_SECONDS pass. Usage: node idle-connections.mjs PORT COUNT HOLD_SECONDS HOST PATH
import net from "node:net";

const [port, count, holdSeconds] = process.argv.slice(2, 5).map(Number);
const host = process.argv[5] ?? "bench.example.com";
const path = process.argv[6] ?? "/api/idle";
const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
const sockets = [];
let answered = 0;
let closed = 0;

const giveUp = setTimeout(
  () => finish(`timed out with ${answered} of ${count} answered`),
  holdSeconds * 1000,
);

function finish(message) {
  if (message) process.stderr.write(`idle-connections: ${message}\n`);
  clearTimeout(giveUp);
  for (const s of sockets) s.destroy();
  process.exit(message ? 1 : 0);
}

// Connect in batches so the listen backlog is never the limit being measured.
async function open() {
  for (let i = 0; i < count; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      batch.push(
        new Promise((resolve) => {
          const s = net.connect(port, "127.0.0.1");
          sockets.push(s);
          let seen = false;
          s.on("data", () => {
            if (!seen) {
              seen = true;
              answered++;
              resolve();
            }
          });
          s.on("error", () => {});
          s.on("close", () => {
            closed++;
            if (!seen) resolve();
          });
          s.write(request);
        }),
      );
    }
    await Promise.all(batch);
  }
  process.stdout.write(`open ${answered - closed}\n`);
}

process.stdin.on("end", () => finish());
process.stdin.on("close", () => finish());
process.stdin.resume();
void open();
