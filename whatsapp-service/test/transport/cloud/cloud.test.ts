import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { CloudTransport, type CloudConfig } from '../../../src/transport/cloud/cloud-transport.js';
import { SECRET, api, startService, type RunningService } from '../../helpers/service.js';
import { Receiver, waitFor } from '../../helpers/receiver.js';
import { customerWrites, FakeGraph, hubSignature, notification, statuses, statusOf } from '../../helpers/fake-graph.js';

const APP_SECRET = 'meta-app-secret-0123456789abcdef';
const VERIFY_TOKEN = 'verify-token-0123456789';
let graph: FakeGraph;
let apiUrl: string;
let receiver: Receiver;
let webhookUrl: string;
before(async () => {
  graph = new FakeGraph();
  apiUrl = await graph.start();
  receiver = new Receiver(SECRET);
  webhookUrl = await receiver.start();
});
after(async () => {
  await graph.stop();
  await receiver.stop();
});

/** Everything the Cloud transport logged in the current test. */
const logged: string[] = [];
const logSink = new Writable({ write(chunk, _encoding, done) { logged.push(String(chunk)); done(); } });

async function cloudService(config: Partial<CloudConfig> = {}, now?: () => number, accountRecheckMs?: number): Promise<RunningService & { post(body: unknown, signature?: string | null): Promise<Response> }> {
  logged.length = 0;
  receiver.received.length = 0;
  graph.sent.length = 0;
  const cloud: CloudConfig = {
    apiUrl, accessToken: graph.token, phoneNumberId: graph.phoneNumberId, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN,
    template: { name: 'ticket_reply_waiting', language: 'de' }, ...config,
  };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-cloud-'));
  const running = await startService(
    { WEBHOOK_URL: webhookUrl },
    { dataDir, transport: () => new CloudTransport({ config: cloud, dataDir, retentionMs: 86_400_000, log: createLogger('debug', logSink), recheckMs: 100, accountRecheckMs, now }), tuning: { mediaBackoff: { baseMs: 50, maxMs: 100 } } },
  );
  await waitFor(async () => (await api(`${running.url}/status`)).body.connection !== 'connecting', 'token checked');
  return Object.assign(running, {
    post: (body: unknown, signature?: string | null) => {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      return fetch(`${running.url}/cloud/webhook`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature === null ? {} : { 'X-Hub-Signature-256': signature ?? hubSignature(APP_SECRET, raw) }) }, body: raw,
      });
    },
  });
}

const say = (phone: string, ...messages: Array<Record<string, unknown>>) => notification(customerWrites(graph.phoneNumberId, { phone }, ...messages));
const text = (body: string) => ({ type: 'text', text: { body } });
const reply = (running: RunningService, phone: string, message: string, key: string, ticket = '123456') =>
  api(`${running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone, message, key, ticket }) });

test('webhook verification: the challenge back for the right verify token, 403 for a wrong one', async () => {
  const s = await cloudService();
  try {
    const right = await fetch(`${s.url}/cloud/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    assert.deepEqual([right.status, await right.text()], [200, '1158201444']);
    const wrong = await fetch(`${s.url}/cloud/webhook?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444`);
    assert.equal(wrong.status, 403);
    assert.match((await api(`${s.url}/status`)).body.cloud.webhook.verified_at, /^\d{4}-/);
  } finally {
    await s.stop();
  }
});

test('signatures: over the raw bytes; unsigned, wrongly signed and re-serialised bodies are refused and nothing is stored', async () => {
  const s = await cloudService();
  try {
    // Meta escapes "/" and non-ASCII in its JSON: the signature covers exactly those bytes.
    const raw = JSON.stringify(say('4917011110001', text('Grüße aus Köln / Büro'))).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.equal((await s.post(raw, null)).status, 401, 'unsigned');
    assert.equal((await s.post(raw, hubSignature('another-secret', raw))).status, 401, 'wrong secret');
    assert.equal((await s.post(JSON.stringify(JSON.parse(raw)), hubSignature(APP_SECRET, raw))).status, 401, 're-serialised');
    // Anyone can post there: noted, not a /health problem.
    assert.match((await api(`${s.url}/status`)).body.cloud.webhook.last_bad_signature_at, /^\d{4}-/);
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200);
    assert.equal((await s.post(raw)).status, 200, 'as sent, signed');
    await waitFor(() => receiver.messages().length === 1, 'stored and delivered once');
    assert.equal(receiver.messages()[0].text, 'Grüße aus Köln / Büro');
  } finally {
    await s.stop();
  }
});

