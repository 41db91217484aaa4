/**
 * npm run bench (third part): memory while files sent to LID addresses wait for
 * their receipts. Each may have to be sent once more to the phone number (479),
 * so the transport remembers it until it is delivered, at most 200. Printed: the
 * process's RSS with BENCH_LID_FILES files of BENCH_LID_MB MB pending. The real
 * Baileys adapter on the test suite's fake socket (rc14's event buffer); the files
 * go through the real media store on disk.
 */
import { rmSync } from 'node:fs';
import { Receiver, waitFor } from '../test/helpers/receiver.js';
import { SECRET } from '../test/helpers/service.js';
import { startHarness, untilConnected } from '../test/transport/baileys/harness.js';

const FILES = Number(process.env.BENCH_LID_FILES ?? 200);
const MB = Number(process.env.BENCH_LID_MB ?? 16);

const receiver = new Receiver(SECRET);
const h = await startHarness(await receiver.start(), { env: { SEND_INTERVAL_MS: '0', MEDIA_MAX_MB: String(MB + 1) } });
const socket = h.socket();
socket.keepSentFiles = false;
socket.open();
await untilConnected(h);

let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const started = Date.now();
for (let i = 0; i < FILES; i++) {
  const phone = `49170${String(i).padStart(7, '0')}`;
  socket.ev.emit('lid-mapping.update', { lid: `7${String(i).padStart(14, '0')}@lid`, pn: `${phone}@s.whatsapp.net` } as never);
  // A fresh buffer each time, as each upload is; filled so that it is not shared zero pages.
  const data = Buffer.alloc(MB * 1024 * 1024, i % 251);
  h.running.service.gateway.send({ chat: phone, text: '', key: `bench:${i}`, media: { filename: `plan-${i}.pdf`, mimetype: 'application/pdf', data } });
  await waitFor(() => socket.sent.length === i + 1, `file ${i + 1} sent`, 60_000);
}
const seconds = (Date.now() - started) / 1000;
(globalThis as { gc?: () => void }).gc?.();
await new Promise((resolve) => setTimeout(resolve, 200));
const rss = process.memoryUsage().rss;
clearInterval(sample);
const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
console.log(`LID resends pending: ${FILES} files of ${MB} MB sent to LID addresses, none delivered yet (${seconds.toFixed(1)} s)`);
console.log(`  RSS now ${mib(rss)}${(globalThis as { gc?: unknown }).gc ? ' after GC' : ''}, peak ${mib(peak)} (target: under 300 MB now; kept in memory they would be ${mib(FILES * MB * 1048576)})`);
await h.close();
await receiver.stop();
rmSync(h.running.dataDir, { recursive: true, force: true });
