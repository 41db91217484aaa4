/**
 * npm run bench (second part): how fast a backlog drains after an outage.
 * A burst of BENCH_DRAIN_MESSAGES over BENCH_DRAIN_CHATS chats; halfway
 * through, the webhook (a real HTTP receiver in its own process) answers 503
 * for BENCH_OUTAGE_S seconds. Printed: the time from the webhook being back
 * to the last message delivered. The service runs with its defaults.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createService } from '../src/service.js';
import { SandboxTransport } from '../src/transport/sandbox/sandbox-transport.js';

const MESSAGES = Number(process.env.BENCH_DRAIN_MESSAGES ?? 200);
const CHATS = Number(process.env.BENCH_DRAIN_CHATS ?? 40);
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 60);
const SECRET = 'bench-secret-0123456789abcdef';

const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
const ask = <T>(message: string): Promise<T> =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });
const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-drain-'));
try {
  const parsed = parseConfig({ WEBHOOK_URL: `http://127.0.0.1:${port}/webhook`, WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir, PORT: '0', TRANSPORT: 'sandbox' }, process.cwd());
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const sandbox = new SandboxTransport();
  const service = await createService(parsed.config, createLogger('silent'), () => sandbox);
  await service.start();
  const say = (n: number) => sandbox.receive({ chat: String(4915100000000 + (n % CHATS)), name: 'Bench', text: `Nachricht ${n}`, type: 'text', id: `drain-${n}` });

  for (let n = 0; n < MESSAGES / 2; n++) await say(n);
  await ask('down');
  const downAt = Date.now();
  for (let n = MESSAGES / 2; n < MESSAGES; n++) {
    await say(n);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the rest of the burst arrives during the outage
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_S * 1000 - (Date.now() - downAt))));
  await ask('up');
  const upAt = Date.now();
  let delivered = 0;
  while (delivered < MESSAGES) {
    delivered += (await ask<{ arrivals: Array<[string, number]> }>('report')).arrivals.length;
    if (Date.now() - upAt > 600_000) throw new Error('the backlog did not drain within 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const drained = (Date.now() - upAt) / 1000;
  const pending = service.gateway.queueDepths().events.pending;
  await service.stop();
  console.log(`Drain: ${MESSAGES} messages over ${CHATS} chats, webhook down ${OUTAGE_S} s in the middle of the burst.`);
  console.log(`all delivered ${drained.toFixed(1)} s after the webhook was back (target: within 15 s); still pending: ${pending}`);
} finally {
  child.send('exit');
  rmSync(dataDir, { recursive: true, force: true });
}