test('a batched POST: two entries, five messages, each once and in order; the same POST again changes nothing', async () => {
  const s = await cloudService();
  try {
    const body = notification(
      customerWrites(graph.phoneNumberId, { phone: '4917011110002' }, text('eins'), text('zwei'), text('drei')),
      customerWrites(graph.phoneNumberId, { phone: '4917011110003' }, text('vier'), text('fünf')),
    );
    assert.equal((await s.post(body)).status, 200);
    assert.equal((await s.post(body)).status, 200, 'Meta sends again: answered, not stored twice');
    await waitFor(() => receiver.messages().length === 5, 'five');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const byChat = (chat: string) => receiver.messages().filter((m) => m.chat === chat).map((m) => m.text);
    assert.deepEqual(byChat('4917011110002'), ['eins', 'zwei', 'drei']);
    assert.deepEqual(byChat('4917011110003'), ['vier', 'fünf']);
    assert.equal(receiver.messages().length, 5);
  } finally {
    await s.stop();
  }
});

test('each message type reaches the plugin as the Baileys ones do', async () => {
  const s = await cloudService();
  try {
    const photo = graph.addFile(Buffer.from('PNG-bytes-of-a-printer'), 'image/jpeg');
    await reply(s, '4917011110004', 'Antwort des Agenten', 'entry:77'); // for the reaction below, sent once they wrote
    const body = say(
      '4917011110004',
      text('Hallo'),
      { type: 'image', image: { ...photo, caption: 'Fehler 42' } },
      { type: 'location', location: { latitude: 52.52, longitude: 13.4, name: 'Büro', address: 'Hauptstr. 1' } },
      { type: 'contacts', contacts: [{ name: { formatted_name: 'Erika Muster' }, phones: [{ phone: '+49 151 2345', wa_id: '491512345' }] }] },
      { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'b1', title: 'Rückruf bitte' } } },
      { type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'l1', title: 'Drucker', description: 'Hardware' } } },
      { type: 'button', button: { text: 'Ja, gerne', payload: 'YES' } },
      { type: 'unsupported', unsupported: { type: 'edit' }, errors: [{ code: 131051, title: 'Message type unknown' }] },
    );
    assert.equal((await s.post(body)).status, 200);
    await waitFor(() => graph.sent.length === 1, 'the reply went out');
    const agentReply = graph.sent[0]!.wamid;
    await s.post(say('4917011110004', { type: 'reaction', reaction: { message_id: agentReply, emoji: '👍' } }, { type: 'reaction', reaction: { message_id: 'wamid.UNKNOWN', emoji: '😀' } }));
    await waitFor(() => receiver.messages().length === 9, 'nine');
    const got = receiver.messages().map((m) => [m.type, m.text, m.ref_key ?? null]);
    assert.deepEqual(got, [
      ['text', 'Hallo', null],
      ['image', 'Fehler 42', null],
      ['location', 'Büro, Hauptstr. 1\nhttps://maps.google.com/?q=52.52,13.4', null],
      ['contact', 'Erika Muster +49 151 2345', null],
      ['text', 'Rückruf bitte', null],
      ['text', 'Drucker', null],
      ['text', 'Ja, gerne', null],
      ['other', '', null],
      ['reaction', '👍', 'entry:77'],
    ]);
    const image = receiver.messages()[1];
    assert.equal(image.media.sha256, createHash('sha256').update('PNG-bytes-of-a-printer').digest('hex'));
  } finally {
    await s.stop();
  }
});

test('statuses out of order never move a reply back; a skipped delivered is fine', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110005', text('Frage')));
    await reply(s, '4917011110005', 'Antwort', 'entry:5');
    await waitFor(() => graph.sent.length === 1, 'sent');
    const id = graph.sent[0]!.wamid;
    await s.post(notification(statuses(graph.phoneNumberId, { id, status: 'read', recipient: '4917011110005' }, { id, status: 'delivered', recipient: '4917011110005' }, { id, status: 'sent', recipient: '4917011110005' })));
    await waitFor(() => receiver.statuses().filter((x) => x.key === 'entry:5').length >= 2, 'reported');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(receiver.statuses().filter((x) => x.key === 'entry:5').map((x) => x.state), ['sent', 'read']);
  } finally {
    await s.stop();
  }
});

