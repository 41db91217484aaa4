import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.js';
import { SECRET, startService } from '../helpers/service.js';
import { Receiver } from '../helpers/receiver.js';

test('a stop ends the transport first, whatever a slow request on the API is doing', async () => {
  const receiver = new Receiver(SECRET);
  const transport = new SandboxTransport();
  let transportStoppedAt = 0;
  const stop = transport.stop.bind(transport);
  transport.stop = async () => {
    transportStoppedAt = Date.now();
    return stop();
  };
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { transport: () => transport, tuning: { headersTimeoutMs: 60_000 } });
  // A client that sends half a request and waits (a slow upload): the HTTP server cannot close while it lasts.
  const port = Number(new URL(running.url).port);
  const slow = connect(port, '127.0.0.1', () => slow.write('POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"phone":'));
  slow.on('error', () => {});
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = Date.now();
  await running.stop();
  slow.destroy();
  await receiver.stop();
  assert.ok(transportStoppedAt > 0 && transportStoppedAt - started < 500, `the transport stopped ${transportStoppedAt - started} ms after the stop began`);
});
