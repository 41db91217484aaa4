import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { mediaFileName } from '../../src/media/file-name.js';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.js';
import { MediaError } from '../../src/transport/transport.js';
import { API_KEY, SECRET, api, customerSays, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

/** Retries fast enough for a test; the file still fails for longer than the hold. */
const FAST_MEDIA = { baseMs: 20, maxMs: 60 };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const file = (size: number, seed = 7) => Buffer.from(Array.from({ length: size }, (_, i) => (i * seed + 13) % 256));
const sendFile = (url: string, phone: string, media: { filename: string; mimetype: string; data: Buffer }, extra: Record<string, unknown> = {}) =>
  customerSays(url, phone, (extra.text as string) ?? '', { ...extra, media: { ...media, data: media.data.toString('base64') } });

/** A sandbox whose downloads fail `failures` times first (or hang when `hang`). */
class FlakySandbox extends SandboxTransport {
  constructor(private failures: number, private readonly hang = false) {
    super();
  }
  override async downloadMedia(source: string): Promise<Buffer> {
    if (this.hang) return new Promise<Buffer>(() => {});
    if (this.failures-- > 0) throw new MediaError('media server answered 503', 'download_failed', true);
    return super.downloadMedia(source);
  }
}

test('a photo with caption: stored with type, size and sha256, described in the event, served on /media/<id> with the API key', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    const photo = file(300_000);
    await sendFile(running.url, '4917100000001', { filename: '', mimetype: 'image/jpeg', data: photo }, { text: 'Der Drucker' });
    await waitFor(() => receiver.messages().length === 1, 'delivered');
    const [message] = receiver.messages();
    assert.equal(message.type, 'image');
    assert.equal(message.text, 'Der Drucker');
    assert.deepEqual({ ...message.media, id: undefined }, { id: undefined, mimetype: 'image/jpeg', filename: message.media.filename, size: photo.length, sha256: sha256(photo) });
    assert.match(message.media.filename, /^photo-\d{8}-\d{6}\.jpg$/);

    const served = await fetch(`${running.url}/media/${message.media.id}`, { headers: { 'X-API-Key': API_KEY } });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/jpeg');
    assert.equal(served.headers.get('x-content-sha256'), sha256(photo));
    assert.equal(sha256(Buffer.from(await served.arrayBuffer())), sha256(photo));
    assert.equal((await fetch(`${running.url}/media/${message.media.id}`)).status, 401, 'never without the key');
    assert.equal((await api(`${running.url}/media/0123456789abcdef0123456789abcdef`)).status, 404);
    assert.equal((await api(`${running.url}/media/../whatsapp-service.sqlite`)).status, 404);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a voice note keeps .ogg, a document its (cleaned) name; a file over MEDIA_MAX_MB is described, not kept, and the chat goes on', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start(), MEDIA_MAX_MB: '1' });
  try {
    await sendFile(running.url, '4917100000002', { filename: '', mimetype: 'audio/ogg; codecs=opus', data: file(5_000) });
    await sendFile(running.url, '4917100000002', { filename: '../../etc/Rechnung <März>.pdf', mimetype: 'application/pdf', data: file(9_000) });
    await sendFile(running.url, '4917100000002', { filename: 'gross.mp4', mimetype: 'video/mp4', data: file(1_200_000) });
    await customerSays(running.url, '4917100000002', 'danach');
    await waitFor(() => receiver.messages().length === 4, 'all four delivered');
    const [voice, pdf, big, after] = receiver.messages();
    assert.equal(voice.type, 'audio');
    assert.match(voice.media.filename, /^audio-.*\.ogg$/);
    assert.equal(voice.media.mimetype, 'audio/ogg');
    assert.equal(pdf.media.filename, 'Rechnung März.pdf');
    assert.deepEqual([big.type, big.media.error, big.media.filename, big.media.size], ['video', 'too_large', 'gross.mp4', 1_200_000]);
    assert.equal(big.media.id, undefined);
    assert.equal(after.text, 'danach');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a download that fails passes is retried; a file that cannot be had is described and the chat goes on at once', async () => {
  const receiver = new Receiver(SECRET);
  const webhook = await receiver.start();
  const retried = await startService({ WEBHOOK_URL: webhook }, { transport: () => new FlakySandbox(2), tuning: { mediaBackoff: FAST_MEDIA } });
  try {
    await sendFile(retried.url, '4917100000003', { filename: 'a.png', mimetype: 'image/png', data: file(1000) });
    await waitFor(() => receiver.messages().length === 1, 'delivered after retries');
    assert.equal(receiver.messages()[0].media.sha256, sha256(file(1000)));
  } finally {
    await retried.stop();
  }
  receiver.received.length = 0;
  const gone = new FlakySandbox(0);
  gone.downloadMedia = async () => {
    throw new MediaError('the file expired and the phone did not send it again', 'expired', false);
  };
  const failing = await startService({ WEBHOOK_URL: webhook }, { transport: () => gone });
  try {
    await sendFile(failing.url, '4917100000004', { filename: 'b.png', mimetype: 'image/png', data: file(1000) });
    await customerSays(failing.url, '4917100000004', 'noch da');
    await waitFor(() => receiver.messages().length === 2, 'both delivered');
    assert.deepEqual([receiver.messages()[0].media.error, receiver.messages()[1].text], ['expired', 'noch da']);
  } finally {
    await failing.stop();
    await receiver.stop();
  }
});

test('a file that keeps failing holds the chat only briefly: the message goes on saying it follows, the file comes as "<id>.file" once it arrives', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { transport: () => new FlakySandbox(12), tuning: { mediaBackoff: FAST_MEDIA, mediaHoldMs: 150 } });
  try {
    const photo = file(2000, 5);
    await sendFile(running.url, '4917100000006', { filename: 'c.png', mimetype: 'image/png', data: photo }, { text: 'das Foto' });
    await customerSays(running.url, '4917100000006', 'und noch was');
    await waitFor(() => receiver.messages().length === 3, 'message, next message, then the file');
    const [first, next, late] = receiver.messages();
    assert.deepEqual([first.text, first.media.error, first.media.filename], ['das Foto', 'delayed', 'c.png']);
    assert.match(first.media.reason, /follows as a message of its own/);
    assert.equal(next.text, 'und noch was', 'not held behind the file');
    assert.deepEqual([late.id, late.type, late.text, late.media.sha256], [`${first.id}.file`, 'image', '', sha256(photo)]);
    assert.equal((await api(`${running.url}/health`, { key: null })).body.queues.webhook.pending, 0);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a crash between storing the message and downloading its file loses nothing: the next start downloads and delivers it', async () => {
  const receiver = new Receiver(SECRET);
  const webhook = await receiver.start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-media-'));
  const first = await startService({ WEBHOOK_URL: webhook }, { dataDir, transport: () => new FlakySandbox(0, true) });
  const photo = file(50_000, 3);
  await sendFile(first.url, '4917100000005', { filename: 'x.jpg', mimetype: 'image/jpeg', data: photo }, { text: 'mit Bild' });
  await customerSays(first.url, '4917100000005', 'und Text');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(receiver.messages().length, 0, 'held while the file is not there');
  await first.stop({ keepData: true });

  const second = await startService({ WEBHOOK_URL: webhook }, { dataDir });
  try {
    await waitFor(() => receiver.messages().length === 2, 'both delivered after the restart');
    assert.deepEqual(receiver.messages().map((m) => m.text), ['mit Bild', 'und Text'], 'in order');
    assert.equal(receiver.messages()[0].media.sha256, sha256(photo));
  } finally {
    await second.stop();
    await receiver.stop();
  }
});