test('the 24-hour window: 200 then failed 131047 → the template with the ticket number, the reply held; the customer answers → the reply goes, once', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110006', text('Frage von gestern')));
    await reply(s, '4917011110006', 'Ihre Antwort nach über 24 Stunden', 'entry:6', '654321');
    await waitFor(() => graph.sent.length === 1, 'sent (WhatsApp takes it first)');
    const first = graph.sent[0]!.wamid;
    await s.post(notification(statuses(graph.phoneNumberId, { id: first, status: 'failed', recipient: '4917011110006', code: 131047, title: 'Re-engagement message' })));
    await waitFor(() => graph.sent.length === 2, 'the template');
    assert.deepEqual(graph.sent[1]!.template, { name: 'ticket_reply_waiting', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '654321' }] }] });
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:6' && x.state === 'held'), 'the plugin hears it is held');
    assert.match(receiver.statuses().find((x) => x.state === 'held').error, /template "ticket_reply_waiting".*follows when they do/);
    await reply(s, '4917011110006', 'Noch eine Antwort', 'entry:7', '654321'); // waits behind the held one, no second template
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(graph.sent.length, 2);
    assert.equal((await api(`${s.url}/health`, { key: null })).body.queues.outbox.held, 1);

    await s.post(say('4917011110006', text('Ja, hier bin ich')));
    await waitFor(() => graph.sent.length === 4, 'both replies after the answer');
    assert.deepEqual(graph.sent.slice(2).map((m) => m.text.body), ['Ihre Antwort nach über 24 Stunden', 'Noch eine Antwort']);
    await waitFor(() => receiver.statuses().filter((x) => x.key === 'entry:6' && x.state === 'sent').length === 2, 'sent again reported');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(graph.sent.filter((m) => m.text?.body === 'Ihre Antwort nach über 24 Stunden').length, 2, 'the refused one and the one that arrived: once delivered');
  } finally {
    await s.stop();
  }
});

test('a chat this gateway never saw (a number moved from Baileys): tried; WhatsApp\'s 131047 → the template once, held, not sent again and again', async () => {
  const s = await cloudService();
  try {
    await reply(s, '4917011110014', 'Antwort nach dem Umzug', 'entry:20', '777888');
    await waitFor(() => graph.sent.length === 1, 'tried');
    await s.post(notification(statuses(graph.phoneNumberId, { id: graph.sent[0]!.wamid, status: 'failed', recipient: '4917011110014', code: 131047, title: 'Re-engagement message' })));
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:20' && x.state === 'held'), 'held');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(graph.sent.map((m) => m.type), ['text', 'template'], 'one try, one invitation');
    // WhatsApp refuses the template later (say, paused): the operator hears of it.
    await s.post(notification(statuses(graph.phoneNumberId, { id: graph.sent[1]!.wamid, status: 'failed', recipient: '4917011110014', code: 132015, title: 'Template is paused' })));
    await waitFor(async () => /cloud: WhatsApp refused the template "ticket_reply_waiting" \(132015: Template is paused\)/.test((await api(`${s.url}/health`, { key: null })).body.problems.join(' ')), 'named');
    // The held reply is not left waiting for 72 hours: it fails, and the agent's note says why.
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:20' && x.state === 'failed'), 'the reply failed');
    assert.match(receiver.statuses().find((x) => x.key === 'entry:20' && x.state === 'failed').error, /refused the template "ticket_reply_waiting" that was to invite the customer to answer \(132015: Template is paused\); the reply was not delivered/);
  } finally {
    await s.stop();
  }
});

test('the customer cannot get the invitation (131026 by status): the held replies fail with that reason, and /health stays green (it is not our template)', async () => {
  const s = await cloudService();
  try {
    await reply(s, '4917011110015', 'Antwort', 'entry:25');
    await waitFor(() => graph.sent.length === 1, 'tried');
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent[0]!, 'failed', { code: 131047, title: 'Re-engagement message' }))));
    await waitFor(() => graph.sent.some((m) => m.template), 'the template');
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent.find((m) => m.template)!, 'failed', { code: 131026, title: 'Message undeliverable' }))));
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:25' && x.state === 'failed'), 'failed');
    assert.match(receiver.statuses().find((x) => x.key === 'entry:25' && x.state === 'failed').error, /did not deliver the template .*131026: Message undeliverable: on the customer's side/);
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200);
  } finally {
    await s.stop();
  }
});

test('a customer who wrote more than 24 hours ago: the template first, no attempt that WhatsApp would refuse; without a template the agent hears why', async () => {
  let clock = Date.now();
  const s = await cloudService({}, () => clock);
  try {
    await s.post(say('4917011110007', text('Anfrage')));
    await waitFor(() => receiver.messages().length === 1, 'delivered');
    clock += 25 * 3_600_000; // a day and an hour later
    await reply(s, '4917011110007', 'Antwort nach einem Tag', 'entry:8', '111222');
    await waitFor(() => graph.sent.length === 1, 'template');
    assert.equal(graph.sent[0]!.type, 'template');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:8' && x.state === 'held'), 'held');
  } finally {
    await s.stop();
  }
  const bare = await cloudService({ template: null }, () => clock);
  try {
    await bare.post(say('4917011110008', text('Anfrage')));
    clock += 25 * 3_600_000;
    await reply(bare, '4917011110008', 'Antwort', 'entry:9');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:9'), 'reported');
    const status = receiver.statuses().find((x) => x.key === 'entry:9');
    assert.equal(status.state, 'failed');
    assert.match(status.error, /more than 24 hours ago.*none is configured \(CLOUD_TEMPLATE\)/);
    assert.equal(graph.sent.length, 0);
  } finally {
    await bare.stop();
  }
});

