import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SECRET, api, customerSays, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

const photo = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256));
const count = (dataDir: string, sql: string, ...params: unknown[]) => {
  const db = new Database(path.join(dataDir, 'whatsapp-service.sqlite'), { readonly: true });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
};

test('POST /forget: a deleted ticket\'s messages and queued replies are forgotten (never sent); an erasure forgets a whole customer, files included', async () => {
  const receiver = new Receiver(SECRET);
  // A long pause between sends keeps later replies queued.
  const running = await startService({ WEBHOOK_URL: await receiver.start(), SEND_INTERVAL_MS: '60000' });
  try {
    const anna = '4917100000101';
    const bert = '4917100000102';
    await customerSays(running.url, anna, 'Mein Foto', { media: { filename: 'foto.png', mimetype: 'image/png', data: photo.toString('base64') } });
    await customerSays(running.url, anna, 'Noch etwas');
    await customerSays(running.url, bert, 'Hallo');
    await waitFor(() => receiver.messages().length === 3, 'delivered');
    const [annaPhoto, annaText] = receiver.messages().filter((m) => m.chat === anna);
    await api(`${running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: bert, message: 'erste Antwort', key: 'entry:1' }) });
    await waitFor(() => running.sandbox.outbound(bert).length === 1, 'first reply sent');
    await api(`${running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: anna, message: 'wartet noch', key: 'entry:2' }) });
    const media = readdirSync(path.join(running.dataDir, 'media'));
    assert.equal(media.length, 1, 'Anna\'s photo is kept');

    // A deleted ticket: its messages and its reply still queued.
    const ticket = await api(`${running.url}/forget`, { method: 'POST', body: JSON.stringify({ messages: [annaPhoto.id], keys: ['entry:2'] }) });
    assert.equal(ticket.status, 200);
    assert.deepEqual(ticket.body.forgotten, { events: 1, outbox: 1, media: 1 });
    assert.equal(existsSync(path.join(running.dataDir, 'media', media[0]!)), false, 'the file is gone');
    assert.equal(count(running.dataDir, 'SELECT COUNT(*) AS n FROM events WHERE payload LIKE ?', '%Mein Foto%'), 0);
    assert.equal(count(running.dataDir, 'SELECT COUNT(*) AS n FROM events WHERE payload LIKE ?', `%${annaText.id}%`), 1, 'the other message stays');

    // An erasure of one customer: everything of theirs, nothing of anyone else's.
    const erasure = await api(`${running.url}/forget`, { method: 'POST', body: JSON.stringify({ phone: `+${bert}` }) });
    assert.equal(erasure.status, 200);
    assert.ok(erasure.body.forgotten.events >= 2 && erasure.body.forgotten.outbox === 1, JSON.stringify(erasure.body));
    assert.equal(count(running.dataDir, 'SELECT COUNT(*) AS n FROM events WHERE chat = ?', bert), 0);
    assert.equal(count(running.dataDir, 'SELECT COUNT(*) AS n FROM outbox WHERE chat = ?', bert), 0);
    assert.deepEqual(running.sandbox.conversation(bert), [], 'the transport forgot the chat too');
    assert.equal(count(running.dataDir, 'SELECT COUNT(*) AS n FROM events WHERE chat = ?', anna), 1);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(running.sandbox.outbound(anna).length, 0, 'the forgotten reply was never sent');

    for (const bad of [{}, { phone: 'abc' }, { messages: 'x' }, { keys: [''] }, { before: -1 }, []]) {
      assert.equal((await api(`${running.url}/forget`, { method: 'POST', body: JSON.stringify(bad) })).status, 400, JSON.stringify(bad));
    }
    assert.equal((await api(`${running.url}/forget`, { method: 'POST', key: null, body: JSON.stringify({ phone: anna }) })).status, 401);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});
