/**
 * npm run bench: inbound throughput and the latency the service adds.
 * sandbox transport -> service (SQLite queue, signed POST) -> a receiver in
 * another process that acknowledges at once; the same load through a bare
 * forwarder (signed POST straight away, no store, no per-chat order) gives
 * the baseline, measured in the same run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createService } from '../src/service.js';
import { SandboxTransport } from '../src/transport/sandbox/sandbox-transport.js';
import type { InboundMessage } from '../src/transport/transport.js';
import { postEvent } from '../src/webhook/client.js';
import { messageEvent } from '../src/webhook/events.js';

const BURST = Number(process.env.BENCH_BURST ?? 5000);
const PACED = Number(process.env.BENCH_PACED ?? 2000);
const PACED_RATE = Number(process.env.BENCH_RATE ?? 500); // messages per second
const CHATS = 200;
const SECRET = 'bench-secret-0123456789abcdef';

const now = () => performance.timeOrigin + performance.now();
type Inject = (message: InboundMessage) => Promise<void>;

function message(run: string, n: number): InboundMessage {
  return {
    id: `${run}-${n}`, chat: String(4915000000000 + (n % CHATS)), phone: String(4915000000000 + (n % CHATS)),
    name: 'Bench', timestamp: Math.floor(Date.now() / 1000), type: 'text', text: `Nachricht ${n} 😀`, edited: false,
  };
}

interface ReceiverProcess {
  child: ChildProcess;
  url: string;
  /** Messages arrived since the last report. */
  count(): Promise<number>;
  /** Arrival time of each message since the last report; starts a new count. */
  report(): Promise<Map<string, number>>;
}

async function startReceiver(): Promise<ReceiverProcess> {
  const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  return {
    child,
    url: `http://127.0.0.1:${port}/webhook`,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { count: number }).count));
        child.send('count');
      }),
    report: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(new Map((m as { arrivals: Array<[string, number]> }).arrivals)));
        child.send('report');
      }),
  };
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Figures {
  throughput: number;
  p50: number;
  p99: number;
  max: number;
}

async function measure(run: string, inject: Inject, receiver: ReceiverProcess): Promise<Figures> {
  // Throughput: a burst injected as fast as the transport can hand it over.
  const start = now();
  for (let n = 0; n < BURST; n++) await inject(message(`${run}-burst`, n));
  await waitUntil(async () => (await receiver.count()) >= BURST);
  const throughput = BURST / ((now() - start) / 1000);
  await receiver.report();

  // Latency: a steady stream well below capacity, each message timed from hand-over to arrival.
  const sentAt = new Map<string, number>();
  const interval = 1000 / PACED_RATE;
  const pacedStart = now();
  for (let n = 0; n < PACED; n++) {
    const due = pacedStart + n * interval;
    while (now() < due) await new Promise((resolve) => setImmediate(resolve));
    const m = message(`${run}-paced`, n);
    sentAt.set(m.id, now());
    await inject(m);
  }
  await waitUntil(async () => (await receiver.count()) >= PACED);
  const arrivals = await receiver.report();
  const latencies = [...sentAt].map(([id, at]) => (arrivals.get(id) ?? NaN) - at).sort((a, b) => a - b);
  if (latencies.some(Number.isNaN)) throw new Error('a message did not arrive');
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { throughput, p50: pick(0.5), p99: pick(0.99), max: latencies[latencies.length - 1]! };
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-'));
  try {
    // The service with its defaults (DELIVERY_CONCURRENCY 4, SQLite WAL).
    const parsed = parseConfig({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir, PORT: '0', TRANSPORT: 'sandbox' }, process.cwd());
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const sandbox = new SandboxTransport();
    const service = await createService(parsed.config, createLogger('silent'), () => sandbox);
    await service.start();
    const viaService = await measure('service', async (m) => void (await sandbox.receive({ ...m, media: undefined })), receiver);
    await service.stop();

    // The bare forwarder: same signing and HTTP client, same concurrency bound, nothing stored.
    let active = 0;
    const waiting: Array<() => void> = [];
    const target = { url: receiver.url, secret: SECRET, timeoutMs: 15_000 };
    const bare: Inject = async (m) => {
      const payload = messageEvent(m);
      void (async () => {
        while (active >= parsed.config.deliveryConcurrency) await new Promise<void>((resolve) => waiting.push(resolve));
        active++;
        await postEvent(target, { id: 0, kind: 'message', payload });
        active--;
        waiting.shift()?.();
      })();
    };
    const viaBare = await measure('bare', bare, receiver);

    const rows = [
      ['', 'messages/s', 'p50 ms', 'p99 ms', 'max ms'],
      ['service (durable queue)', viaService.throughput.toFixed(0), viaService.p50.toFixed(2), viaService.p99.toFixed(2), viaService.max.toFixed(2)],
      ['bare forwarder', viaBare.throughput.toFixed(0), viaBare.p50.toFixed(2), viaBare.p99.toFixed(2), viaBare.max.toFixed(2)],
    ];
    console.log(`Inbound: burst of ${BURST} messages over ${CHATS} chats; latency over ${PACED} messages at ${PACED_RATE}/s.`);
    for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(24) : cell.padStart(11))).join(''));
    console.log(`throughput ratio service/bare: ${(viaService.throughput / viaBare.throughput).toFixed(2)}`);
    console.log(`latency added by the service: p50 ${(viaService.p50 - viaBare.p50).toFixed(2)} ms, p99 ${(viaService.p99 - viaBare.p99).toFixed(2)} ms`);
    console.log(`peak memory (RSS) of the bench process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; Node ${process.version}`);
  } finally {
    receiver.child.send('exit');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