test('190 (token expired): configuration state on /health, nothing lost, sent once the token works again', async () => {
  const s = await cloudService();
  const good = graph.token;
  try {
    await s.post(say('4917011110009', text('Hallo')));
    graph.token = 'rotated-by-meta';
    await reply(s, '4917011110009', 'Antwort', 'entry:10');
    await waitFor(async () => (await api(`${s.url}/health`, { key: null })).status === 503, 'named');
    const health = (await api(`${s.url}/health`, { key: null })).body;
    assert.equal(health.connection, 'misconfigured');
    assert.match(health.problems.join(' '), /whatsapp: the Cloud API refused the access token or its permissions \(190/);
    assert.equal(health.queues.outbox.queued, 1, 'kept');
    // Graph named the token it got ("Malformed access token …"): it appears nowhere of ours.
    const status = (await api(`${s.url}/status`)).text;
    for (const [where, text] of [['/health', JSON.stringify(health)], ['/status', status], ['the log', logged.join('')]] as const) {
      assert.ok(!text.includes(good), `the token is not in ${where}`);
    }
    assert.match(JSON.stringify(health), /Malformed access token \[token\]/);
    graph.token = good; // the administrator renews the token (here: Meta accepts it again)
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'Antwort'), 'sent after the fix', 10_000);
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200);
  } finally {
    graph.token = good;
    await s.stop();
  }
});

test('130429 is tried again later; 131026 fails that reply and the next one goes on', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110010', text('Hallo')));
    graph.failures = [{ code: 130429, title: 'Rate limit hit', status: 400 }];
    await reply(s, '4917011110010', 'gedrosselt', 'entry:11');
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'gedrosselt'), 'sent on a later try', 10_000);
    graph.failures = [{ code: 131026, title: 'Message undeliverable', status: 400 }];
    await reply(s, '4917011110010', 'kommt nie an', 'entry:12');
    await reply(s, '4917011110010', 'danach', 'entry:13');
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'danach'), 'the next one');
    const failed = receiver.statuses().find((x) => x.key === 'entry:12');
    assert.equal(failed.state, 'failed');
    assert.match(failed.error, /131026: Message undeliverable/);
  } finally {
    await s.stop();
  }
});

