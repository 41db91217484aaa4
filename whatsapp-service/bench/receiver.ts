// A webhook receiver in its own process that acknowledges at once and notes
// when each message arrived; the bench asks for the notes over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let arrivals: Array<[string, number]> = [];
let down = false; // 'down' / 'up' over IPC: an osTicket outage for bench/drain.ts
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (down) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      return res.end('{"error":{"code":"unavailable","message":"down for the bench"}}');
    }
    const at = performance.timeOrigin + performance.now();
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (event.event === 'message') arrivals.push([event.message.id, at]);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true,"replies":[]}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (message) => {
  if (message === 'count') {
    process.send!({ count: arrivals.length });
  } else if (message === 'report') {
    process.send!({ arrivals });
    arrivals = [];
  } else if (message === 'down' || message === 'up') {
    down = message === 'down';
    process.send!({ down });
  } else if (message === 'exit') {
    process.exit(0);
  }
});
