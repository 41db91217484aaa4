import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { encryptedStream, type proto } from 'baileys';
import { API_KEY, SECRET, api } from '../../helpers/service.js';
import { Receiver, waitFor } from '../../helpers/receiver.js';
import { waMessage } from './fake-socket.js';
import { connectedHarness, startHarness, untilConnected, type Harness } from './harness.js';

// WhatsApp's media servers, played on loopback: encrypted files as Baileys' own encryptedStream makes them.
const files = new Map<string, Buffer>();
const requests: string[] = [];
/** Statuses a path answers first, one per request, before it answers as usual. */
const troubles = new Map<string, number[]>();
let server: Server;
let base: string;
let receiver: Receiver;
let webhookUrl: string;
before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    const trouble = troubles.get(req.url!)?.shift();
    if (trouble) return void res.writeHead(trouble).end('trouble');
    const body = files.get(req.url!);
    res.writeHead(body ? 200 : 410).end(body ?? 'gone');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver = new Receiver(SECRET);
  webhookUrl = await receiver.start();
});
after(async () => {
  server.close();
  await receiver.stop();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** An encrypted upload, and the media fields a real message carries for it (no directPath: see fake-socket.ts). */
async function upload(plain: Buffer, kind: 'image' | 'audio' | 'document', path: string) {
  const encrypted = await encryptedStream(plain, kind);
  files.set(path, await readFile(encrypted.encFilePath));
  await unlink(encrypted.encFilePath);
  return { url: `${base}${path}`, mediaKey: encrypted.mediaKey, fileEncSha256: encrypted.fileEncSha256, fileSha256: encrypted.fileSha256, fileLength: encrypted.fileLength };
}

async function connected(env: Record<string, string> = {}): Promise<Harness> {
  receiver.received.length = 0;
  return connectedHarness(webhookUrl, { env });
}
const from = '4917012345678@s.whatsapp.net';

test('a photo, a voice note and a document arrive encrypted, are decrypted, stored and described; the bytes are served on /media', async () => {
  const h = await connected();
  try {
    const photo = randomBytes(150_000);
    const voice = randomBytes(20_000);
    const pdf = randomBytes(40_000);
    const messages: proto.IMessage[] = [
      { imageMessage: { ...(await upload(photo, 'image', '/photo')), mimetype: 'image/jpeg', caption: 'Fehler am Drucker' } },
      { audioMessage: { ...(await upload(voice, 'audio', '/voice')), mimetype: 'audio/ogg; codecs=opus', ptt: true } },
      { documentWithCaptionMessage: { message: { documentMessage: { ...(await upload(pdf, 'document', '/pdf')), mimetype: 'application/pdf', fileName: 'Rechnung.pdf', caption: 'die Rechnung' } } } },
    ];
    h.socket().deliver(messages.map((message, i) => waMessage({ id: `M${i}`, from, message })));
    await waitFor(() => receiver.messages().length === 3, 'three delivered');
    const [p, v, d] = receiver.messages();
    assert.deepEqual([p.type, p.text, p.media.mimetype, p.media.size, p.media.sha256], ['image', 'Fehler am Drucker', 'image/jpeg', photo.length, sha256(photo)]);
    assert.deepEqual([v.type, v.media.mimetype, v.media.sha256], ['audio', 'audio/ogg', sha256(voice)]);
    assert.match(v.media.filename, /\.ogg$/);
    assert.deepEqual([d.type, d.text, d.media.filename, d.media.sha256], ['document', 'die Rechnung', 'Rechnung.pdf', sha256(pdf)]);
    const served = await fetch(`${h.running.url}/media/${p.media.id}`, { headers: { 'X-API-Key': API_KEY } });
    assert.equal(sha256(Buffer.from(await served.arrayBuffer())), sha256(photo));
  } finally {
    await h.close();
  }
});

test('an expired file (410) is asked for again from the phone and then downloaded; one the phone cannot send is described as expired', async () => {
  const h = await connected();
  try {
    const plain = randomBytes(10_000);
    const fields = await upload(plain, 'image', '/renewed');
    h.socket().reuploadedUrl = fields.url;
    h.socket().deliver([waMessage({ id: 'E1', from, message: { imageMessage: { ...fields, url: `${base}/expired`, mimetype: 'image/jpeg' } } })]);
    await waitFor(() => receiver.messages().length === 1, 'delivered');
    assert.equal(receiver.messages()[0].media.sha256, sha256(plain));
    assert.equal(h.socket().reuploadRequests, 1);

    h.socket().reuploadedUrl = null;
    h.socket().deliver([waMessage({ id: 'E2', from, message: { imageMessage: { ...fields, url: `${base}/expired-too`, mimetype: 'image/jpeg' } } })]);
    await waitFor(() => receiver.messages().length === 2, 'delivered without the file');
    assert.equal(receiver.messages()[1].media.error, 'expired');
  } finally {
    await h.close();
  }
});

test('an expired file while our phone is offline (no answer to the re-upload request) is asked for again later, not given up after one try', async () => {
  const h = await startHarness(webhookUrl, { reuploadTimeoutMs: 200, tuning: { mediaBackoff: { baseMs: 300, maxMs: 300 }, mediaHoldMs: 60_000 } });
  try {
    h.socket().open();
    await untilConnected(h);
    const plain = randomBytes(10_000);
    const fields = await upload(plain, 'image', '/renewed-later');
    h.socket().phoneOffline = true;
    h.socket().deliver([waMessage({ id: 'OFF1', from, message: { imageMessage: { ...fields, url: `${base}/expired-offline`, mimetype: 'image/jpeg' } } })]);
    await waitFor(() => h.socket().reuploadRequests >= 2, 'asked again after no answer', 5_000);
    assert.equal(receiver.messages().filter((m) => m.id === 'OFF1').length, 0, 'not given up as expired');
    // The phone is back online and answers the next request.
    h.socket().phoneOffline = false;
    h.socket().reuploadedUrl = fields.url;
    await waitFor(() => receiver.messages().some((m) => m.id === 'OFF1'), 'delivered', 10_000);
    assert.equal(receiver.messages().find((m) => m.id === 'OFF1').media.sha256, sha256(plain));
  } finally {
    await h.close();
  }
});

test('a download that fails while the socket goes down waits for the connection, then asks the phone for the expired file and delivers it', async () => {
  receiver.received.length = 0;
  const h = await startHarness(webhookUrl, { tuning: { mediaBackoff: { baseMs: 300, maxMs: 300 } } });
  try {
    h.socket().open();
    await untilConnected(h);
    const plain = randomBytes(20_000);
    const fields = await upload(plain, 'image', '/renewed-later');
    troubles.set('/expires', [503]); // the media server hiccups once, and then the file has expired (410)
    requests.length = 0;
    h.socket().deliver([waMessage({ id: 'R1', from, message: { imageMessage: { ...fields, url: `${base}/expires`, mimetype: 'image/jpeg' } } })]);
    await waitFor(() => requests.length === 1, 'first attempt');
    h.socket().close(428, 'Connection Closed');
    await waitFor(() => h.sockets.length === 2, 'a new socket, not yet open');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(requests.length, 1, 'no attempt while WhatsApp is not connected: an expired file needs the phone');
    assert.equal(receiver.messages().length, 0);

    const next = h.socket();
    next.reuploadedUrl = fields.url;
    next.open();
    await waitFor(() => receiver.messages().length === 1, 'delivered after the re-upload');
    assert.equal(receiver.messages()[0].media.sha256, sha256(plain));
    assert.equal(next.reuploadRequests, 1, 'asked the phone on the live socket');
  } finally {
    await h.close();
  }
});

test('a file WhatsApp declares larger than MEDIA_MAX_MB is not downloaded at all', async () => {
  const h = await connected({ MEDIA_MAX_MB: '1' });
  try {
    requests.length = 0;
    const fields = await upload(randomBytes(1000), 'image', '/declared-big');
    h.socket().deliver([waMessage({ id: 'B1', from, message: { imageMessage: { ...fields, fileLength: 5 * 1024 * 1024, mimetype: 'image/jpeg' } } })]);
    await waitFor(() => receiver.messages().length === 1, 'delivered');
    assert.deepEqual([receiver.messages()[0].media.error, receiver.messages()[0].media.size], ['too_large', 5 * 1024 * 1024]);
    assert.deepEqual(requests, [], 'never fetched');
  } finally {
    await h.close();
  }
});

test('agents\' files go out as Baileys content: PNG/JPEG as images, anything else as a document with its name, under the derived id', async () => {
  const h = await connected();
  try {
    const send = (key: string, media: object) => api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917012345678', key, media }) });
    await send('f1', { filename: 'bild.png', mimetype: 'image/png', data: randomBytes(500).toString('base64') });
    await send('f2', { filename: 'Anleitung.pdf', mimetype: 'application/pdf', data: randomBytes(700).toString('base64') });
    await waitFor(() => h.socket().sent.length === 2, 'both sent');
    const [image, document] = h.socket().sent;
    assert.ok(image!.content && 'image' in image!.content && image!.content.image.length === 500);
    assert.ok(document!.content && 'document' in document!.content);
    assert.deepEqual([document!.content.fileName, document!.content.mimetype, document!.content.document.length], ['Anleitung.pdf', 'application/pdf', 700]);
    assert.match(image!.id, /^3EB0[0-9A-F]{18}$/);
  } finally {
    await h.close();
  }
});