test('files: a customer\'s file is fetched and checked against its sha256 (a damaged one is fetched again); an agent\'s file is uploaded and sent by id', async () => {
  const s = await cloudService();
  try {
    const pdf = Buffer.from('%PDF-1.7 Rechnung März');
    const file = graph.addFile(pdf, 'application/pdf');
    graph.damagedDownloads = 1;
    await s.post(say('4917011110011', { type: 'document', document: { ...file, filename: 'Rechnung März.pdf', caption: 'die Rechnung' } }));
    await waitFor(() => receiver.messages().length === 1, 'delivered with its file');
    const [message] = receiver.messages();
    assert.deepEqual([message.media.filename, message.media.sha256], ['Rechnung März.pdf', createHash('sha256').update(pdf).digest('hex')]);

    // Meta's media URL redirects to where the bytes are: followed, with the token.
    graph.redirectMedia = true;
    const photo = Buffer.from('JPEG-after-a-redirect');
    await s.post(say('4917011110011', { type: 'image', image: { ...graph.addFile(photo, 'image/jpeg'), caption: 'umgeleitet' } }));
    await waitFor(() => receiver.messages().some((m) => m.text === 'umgeleitet'), 'delivered after the redirect');
    assert.equal(receiver.messages().find((m) => m.text === 'umgeleitet').media.sha256, createHash('sha256').update(photo).digest('hex'));
    graph.redirectMedia = false;

    const png = Buffer.from('\x89PNG agent screenshot', 'binary');
    await api(`${s.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917011110011', key: 'entry:14:file:1', media: { filename: 'screen.png', mimetype: 'image/png', data: png.toString('base64') } }) });
    await waitFor(() => graph.sent.some((m) => m.type === 'image'), 'sent');
    const sent = graph.sent.find((m) => m.type === 'image')!;
    assert.deepEqual(graph.uploads.get(sent.image.id)?.data, png);
  } finally {
    await s.stop();
  }
});

test('a customer known only by a BSUID: a chat of its own kind, replies by `recipient`, the same chat when the phone appears', async () => {
  const s = await cloudService();
  try {
    const bsuid = 'DE.13491208655302741918';
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid, name: 'Anna' }, text('ohne Nummer'))));
    await waitFor(() => receiver.messages().length === 1, 'delivered');
    assert.deepEqual([receiver.messages()[0].chat, receiver.messages()[0].phone], [`bsuid:${bsuid}`, null]);
    await reply(s, `bsuid:${bsuid}`, 'Antwort', 'entry:15');
    await waitFor(() => graph.sent.length === 1, 'sent');
    assert.deepEqual([graph.sent[0]!.recipient, graph.sent[0]!.to], [bsuid, undefined]);
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid, phone: '4917011110012' }, text('jetzt mit Nummer'))));
    await waitFor(() => receiver.messages().length === 2, 'second');
    assert.deepEqual([receiver.messages()[1].chat, receiver.messages()[1].phone], [`bsuid:${bsuid}`, '4917011110012']);
  } finally {
    await s.stop();
  }
});

test('a notification for another phone_number_id is kept and named on /health, never dropped', async () => {
  const s = await cloudService();
  try {
    assert.equal((await s.post(notification(customerWrites('555000111222333', { phone: '4917011110013' }, text('an die andere Nummer'))))).status, 200);
    const health = (await api(`${s.url}/health`, { key: null })).body;
    assert.match(health.problems.join(' '), /cloud: notifications for number 49301234567 \(phone_number_id 555000111222333\) arrive here \(1 kept\)/);
    assert.equal(receiver.messages().length, 0);
  } finally {
    await s.stop();
  }
});

test('a 131047 status that comes before the send\'s answer: the template with the ticket number, the reply held, sent once the customer writes', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110020', text('Frage von vorgestern')));
    graph.beforeAnswer = async (message) => {
      if (message.text?.body !== 'Antwort vorab') return;
      graph.beforeAnswer = null;
      await s.post(notification(statuses(graph.phoneNumberId, statusOf(message, 'failed', { code: 131047, title: 'Re-engagement message' }))));
    };
    await reply(s, '4917011110020', 'Antwort vorab', 'entry:20', '777777');
    await waitFor(() => graph.sent.some((m) => m.template), 'the template');
    assert.equal(graph.sent.find((m) => m.template)!.template.components[0].parameters[0].text, '777777');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:20' && x.state === 'held'), 'held');
    await s.post(say('4917011110020', text('Ja?')));
    await waitFor(() => graph.sent.filter((m) => m.text?.body === 'Antwort vorab').length === 2, 'sent after the answer');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(graph.sent.filter((m) => m.text?.body === 'Antwort vorab').length, 2, 'the refused one and the one that went: no more');
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('a passing failure by status (131000 after 200): sent again after a pause, then delivered', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110021', text('Frage')));
    await reply(s, '4917011110021', 'Zweiter Versuch', 'entry:21');
    await waitFor(() => graph.sent.length === 1, 'sent');
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent[0]!, 'failed', { code: 131000, title: 'Something went wrong' }))));
    await waitFor(() => graph.sent.length === 2, 'sent again', 10_000);
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent[1]!, 'delivered'))));
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:21' && x.state === 'delivered'), 'delivered');
    assert.ok(!receiver.statuses().some((x) => x.key === 'entry:21' && x.state === 'failed'), 'never failed');
  } finally {
    await s.stop();
  }
});

test('no send loop: a customer known by BSUID replied to by phone, and a Mexican number Meta knows as 521…: the reply once, the template once, then held', async () => {
  const s = await cloudService();
  try {
    // Known by BSUID; the agent replies to the phone; Meta addresses the refusal by BSUID.
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid: 'DE.55501', name: 'Kundin' }, text('Hallo'))));
    graph.beforeAnswer = async (message) => {
      if (message.text?.body !== 'per Telefon') return;
      graph.beforeAnswer = null;
      setTimeout(() => void s.post(notification(statuses(graph.phoneNumberId, { ...statusOf(message, 'failed', { code: 131047, title: 'Re-engagement message' }), recipient: undefined, bsuid: 'DE.55501' }))), 50);
    };
    await reply(s, '4917011110022', 'per Telefon', 'entry:22');
    // Mexico: sent to +52 55…, Meta's wa_id is 521 55…
    assert.equal((await api(`${s.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '5215512345678', message: 'Prüfung', key: 'check' }) })).status, 202, "WhatsApp's 521 form is a valid chat id");
    await reply(s, '525512345678', 'nach Mexiko', 'entry:23');
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'nach Mexiko'), 'sent to Mexico');
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent.find((m) => m.text?.body === 'nach Mexiko')!, 'failed', { code: 131047, title: 'Re-engagement message' }, graph.waIdOf))));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // SEND_INTERVAL_MS=0: a loop would send hundreds
    const count = (body: string) => graph.sent.filter((m) => m.text?.body === body).length;
    const templates = (to: string) => graph.sent.filter((m) => m.template && m.to === to).length;
    assert.deepEqual([count('per Telefon'), templates('4917011110022'), count('nach Mexiko'), templates('525512345678')], [1, 1, 1, 1]);
    // The Mexican customer answers from the 521 form: the same chat, the reply goes.
    await s.post(say('5215512345678', text('Sí')));
    await waitFor(() => count('nach Mexiko') === 2, 'sent once they wrote');
    assert.equal(receiver.messages().find((m) => m.text === 'Sí')?.chat, '525512345678', 'one chat whichever form Meta uses');
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('the answer is lost after Meta took the message (a status says so): recorded by that status, not sent twice', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110024', text('Frage')));
    graph.beforeAnswer = async (message) => {
      if (message.text?.body !== 'einmal') return;
      graph.beforeAnswer = null;
      await s.post(notification(statuses(graph.phoneNumberId, statusOf(message, 'sent'))));
      return 'lose';
    };
    await reply(s, '4917011110024', 'einmal', 'entry:24');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:24' && x.state === 'sent'), 'sent');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(graph.sent.filter((m) => m.text?.body === 'einmal').length, 1);
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('a wrong CLOUD_APP_SECRET is named on /health after three signed WhatsApp notifications were refused; stray unsigned POSTs never turn it red', async () => {
  const s = await cloudService();
  try {
    for (let n = 0; n < 5; n++) assert.equal((await s.post(say('4917011110030', text(`fremd ${n}`)), null)).status, 401, 'unsigned');
    assert.equal((await s.post('{"object":"page"}', hubSignature('guess', '{"object":"page"}'))).status, 401, 'signed, but not a WhatsApp notification');
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200, 'anyone can post there');
    for (let n = 0; n < 3; n++) {
      const body = JSON.stringify(say('4917011110030', text(`nach dem Zurücksetzen ${n}`)));
      assert.equal((await s.post(body, hubSignature('the-old-app-secret', body))).status, 401);
    }
    const health = await api(`${s.url}/health`, { key: null });
    assert.equal(health.status, 503);
    assert.match(health.body.problems.join(' '), /Meta's webhook signature does not match CLOUD_APP_SECRET: 3 signed WhatsApp notifications refused/);
    assert.equal((await s.post(say('4917011110030', text('wieder da')))).status, 200, 'fixed: Meta\'s next one is taken');
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200);
  } finally {
    await s.stop();
  }
});

