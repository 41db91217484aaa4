/**
 * The service with the Baileys adapter on a fake socket, as its own process, for kill tests
 * (catch-up-crash.test.ts). WhatsApp plays COUNT messages (ids `<PREFIX><n>`) to a linked device:
 * `append`, an offline catch-up into rc14's buffer that waits for `<ib><offline>`; `notify`, live
 * traffic on four chats at once. Each receipt is written to RECEIPTS before rc14 would emit the
 * message (fake-socket.ts receive()), where a SIGKILL of this process cannot take it back; messages
 * already receipted are not played again, as WhatsApp does not send them again.
 * Prints `PLAYING` when the first message goes and `DONE` when all were played.
 */
import { openSync, readFileSync, writeSync } from 'node:fs';
import { waMessage } from './fake-socket.js';
import { startHarness, untilConnected } from './harness.js';

const { AUTH_DIR, DATA_DIR, WEBHOOK_URL, RECEIPTS, COUNT = '500', PREFIX = 'M', TYPE = 'append' } = process.env;
const type = TYPE === 'notify' ? 'notify' : 'append';
const receipted = new Set(readFileSync(RECEIPTS!, 'utf8').split('\n').map((line) => line.split(' ')[0]));
const receipts = openSync(RECEIPTS!, 'a');

const h = await startHarness(WEBHOOK_URL!, { authDir: AUTH_DIR, dataDir: DATA_DIR });
process.on('SIGTERM', () => void h.close(true).then(() => process.exit(0))); // what main.ts does: service.stop()
const socket = h.socket();
socket.open('4930123456', { holdOffline: true });
await untilConnected(h);

const chats = ['4915200000001', '4915200000002', '4915200000003', '4915200000004'];
const todo = Array.from({ length: Number(COUNT) }, (_, n) => n).filter((n) => !receipted.has(`${PREFIX}${n}`));
const play = async (n: number) =>
  socket.receive(waMessage({ id: `${PREFIX}${n}`, from: `${chats[n % 4]}@s.whatsapp.net`, message: { conversation: `Nachricht ${n}` } }), {
    type,
    processingMs: type === 'append' ? 1 : 20, // decrypting; live messages are handled side by side
    onReceipt: (id) => writeSync(receipts, `${id} ${Date.now()}\n`),
  });

console.log('PLAYING');
if (type === 'append') {
  // rc14's offline queue: one node after the other, yielding to the event loop in between (Socket/messages-recv.js:1578-1587).
  for (const n of todo) {
    if (!(await play(n))) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  socket.offlineDone();
} else {
  await Promise.all(chats.map(async (_, lane) => {
    for (const n of todo.filter((m) => m % 4 === lane)) if (!(await play(n))) return;
  }));
}
console.log('DONE');