test('file names: the customer\'s cleaned, or kind and time; extensions by type', () => {
  assert.equal(mediaFileName('document', 'application/pdf', 'C:\\\\Users\\x\\Angebot "2026".pdf', 0), 'Angebot 2026.pdf');
  assert.equal(mediaFileName('document', 'application/pdf', 'ohne-endung', 0), 'ohne-endung.pdf');
  assert.equal(mediaFileName('image', 'image/jpeg', null, 1732400000), 'photo-20241123-221320.jpg');
  assert.equal(mediaFileName('audio', 'audio/ogg; codecs=opus', '', 1732400000), 'audio-20241123-221320.ogg');
  assert.equal(mediaFileName('sticker', 'image/webp', '', 1732400000), 'sticker-20241123-221320.webp');
  assert.equal(mediaFileName('document', 'application/x-weird', '...', 0), 'document-19700101-000000.bin');
});

test('agents\' files: queued with /send-secure after the text, sent in order, listed by the sandbox with sha256 and a URL to the bytes', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start(), MEDIA_MAX_MB: '1' });
  try {
    const png = file(40_000, 5);
    const pdf = file(60_000, 9);
    const send = (body: object) => api(`${running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917100000009', ...body }) });
    assert.equal((await send({ message: 'Anbei zwei Dateien', key: 'entry:1' })).status, 202);
    assert.equal((await send({ media: { filename: 'screen.png', mimetype: 'image/png', data: png.toString('base64') }, key: 'entry:1:file:1' })).status, 202);
    assert.equal((await send({ media: { filename: 'Anleitung.pdf', mimetype: 'application/pdf', data: pdf.toString('base64') }, key: 'entry:1:file:2' })).status, 202);
    assert.equal((await send({ media: { filename: 'Anleitung.pdf', mimetype: 'application/pdf', data: pdf.toString('base64') }, key: 'entry:1:file:2' })).status, 200, 'a known key is not queued again');
    const big = await send({ media: { filename: 'gross.zip', mimetype: 'application/zip', data: file(1_100_000, 3).toString('base64') }, key: 'entry:1:file:3' });
    assert.deepEqual([big.status, big.body.error.code], [413, 'file_too_large']);
    assert.equal((await send({ media: { filename: 'x', mimetype: 'nonsense', data: '###' } })).status, 400);

    await waitFor(async () => (await api(`${running.url}/sandbox/outbound?phone=4917100000009`)).body.messages.length === 3, 'three sent');
    const sent = (await api(`${running.url}/sandbox/outbound?phone=4917100000009`)).body.messages;
    assert.deepEqual(sent.map((m: any) => [m.text, m.media?.filename]), [['Anbei zwei Dateien', undefined], ['', 'screen.png'], ['', 'Anleitung.pdf']]);
    for (const [m, data] of [[sent[1], png], [sent[2], pdf]] as const) {
      assert.equal(m.media.sha256, sha256(data));
      assert.equal(m.media.size, data.length);
      const bytes = await fetch(`${running.url}${m.media.url}`, { headers: { 'X-API-Key': API_KEY } });
      assert.equal(sha256(Buffer.from(await bytes.arrayBuffer())), sha256(data));
    }
    await waitFor(() => receiver.statuses().filter((s) => s.key.startsWith('entry:1:file:') && s.state === 'delivered').length === 2, 'each file has its own status');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('media files are forgotten with the messages: purge removes the row and the file', async () => {
  const { openDatabase } = await import('../../src/store/database.js');
  const { MediaStore } = await import('../../src/media/media-store.js');
  const { existsSync } = await import('node:fs');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-purge-'));
  const db = openDatabase(dataDir);
  try {
    const store = new MediaStore(db, dataDir);
    const old = store.save(file(100), 'image/png', 'alt.png', 1_000);
    const fresh = store.save(file(100, 3), 'image/png', 'neu.png', 5_000);
    assert.equal(store.purge(2_000), 1);
    assert.equal(store.get(old.id), undefined);
    assert.equal(existsSync(path.join(dataDir, 'media', old.id)), false, 'the file is gone too');
    assert.equal(store.read(fresh.id)?.length, 100);
  } finally {
    db.close();
  }
});