test("Meta's limits before sending: a 5,000-character reply in two marked parts; a 10 MB picture as a document; a long caption as its own text; a .zip named to the agent, never uploaded", async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110040', text('Bitte die Anleitung')));
    const long = Array.from({ length: 500 }, (_, i) => `Zeile ${String(i).padStart(3, '0')}`).join('\n'); // 5,499 characters
    await reply(s, '4917011110040', long, 'entry:40');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:40' && x.state === 'sent'), 'sent');
    const parts = graph.sent.filter((m) => m.text?.body.startsWith('Zeile') || m.text?.body.includes('(2/2)')).map((m) => m.text.body as string);
    assert.equal(parts.length, 2);
    assert.ok(parts.every((part) => [...part].length <= 4096));
    assert.deepEqual(parts.map((part) => / \((\d)\/2\)$/.exec(part)?.[1]), ['1', '2']);
    assert.equal(parts.map((part) => part.replace(/ \(\d\/2\)$/, '')).join('\n'), long, 'the whole text');

    const send = (key: string, message: string, media: { filename: string; mimetype: string; data: Buffer }) =>
      api(`${s.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917011110040', key, message, media: { ...media, data: media.data.toString('base64') } }) });
    const uploads = graph.uploads.size;
    await send('entry:41', 'Das Foto', { filename: 'gross.jpg', mimetype: 'image/jpeg', data: Buffer.alloc(10 * 1024 * 1024, 1) });
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:41'), 'the big picture');
    assert.equal(receiver.statuses().find((x) => x.key === 'entry:41').state, 'sent');
    assert.deepEqual([graph.sent.at(-1)!.type, graph.sent.at(-1)!.document?.filename, graph.sent.at(-1)!.document?.caption], ['document', 'gross.jpg', 'Das Foto']);

    const caption = 'Erklärung '.repeat(150); // 1,500 characters
    await send('entry:42', caption, { filename: 'Plan.pdf', mimetype: 'application/pdf', data: Buffer.from('%PDF-1.4 plan') });
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:42' && x.state === 'sent'), 'the PDF');
    const [file, words] = graph.sent.slice(-2);
    assert.deepEqual([file!.document?.filename, file!.document?.caption, words!.text?.body], ['Plan.pdf', undefined, caption]);

    await send('entry:43', '', { filename: 'Logs.zip', mimetype: 'application/zip', data: Buffer.from('PK\u0003\u0004 zip') });
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:43'), 'the zip');
    const refused = receiver.statuses().find((x) => x.key === 'entry:43');
    assert.equal(refused.state, 'failed');
    assert.match(refused.error, /does not take this file: "Logs\.zip" \(application\/zip/);
    assert.equal(graph.uploads.size, uploads + 2, 'the zip was never uploaded');
  } finally {
    await s.stop();
  }
});

test('a send refused for the account (131031, locked): sending pauses and stays paused — asking for the number would say all is well — until one message tried later goes', async () => {
  const s = await cloudService({}, undefined, 2_000);
  try {
    await s.post(say('4917011110050', text('Hallo')));
    graph.failures = [{ code: 131031, title: 'Business Account locked', status: 400 }];
    await reply(s, '4917011110050', 'gesperrt', 'entry:50');
    await waitFor(async () => (await api(`${s.url}/health`, { key: null })).status === 503, 'paused');
    assert.match((await api(`${s.url}/health`, { key: null })).body.problems.join(' '), /refused messages for this account \(131031: Business Account locked\)/);
    const tries = () => graph.requests.filter((r) => r.endsWith('/messages')).length;
    const before = tries();
    for (let n = 0; n < 12; n++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await api(`${s.url}/health`, { key: null })).status, 503, 'no flapping');
    }
    assert.equal(tries(), before, 'no message tried meanwhile');
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'gesperrt'), 'one message tried after the pause: it goes', 5_000);
    await waitFor(async () => (await api(`${s.url}/health`, { key: null })).status === 200, 'fixed');

    // Refused by status (Meta: synchronously, asynchronously or both): after the pause one message goes, not the queue.
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent.find((m) => m.text?.body === 'gesperrt')!, 'failed', { code: 131042, title: 'Business eligibility payment issue' }))));
    await waitFor(async () => (await api(`${s.url}/health`, { key: null })).status === 503, 'paused again');
    for (const n of [1, 2, 3]) await reply(s, '4917011110050', `wartet ${n}`, `entry:5${n}`);
    await sleep(2_600); // the pause, and the one message tried
    assert.equal(graph.sent.filter((m) => /^(gesperrt|wartet)/.test(m.text?.body ?? '')).length, 2, 'one more try, no more, until its status comes');
    const probe = graph.sent.at(-1)!;
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(probe, 'delivered'))));
    await waitFor(() => graph.sent.filter((m) => /^wartet/.test(m.text?.body ?? '')).length === 3, 'the rest once it was delivered', 5_000);
  } finally {
    await s.stop();
  }
});

test("Meta's other notifications: a changed number keeps the chat and replies follow it; group messages are kept out; errors[] logged; a message Meta sends again after the service forgot it stays forgotten", async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110060', text('Hallo')));
    await waitFor(() => receiver.messages().some((m) => m.text === 'Hallo'), 'first');
    await s.post(say('4917011110060', { type: 'system', system: { body: 'User A changed from 4917011110060 to 4917011110061', wa_id: '4917011110061', type: 'customer_changed_number' } }));
    await s.post(say('4917011110061', text('neue Nummer')));
    await waitFor(() => receiver.messages().some((m) => m.text === 'neue Nummer'), 'from the new number');
    assert.equal(receiver.messages().find((m) => m.text === 'neue Nummer').chat, '4917011110060', 'the same chat');
    await reply(s, '4917011110060', 'an die neue Nummer', 'entry:60');
    await waitFor(() => graph.sent.some((m) => m.text?.body === 'an die neue Nummer'), 'sent');
    assert.equal(graph.sent.find((m) => m.text?.body === 'an die neue Nummer')!.to, '4917011110061');

    await s.post(say('4917011110062', { type: 'text', text: { body: 'in der Gruppe' }, group_id: 'GROUP.1' }));
    const withErrors = say('4917011110063', text('mit Fehlerliste'));
    (withErrors.entry as Array<{ changes: Array<{ value: Record<string, unknown> }> }>)[0]!.changes[0]!.value.errors = [{ code: 131051, title: 'Unsupported message type' }];
    await s.post(withErrors);
    await waitFor(() => receiver.messages().some((m) => m.text === 'mit Fehlerliste'), 'the rest of it');
    assert.ok(!receiver.messages().some((m) => m.text === 'in der Gruppe'));
    assert.ok(logged.some((line) => /problem with a notification: Unsupported message type/.test(line)));

    const once = say('4917011110064', text('einmal erlaubt'));
    await s.post(once);
    await waitFor(() => receiver.messages().some((m) => m.text === 'einmal erlaubt'), 'taken');
    const id = receiver.messages().find((m) => m.text === 'einmal erlaubt').id;
    await api(`${s.url}/forget`, { method: 'POST', body: JSON.stringify({ messages: [id] }) });
    const before = receiver.messages().length;
    await s.post(once); // days later Meta retries (it does for 7 days): the events are gone, the id is remembered
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.messages().length, before);
  } finally {
    await s.stop();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a failed 131047 before the send\'s answer, without biz_opaque_callback_data (Meta echoes it only in sent, delivered and read): held all the same', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110120', text('Frage')));
    graph.beforeAnswer = async (message) => {
      if (message.text?.body !== 'ohne callback') return;
      graph.beforeAnswer = null;
      await s.post(notification(statuses(graph.phoneNumberId, { ...statusOf(message, 'failed', { code: 131047, title: 'Re-engagement message' }), callback: undefined })));
    };
    await reply(s, '4917011110120', 'ohne callback', 'entry:120');
    await sleep(1500);
    const st = receiver.statuses().filter((x) => x.key === 'entry:120').map((x) => x.state);
    assert.ok(st.includes('held'), `states: ${JSON.stringify(st)}; sent: ${graph.sent.map((m) => m.type).join(',')}`);
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('the answer is lost and Meta\'s sent status comes a moment later: no second send', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110121', text('Frage')));
    graph.beforeAnswer = async (message) => {
      if (message.text?.body !== 'spaet') return;
      graph.beforeAnswer = null;
      setTimeout(() => void s.post(notification(statuses(graph.phoneNumberId, statusOf(message, 'sent')))), 30);
      return 'lose';
    };
    await reply(s, '4917011110121', 'spaet', 'entry:121');
    await sleep(4000);
    assert.equal(graph.sent.filter((m) => m.text?.body === 'spaet').length, 1, 'sent twice');
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('a reply in two parts whose second part fails for a passing reason: part 1 is not sent again', async () => {
  const s = await cloudService();
  try {
    await s.post(say('4917011110122', text('Frage')));
    const long = Array.from({ length: 500 }, (_, i) => `Zeile ${String(i).padStart(3, '0')}`).join('\n');
    graph.beforeAnswer = async (message) => {
      if (!String(message.text?.body ?? '').endsWith('(1/2)')) return;
      graph.beforeAnswer = null;
      graph.failures = [{ code: 131000, title: 'Something went wrong', status: 500 }];
    };
    await reply(s, '4917011110122', long, 'entry:122');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:122' && x.state === 'sent'), 'sent', 15_000);
    assert.equal(graph.sent.filter((m) => String(m.text?.body ?? '').endsWith('(1/2)')).length, 1, 'part 1 twice');
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('forged POSTs shaped like WhatsApp notifications but not for our number never turn /health red', async () => {
  const s = await cloudService();
  try {
    for (let n = 0; n < 3; n++) {
      const body = '{"object":"whatsapp_business_account","entry":[]}';
      await s.post(body, `sha256=${'0'.repeat(64)}`);
    }
    assert.equal((await api(`${s.url}/health`, { key: null })).status, 200, 'strangers cannot turn /health red');
  } finally {
    await s.stop();
  }
});

test('the invitation template fails by status for a passing reason again and again: invitations are not sent in a loop', async () => {
  const s = await cloudService();
  try {
    graph.beforeAnswer = async (message) => {
      if (!message.template) return;
      setTimeout(() => void s.post(notification(statuses(graph.phoneNumberId, statusOf(message, 'failed', { code: 131000, title: 'Something went wrong' })))), 20);
    };
    await reply(s, '4917011110124', 'Antwort', 'entry:124');
    await waitFor(() => graph.sent.length === 1, 'tried');
    await s.post(notification(statuses(graph.phoneNumberId, statusOf(graph.sent[0]!, 'failed', { code: 131047, title: 'Re-engagement message' }))));
    await sleep(3000);
    const templates = graph.sent.filter((m) => m.template).length;
    assert.ok(templates <= 2, `${templates} templates in 3 s`);
  } finally {
    graph.beforeAnswer = null;
    await s.stop();
  }
});

test('a BSUID-only customer changes their user id (system.previous_user_id): the same chat', async () => {
  const s = await cloudService();
  try {
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid: 'DE.OLD1', name: 'K' }, text('Hallo'))));
    await waitFor(() => receiver.messages().some((m) => m.text === 'Hallo'), 'first');
    const oldChat = receiver.messages().find((m) => m.text === 'Hallo').chat;
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid: 'DE.OLD1' }, { type: 'system', system: { body: 'changed', type: 'user_changed_user_id', user_id: 'DE.NEW1', previous_user_id: 'DE.OLD1' } })));
    await s.post(notification(customerWrites(graph.phoneNumberId, { bsuid: 'DE.NEW1', name: 'K' }, text('wieder da'))));
    await waitFor(() => receiver.messages().some((m) => m.text === 'wieder da'), 'second');
    assert.equal(receiver.messages().find((m) => m.text === 'wieder da').chat, oldChat);
  } finally {
    await s.stop();
  }
});
