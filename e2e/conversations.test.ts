/**
 * End to end: the real service in sandbox mode, the plugin inside a running
 * osTicket, and osTicket's database checked after each scripted conversation.
 * Needs OSTICKET_URL, OSTICKET_ROOT and OSTICKET_DB_* (see e2e/README.md);
 * skips without them.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signedHeaders } from '../whatsapp-service/src/webhook/signature.js';
import { agent, configure, faultSwitch, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, setPluginSetting, skipUnlessSupported, sql, staffPanelReply, startSandboxService, t, threadEntries, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000; // phone numbers unique per run
const phone = (n: number) => `4915${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;

describe('conversations against a running osTicket', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: { url: string; stop(): Promise<void> };
  const headers = { 'Content-Type': 'application/json', 'X-API-Key': API_KEY };

  const { say, sent: sentTo, outbound } = sandboxCustomer(() => service.url, API_KEY);

  const mapping = (chat: string) => mappings(o, chat);
  const ticket = (id: string) => sql(o, `SELECT t.*, s.state FROM ${t(o, 'ticket')} t JOIN ${t(o, 'ticket_status')} s ON s.id = t.status_id WHERE t.ticket_id = ${id}`)[0]!;
  const entries = (ticketId: string) => threadEntries(o, ticketId);
  const log = (chat: string) => sql(o, `SELECT * FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' ORDER BY id`);

  let installed: Installed;

  before(async () => {
    // As the README says: everything the form shows is kept; the commands are the defaults (German and English).
    installed = await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
  });
  after(async () => service?.stop());

  test('first message: user by phone, ticket with topic and department, confirmation with the one-ticket notice', async () => {
    const chat = phone(1);
    await say(chat, 'Mein Drucker druckt nicht');
    const [confirmation] = await until('confirmation', () => outbound(chat), (m) => m.length >= 1);
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    assert.equal(map!.status, 'open');
    const tk = ticket(map!.ticket_id);
    assert.equal(tk.topic_id, '10');
    assert.equal(tk.dept_id, '1');
    assert.equal(tk.number, map!.ticket_number);
    assert.match(confirmation!, new RegExp(`#${tk.number}`));
    assert.match(confirmation!, /Max/);
    assert.match(confirmation!, /(one ticket at a time|nur ein Ticket gleichzeitig)/);
    const user = sql(o, `SELECT u.name, e.address FROM ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.id = u.default_email_id WHERE u.id = ${tk.user_id}`)[0]!;
    assert.deepEqual(user, { name: 'Max Mustermann', address: `whatsapp+${chat}@tickets.local` });
    const logged = log(chat);
    assert.deepEqual(logged.map((r) => [r.direction, r.status]).slice(0, 1), [['in', 'processed']]);
    await until('confirmation delivered', () => log(chat), (rows) => rows.some((r) => r.direction === 'out' && r.status === 'delivered'));
    // Staff got the usual new-ticket alert event in the thread.
    assert.ok(entries(map!.ticket_id).length === 1);
  });

  test('follow-ups and emoji land complete in the same ticket', async () => {
    const chat = phone(2);
    await say(chat, 'Erste Nachricht');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await say(chat, 'Zweite Nachricht mit Emoji 😀🖨️ und Umlauten äöü, danach Text');
    const thread = await until('two entries', () => entries(map!.ticket_id), (rows) => rows.length === 2);
    assert.equal(thread[1]!.type, 'M');
    const body = thread[1]!.body!;
    assert.match(body, /\[grinning face\]\[printer\]/, 'emoji named, as osTicket cannot store them');
    assert.match(body, /danach Text/, 'nothing after the emoji is cut off');
    assert.equal(mapping(chat).length, 1, 'still one ticket');
    const logged = log(chat).filter((r) => r.direction === 'in')[1]!;
    assert.match(logged.content!, /&#x1F600;&#x1F5A8;/, 'the message log keeps the exact characters');
  });

  test('a burst of three quick messages makes one ticket with three entries', async () => {
    const chat = phone(3);
    await Promise.all([say(chat, 'eins'), say(chat, 'zwei'), say(chat, 'drei')]);
    const rows = await until('three processed', () => log(chat), (r) => r.filter((x) => x.direction === 'in' && x.status === 'processed').length === 3);
    assert.ok(rows);
    const maps = mapping(chat);
    assert.equal(maps.length, 1, 'one ticket');
    assert.equal(entries(maps[0]!.ticket_id).filter((e) => e.type === 'M').length, 3);
  });

  test('close keyword closes; a sentence that starts with it does not; nothing to close is answered', async () => {
    const chat = phone(4);
    await say(chat, 'Problem');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await say(chat, 'Danke, aber es geht immer noch nicht');
    await until('appended', () => entries(map!.ticket_id), (rows) => rows.length === 2);
    assert.equal(ticket(map!.ticket_id).state, 'open');
    await say(chat, 'danke!');
    await until('closed', () => ticket(map!.ticket_id).state, (state) => state === 'closed');
    assert.equal(mapping(chat)[0]!.status, 'closed');
    await say(chat, 'SCHLIESSEN');
    const texts = await until('answers', () => outbound(chat), (m) => m.length >= 3);
    assert.match(texts[1]!, /(closed|geschlossen)/);
    assert.match(texts[2]!, /(no open ticket|kein offenes Ticket)/);
    assert.equal(texts.filter((x) => /(has been closed|wurde geschlossen)/.test(x)).length, 1, 'no second "closed" notice');
  });

  test('switch to an own ticket works; a foreign ticket is answered exactly like an unknown one', async () => {
    const a = phone(5);
    const b = phone(6);
    await say(a, 'Ticket eins');
    const [first] = await until('mapping', () => mapping(a), (rows) => rows.length === 1);
    const second = agent(o, 'newticket', first!.ticket_id, 'Zweites Ticket');
    await say(a, `Ticket-Wechsel #${second.number}`);
    await until('switched', () => mapping(a), (rows) => rows.some((r) => r.ticket_id === String(second.id) && r.status === 'open'));
    assert.equal(mapping(a).find((r) => r.ticket_id === first!.ticket_id)!.status, 'inactive');
    await say(a, 'Nachricht an Ticket zwei');
    await until('entry in the second ticket', () => entries(String(second.id)), (rows) => rows.some((e) => /Ticket zwei/.test(e.body!)));

    await say(b, 'Hallo');
    await until('b has a ticket', () => mapping(b), (rows) => rows.length === 1);
    await say(b, `Ticket-Wechsel #${second.number}`);
    await say(b, 'Ticket-Wechsel #999999999');
    const texts = await until('answers', () => outbound(b), (m) => m.length >= 3);
    assert.equal(texts[1]!.replace(String(second.number), 'N'), texts[2]!.replace('999999999', 'N'), 'same answer for foreign and unknown');
    assert.equal(mapping(b).length, 1, 'b did not get the foreign ticket');
  });

  test('media: the e-mail hint with the mailto link; the caption goes into the ticket', async () => {
    const chat = phone(7);
    await say(chat, 'Fehlermeldung im Bild', { type: 'image' });
    const texts = await until('confirmation and media hint', () => outbound(chat), (m) => m.length >= 2);
    const [map] = mapping(chat);
    const number = map!.ticket_number;
    assert.ok(texts[1]!.includes(`mailto:support@example.com?subject=`), texts[1]);
    assert.ok(texts[1]!.includes(`%23${number}`));
    assert.ok(texts[1]!.includes('support@example.com'));
    assert.match(entries(map!.ticket_id)[0]!.body!, /Fehlermeldung im Bild/);
  });

  test('agent reply goes out formatted; an internal note never; agent close notifies and the next message reopens the ticket', async () => {
    const chat = phone(8);
    await say(chat, 'Drucker funktioniert nicht');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(chat), (m) => m.length === 1);
    const { entry } = agent(o, 'reply', map!.ticket_id, 'Haben Sie den Drucker neu gestartet?');
    agent(o, 'note', map!.ticket_id, 'Interne Notiz: Kunde ist VIP');
    const texts = await until('reply', () => outbound(chat), (m) => m.length >= 2);
    assert.match(texts[1]!, new RegExp(`^\\*(Reply to ticket|Antwort zu Ticket) #${map!.ticket_number} - Drucker funktioniert nicht\\*`));
    assert.match(texts[1]!, /Haben Sie den Drucker neu gestartet\?/);
    await until('reply delivered in the log', () => log(chat), (rows) => rows.some((r) => r.message_id === `entry:${entry}` && r.status === 'delivered'));
    const edit = agent(o, 'edit', String(entry), 'Haben Sie den Drucker schon neu gestartet?');
    assert.ok(edit.entry > entry, 'the edit is a new thread entry');

    agent(o, 'close', map!.ticket_id);
    const afterClose = await until('close notice', () => outbound(chat), (m) => m.length >= 3);
    assert.match(afterClose[2]!, /(has been closed|wurde geschlossen)/);
    assert.match(afterClose[2]!, /(within 7 days, we reopen it|innerhalb von 7 Tagen wieder, öffnen wir es wieder)/, 'says what writing again does');
    assert.ok(!afterClose.some((x) => /Interne Notiz/.test(x)), 'internal notes never reach WhatsApp');
    assert.ok(!afterClose.some((x) => /schon neu gestartet/.test(x)), 'an edited reply is not sent again');
    assert.equal(afterClose.length, 3);
    assert.equal(mapping(chat)[0]!.status, 'closed');
    await say(chat, 'Neues Problem');
    await until('the same ticket, open again', () => mapping(chat), (rows) => rows.length === 1 && rows[0]!.status === 'open');
  });

  test('edits, deletions, reactions to an agent reply and calls reach the ticket as notes (or a notice), never as new tickets or replies', async () => {
    const chat = phone(14);
    const first = await say(chat, 'Drucker druckt nciht');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(chat), (m) => m.length === 1);
    await say(chat, 'Drucker druckt nicht', { type: 'edit', ref: first });
    const wrong = await say(chat, 'falsche Nummer: 0171 999');
    await say(chat, '', { type: 'delete', ref: wrong });
    const { entry } = agent(o, 'reply', map!.ticket_id, 'Wir schicken einen Techniker.');
    const sent = await until('reply sent', () => sentTo(chat), (m) => m.some((x) => /Techniker/.test(x.text)));
    await say(chat, '👍', { type: 'reaction', ref: sent.find((x) => /Techniker/.test(x.text))!.whatsappId });
    await say(chat, '😀', { type: 'reaction', ref: sent[0]!.whatsappId }); // to the confirmation: not an agent's message
    await say(chat, '', { type: 'call' });

    const thread = await until('three notes and the call', () => entries(map!.ticket_id), (rows) => rows.filter((e) => e.type === 'N').length >= 3 && rows.some((e) => /(anzurufen|tried to call)/.test(e.body!)));
    const notes = thread.filter((e) => e.type === 'N').map((e) => e.body!);
    assert.ok(notes.some((n) => /(„|&bdquo;|&quot;|")Drucker druckt nciht.*(Neuer Wortlaut|New wording)[\s\S]*Drucker druckt nicht/.test(n)), notes.join(' | '));
    assert.ok(notes.some((n) => /falsche Nummer: 0171 999.*gelöscht|deleted.*falsche Nummer: 0171 999/.test(n)), notes.join(' | '));
    assert.ok(notes.some((n) => /👍|(reagiert|reacted).*Wir schicken einen Techniker/.test(n) && /Techniker/.test(n)), notes.join(' | '));
    assert.equal(notes.filter((n) => /😀|:grinning/.test(n)).length, 0, 'a reaction to the confirmation is let be');
    assert.equal(thread.filter((e) => e.type === 'M').length, 3, 'first message, the deleted one (kept) and the call notice');
    assert.equal(mapping(chat).length, 1, 'no ticket of their own');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await outbound(chat)).length, 2, 'no replies to any of them: the confirmation and the agent\'s reply only');
    assert.ok(entry);
  });

  test('a customer entered by hand with a national number is recognised', async () => {
    const chat = phone(9);
    const national = `0${chat.slice(2, 5)} ${chat.slice(5)}`;
    const { id } = agent(o, 'user', national, 'Erika Musterfrau');
    await say(chat, 'Hallo, ich bin schon Kundin');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    assert.equal(map!.user_id, String(id));
  });

  test('with the service down, an agent reply waits and is sent from osTicket cron', async () => {
    const chat = phone(10);
    await say(chat, 'Bitte melden');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await service.stop();
    const { entry } = agent(o, 'reply', map!.ticket_id, 'Wir melden uns');
    assert.equal(log(chat).find((r) => r.message_id === `entry:${entry}`)!.status, 'pending');
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
    agent(o, 'cron');
    await until('sent after cron', () => outbound(chat), (m) => m.some((x) => /Wir melden uns/.test(x)));
  });

  test('the webhook refuses unsigned and wrongly signed calls', async () => {
    const body = JSON.stringify({ event: 'message', message: { id: 'X', chat: phone(11), phone: phone(11), name: '', timestamp: 1, type: 'text', text: 'x', edited: false } });
    const unsigned = await fetch(`${o.url}/api/whatsapp/webhook.php`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(unsigned.status, 401);
    const wrong = await fetch(`${o.url}/api/whatsapp/webhook.php`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Signature': 'sha256=00' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(mapping(phone(11)).length, 0);
  });

  test('a wrong webhook secret: the message is kept and named on /health, and becomes a ticket once the secret is fixed', async () => {
    const chat = phone(12);
    const setSecret = (value: string) => configure(o, installed, 0, { 'Webhook Secret': value });
    await setSecret('a-different-secret-0123456789');
    try {
      await say(chat, 'Geht meine Nachricht verloren?');
      const health = await until('misconfigured', async () => (await fetch(`${service.url}/health`)).json() as Promise<any>, (h) => h.webhook.state === 'misconfigured');
      assert.match(health.webhook.problem, /HTTP 401 bad_signature: .*WEBHOOK_SECRET/);
      assert.equal(health.queues.webhook.dead, 0);
      assert.equal(mapping(chat).length, 0);
    } finally {
      await setSecret(SECRET);
    }
    const [map] = await until('ticket after the fix', () => mapping(chat), (rows) => rows.length === 1, 90_000);
    assert.match(entries(map!.ticket_id)[0]!.body!, /Geht meine Nachricht verloren\?/);
    await until('healthy', async () => (await fetch(`${service.url}/health`)).json() as Promise<any>, (h) => h.ok === true);
  });

  test('a message WhatsApp could not decrypt reaches the ticket as a notice asking for it again', async () => {
    const chat = phone(13);
    await say(chat, 'Hallo');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const body = JSON.stringify({ event: 'message', message: { id: `U${run}:unreadable`, chat, phone: chat, name: 'Max Mustermann', timestamp: Math.floor(Date.now() / 1000), type: 'unreadable', text: '', edited: false } });
    const post = () => fetch(`${o.url}/api/whatsapp/webhook.php`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...signedHeaders(SECRET, body, Date.now()) } });
    assert.equal((await post()).status, 200);
    assert.equal((await post()).status, 200, 'a retry changes nothing');
    const thread = await until('notice', () => entries(map!.ticket_id), (rows) => rows.length === 2);
    assert.match(thread[1]!.body!, /(could not be decrypted|konnte nicht entschl)/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(entries(map!.ticket_id).length, 2, 'one notice');
  });

  // ---- in the field: requests that die, refusals, text as typed, outbound problems ----

  test('exactly once wherever the request dies: each step killed, then the retry completes it', async () => {
    const fault = faultSwitch(o);
    const inbound = (chat: string) => log(chat).filter((r) => r.direction === 'in');
    try {
      const steps = ['after_log', 'after_user', 'after_ticket', 'after_message', 'after_mapping', 'before_processed'];
      for (const [i, step] of steps.entries()) {
        const chat = phone(30 + i);
        fault.arm(step);
        await say(chat, `Erste Nachricht (${step})`);
        await until(`${step}: the request was killed`, fault.fired, (fired) => fired);
        await until(`${step}: the retry completed it`, () => inbound(chat), (rows) => rows.length === 1 && rows[0]!.status === 'processed', 30_000);
        const [map, ...more] = mapping(chat);
        assert.equal(more.length, 0, `${step}: one mapping`);
        assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE user_id = ${map!.user_id}`)[0]!.n, '1', `${step}: one ticket, no empty one`);
        assert.equal(entries(map!.ticket_id).filter((e) => e.type === 'M').length, 1, `${step}: one thread entry`);
        await until(`${step}: confirmation`, () => outbound(chat), (m) => m.length >= 1);
        if (step === 'after_ticket') continue; // a follow-up creates no ticket: that step never comes
        fault.arm(step);
        await say(chat, `Nachtrag (${step})`);
        await until(`${step}: follow-up killed`, fault.fired, (fired) => fired);
        await until(`${step}: follow-up completed`, () => inbound(chat), (rows) => rows.length === 2 && rows.every((r) => r.status === 'processed'), 30_000);
        assert.deepEqual(entries(map!.ticket_id).filter((e) => e.type === 'M').map((e) => /Nachtrag/.test(e.body!)), [false, true], `${step}: one follow-up entry`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await outbound(chat)).length, 1, `${step}: one confirmation, none for the follow-up`);
      }
    } finally {
      fault.remove();
    }
  });

  test('a message osTicket refuses (reject filter) is answered at once, logged, and the next one gets a ticket', async () => {
    const chat = phone(40);
    const word = `SPERRE${run}`;
    sql(o, `INSERT INTO ${t(o, 'filter')} (execorder, isactive, target, name, notes, created, updated) VALUES (1, 1, 'Any', 'wa-e2e-${run}', '', NOW(), NOW())`);
    const filterId = sql(o, `SELECT id FROM ${t(o, 'filter')} WHERE name = 'wa-e2e-${run}'`)[0]!.id;
    try {
      // Filters see ticket form fields as "field.<id>": the subject is the ticket form's field named "subject".
      const subjectField = sql(o, `SELECT f.id FROM ${t(o, 'form_field')} f JOIN ${t(o, 'form')} fo ON fo.id = f.form_id WHERE fo.type = 'T' AND f.name = 'subject'`)[0]!.id;
      sql(o, `INSERT INTO ${t(o, 'filter_rule')} (filter_id, what, how, val, isactive, notes, created, updated) VALUES (${filterId}, 'field.${subjectField}', 'contains', '${word}', 1, '', NOW(), NOW())`);
      sql(o, `INSERT INTO ${t(o, 'filter_action')} (filter_id, sort, type, configuration, updated) VALUES (${filterId}, 1, 'reject', '{}', NOW())`);
      await say(chat, `${word} bitte ablehnen`);
      const [answer] = await until('the refusal answer', () => outbound(chat), (m) => m.length >= 1);
      assert.match(answer!, /konnte leider nicht angenommen werden|could not be accepted/);
      assert.match(answer!, /support@example\.com/);
      const refused = log(chat).find((r) => r.direction === 'in')!;
      assert.equal(refused.status, 'refused');
      assert.match(refused.error!, /osTicket refused the ticket/);
      assert.equal(mapping(chat).length, 0);
      assert.ok(sql(o, `SELECT log_id FROM ${t(o, 'syslog')} WHERE title = 'WhatsApp: message refused by osTicket' AND log LIKE '%${chat}%'`).length === 1, 'in the system log');

      const started = Date.now();
      await say(chat, 'Jetzt eine normale Nachricht');
      await until('a ticket for the next message', () => mapping(chat), (rows) => rows.length === 1);
      assert.ok(Date.now() - started < 15_000, 'not held behind the refused one');
    } finally {
      sql(o, `DELETE FROM ${t(o, 'filter_action')} WHERE filter_id = ${filterId}`);
      sql(o, `DELETE FROM ${t(o, 'filter_rule')} WHERE filter_id = ${filterId}`);
      sql(o, `DELETE FROM ${t(o, 'filter')} WHERE id = ${filterId}`);
    }
  });

  test('customer text is stored as typed: markup stays text, 60,000 characters arrive whole', async () => {
    const chat = phone(41);
    const markup = '<a href="https://evil.example/reset">Passwort hier zuruecksetzen</a> <b>fett</b>';
    await say(chat, markup);
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const [first] = entries(map!.ticket_id);
    assert.equal(first!.format, 'text', 'a text body: shown escaped');
    assert.doesNotMatch(first!.body!, /<a |<b>/, 'no live markup');
    assert.ok(first!.body!.includes('&lt;a href=&quot;https://evil.example/reset&quot;&gt;Passwort hier zuruecksetzen&lt;/a&gt; &lt;b&gt;fett&lt;/b&gt;'));

    const long = 'Größe äöü '.repeat(6000).trim(); // 60,000 characters, 90,000 bytes
    assert.ok(Buffer.byteLength(long) > 78_740);
    await say(chat, long);
    const parts = await until('both parts', () => entries(map!.ticket_id).filter((e) => e.type === 'M').slice(1), (rows) => rows.length === 2);
    for (const [i, part] of parts.entries()) {
      assert.ok(Buffer.byteLength(part.body!) <= 65_535);
      assert.match(part.body!, new RegExp(`^\\[(Teil|Part) ${i + 1} (von|of) 2`));
    }
    // Split at a space, which osTicket trims from the end of an entry: the parts joined by one space are the text.
    const joined = parts.map((p) => p.body!.replace(/^\[[^\]]*\]\n/, '')).join(' ');
    assert.equal(joined.replace(/\s+/g, ' ').trim(), long, 'every character is in the ticket');
  });

  test('an agent reply with paragraphs, a list, a link and bold arrives as WhatsApp text, not hard-wrapped', async () => {
    const chat = phone(42);
    await say(chat, 'Formatierung bitte');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const paragraph = 'Wir haben Ihr Problem untersucht und festgestellt, dass der Druckertreiber veraltet ist und deshalb keine Aufträge annimmt.';
    agent(o, 'reply', map!.ticket_id,
      `<p>Hallo Herr M&uuml;ller,</p><p>${paragraph}</p><ul><li>Drucker <strong>neu starten</strong></li><li>Treiber aktualisieren</li></ul><p>Anleitung: <a href="https://example.com/hilfe">unsere Hilfe</a> &amp; mehr.</p>`);
    const reply = (await until('reply', () => outbound(chat), (m) => m.length >= 2))[1]!;
    assert.ok(reply.includes(`Hallo Herr Müller,\n\n${paragraph}\n\n• Drucker *neu starten*\n• Treiber aktualisieren\n\nAnleitung: unsere Hilfe (https://example.com/hilfe) & mehr.`), reply);
    assert.doesNotMatch(reply, /&amp;|&nbsp;|<\w/);
  });

  test('a wrong API key keeps replies pending, tells the administrator once, and cron sends them once fixed', async () => {
    const chat = phone(43);
    await say(chat, 'Schlüssel-Test');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const setKey = (value: string) => setPluginSetting(o, 'api_key', value);
    const problem = () => sql(o, `SELECT value FROM ${t(o, 'config')} WHERE namespace LIKE 'plugin.whatsapp.service.%' AND \`key\` = 'problem' AND value <> ''`)[0]?.value ?? '';
    const logged = () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'syslog')} WHERE title = 'WhatsApp: replies are waiting'`)[0]!.n;
    sql(o, `DELETE FROM ${t(o, 'config')} WHERE namespace LIKE 'plugin.whatsapp.service%'`);
    const before = Number(logged());
    setKey('wrong-key-0123456789abcdef');
    try {
      const first = agent(o, 'reply', map!.ticket_id, 'Antwort eins').entry;
      const second = agent(o, 'reply', map!.ticket_id, 'Antwort zwei').entry;
      for (const entry of [first, second]) assert.equal(log(chat).find((r) => r.message_id === `entry:${entry}`)!.status, 'pending');
      assert.match(problem(), /API Key/);
      assert.equal(Number(logged()) - before, 1, 'one system log entry, not one per reply');
    } finally {
      setKey(API_KEY);
    }
    agent(o, 'cron');
    const texts = await until('both sent after the fix', () => outbound(chat), (m) => m.filter((x) => /Antwort (eins|zwei)/.test(x)).length === 2);
    assert.ok(texts.findIndex((x) => /Antwort eins/.test(x)) < texts.findIndex((x) => /Antwort zwei/.test(x)), 'in order');
    assert.equal(problem(), '', 'the banner is gone');
  });

  test('a reply that cannot reach the customer (not on WhatsApp) becomes an internal note for the agent', async () => {
    const chat = phone(44);
    await say(chat, 'Bitte zurückrufen');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    await fetch(`${service.url}/sandbox/contacts`, { method: 'POST', headers, body: JSON.stringify({ phone: chat, on_whatsapp: false }) });
    agent(o, 'reply', map!.ticket_id, 'Wir rufen Sie an');
    const notes = await until('internal note', () => entries(map!.ticket_id).filter((e) => e.type === 'N'), (rows) => rows.length === 1);
    assert.match(notes[0]!.body!, /(nicht erreicht|did not reach)/);
    assert.match(notes[0]!.body!, /not on WhatsApp/);
    assert.match(notes[0]!.body!, /Wir rufen Sie an/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(entries(map!.ticket_id).filter((e) => e.type === 'N').length, 1, 'one note');
  });

  test('ten photos in a row get one media reply; every caption reaches the ticket', async () => {
    const chat = phone(45);
    await say(chat, 'Ich schicke Fotos');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    for (let i = 1; i <= 10; i++) await say(chat, `Foto ${i}`, { type: 'image' });
    await until('all captions', () => entries(map!.ticket_id).filter((e) => e.type === 'M'), (rows) => rows.length === 11);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const hints = (await outbound(chat)).filter((x) => x.includes('mailto:'));
    assert.equal(hints.length, 1);
  });

  test('a signed event with wrongly typed fields is refused with 400 and changes nothing', async () => {
    const chat = phone(46);
    for (const bad of [{ text: ['Array'] }, { name: { first: 'Max' } }, { type: 'fax' }, { edited: 'yes' }]) {
      const body = JSON.stringify({ event: 'message', message: { id: `BAD${run}`, chat, phone: chat, name: 'Max', timestamp: 1, type: 'text', text: 'x', edited: false, ...bad } });
      const answer = await fetch(`${o.url}/api/whatsapp/webhook.php`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...signedHeaders(SECRET, body, Date.now()) } });
      assert.equal(answer.status, 400, JSON.stringify(bad));
    }
    assert.equal(mapping(chat).length, 0);
    assert.equal(log(chat).length, 0);
  });

  test('no mail into the void: a staff-panel reply to a WhatsApp-only customer goes to WhatsApp, not to the generated address', async () => {
    const chat = phone(47);
    await say(chat, 'Bitte per WhatsApp antworten');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    assert.ok([200, 302].includes(await staffPanelReply(o, map!.ticket_id, '<p>Antwort aus dem Staff-Panel</p>')));
    await until('reply on WhatsApp', () => outbound(chat), (m) => m.some((x) => /Antwort aus dem Staff-Panel/.test(x)));
    const reply = entries(map!.ticket_id).filter((e) => e.type === 'R').pop()!;
    assert.match(reply.body!, /Antwort aus dem Staff-Panel/);
    assert.equal(reply.recipients ?? '', '', 'osTicket e-mailed no one');

    // A customer matched to an existing user with a real address keeps getting e-mail as osTicket is configured.
    const known = phone(48);
    const { id: userId } = agent(o, 'user', `0${known.slice(2, 5)} ${known.slice(5)}`, 'Erika Mail');
    await say(known, 'Ich habe auch E-Mail');
    const [km] = await until('mapping', () => mapping(known), (rows) => rows.length === 1);
    assert.equal(km!.user_id, String(userId));
    await staffPanelReply(o, km!.ticket_id, '<p>Antwort per Mail und WhatsApp</p>');
    const mailed = await until('reply entry', () => entries(km!.ticket_id).filter((e) => e.type === 'R'), (rows) => rows.length === 1);
    assert.match(mailed[0]!.recipients!, new RegExp(`customer0${known.slice(2)}@example\\.com`), 'e-mailed to the real address');
  });

  // ---- media ----
  const file = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * seed + 7) % 256));
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  const sendFile = (from: string, media: { filename: string; mimetype: string; data: Buffer }, text = '') =>
    say(from, text, { media: { ...media, data: media.data.toString('base64') } });
  const files = (entryId: string): Array<{ name: string; type: string; size: number; sha256: string }> => agent(o, 'files', entryId);

  test('a photo with caption opens a ticket with one entry holding the caption and the photo, byte for byte', async () => {
    const chat = phone(50);
    const photo = file(200_000, 3);
    await sendFile(chat, { filename: '', mimetype: 'image/jpeg', data: photo }, 'Das Display zeigt Fehler 42');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const [entry] = entries(map!.ticket_id);
    assert.match(entry!.body!, /Das Display zeigt Fehler 42/);
    const [attached, ...more] = files(entry!.id!);
    assert.equal(more.length, 0);
    assert.deepEqual([attached!.type, attached!.size, attached!.sha256], ['image/jpeg', photo.length, sha256(photo)]);
    assert.match(attached!.name, /^photo-\d{8}-\d{6}\.jpg$/);
    await until('confirmation', () => outbound(chat), (m) => m.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(!(await outbound(chat)).some((x) => x.includes('mailto:')), 'no e-mail link when the photo is in the ticket');
  });

  test('a PDF on a follow-up and a voice note are attached to their entries; a file over osTicket\'s limit is named and answered with the e-mail link', async () => {
    const chat = phone(51);
    await say(chat, 'Ich schicke Unterlagen');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const pdf = file(50_000, 5);
    const voice = file(30_000, 11);
    const big = file(1_500_000, 13); // osTicket's default maximum file size is 1 MB
    await sendFile(chat, { filename: 'Rechnung März.pdf', mimetype: 'application/pdf', data: pdf }, 'Die Rechnung');
    await sendFile(chat, { filename: '', mimetype: 'audio/ogg; codecs=opus', data: voice });
    await sendFile(chat, { filename: 'video.mp4', mimetype: 'video/mp4', data: big });
    const thread = await until('three more entries', () => entries(map!.ticket_id).filter((e) => e.type === 'M'), (rows) => rows.length === 4);
    assert.deepEqual(files(thread[1]!.id!).map((f) => [f.name, f.sha256]), [['Rechnung März.pdf', sha256(pdf)]]);
    const [note] = files(thread[2]!.id!);
    assert.match(note!.name, /^audio-.*\.ogg$/);
    assert.equal(note!.sha256, sha256(voice));
    assert.deepEqual(files(thread[3]!.id!), []);
    assert.match(thread[3]!.body!, /(Datei|File) \S*video\.mp4\S* \(1\.4 MB\) (nicht angehängt|not attached): (größer als erlaubt|larger than allowed) \(1 MB\)/);
    const hints = await until('e-mail link', () => outbound(chat), (m) => m.some((x) => x.includes('mailto:')));
    assert.equal(hints.filter((x) => x.includes('mailto:')).length, 1);
    // The customer hears that this file was too large, by how much, and where to send it (not that files cannot be sent at all).
    const hint = hints.find((x) => x.includes('mailto:'))!;
    assert.match(hint, /video\.mp4.*(it is 1\.4 MB, the limit is 1 MB \(441 KB too large\)|sie ist 1\.4 MB groß, erlaubt sind 1 MB \(441 KB zu viel\))/s);
    assert.match(hint, /(support@example\.com with the subject "Attachment for ticket #|support@example\.com mit dem Betreff „Anhang zu Ticket #)/);
    assert.doesNotMatch(hint, /cannot be submitted|nicht über WhatsApp eingereicht/);
  });

  test('a file WhatsApp hands over late: the caption goes on at once (the chat is not held), the file follows as its own entry, no e-mail link', async () => {
    const chat = phone(56);
    await say(chat, 'Ich schicke gleich ein Foto');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const photo = file(80_000, 17);
    await say(chat, 'Das Foto vom Fehler', { media: { filename: '', mimetype: 'image/jpeg', data: photo.toString('base64') }, media_late_seconds: 25 });
    await say(chat, 'Und noch eine Frage');
    // The service holds the chat at most 15 s for a file; then the caption and the next message go on.
    const early = await until('caption and next message', () => entries(map!.ticket_id).filter((e) => e.type === 'M'), (rows) => rows.length === 3, 30_000);
    assert.match(early[1]!.body!, /Das Foto vom Fehler/);
    assert.match(early[1]!.body!, /(folgt als eigene Nachricht|follows as a message of its own)/);
    assert.deepEqual(files(early[1]!.id!), []);
    assert.match(early[2]!.body!, /Und noch eine Frage/);
    const thread = await until('the photo as its own entry', () => entries(map!.ticket_id).filter((e) => e.type === 'M'), (rows) => rows.length === 4, 40_000);
    assert.deepEqual(files(thread[3]!.id!).map((f) => f.sha256), [sha256(photo)]);
    assert.ok(!(await outbound(chat)).some((x) => x.includes('mailto:')), 'no e-mail link for a file that is on its way');
  });

  test('a webhook retried after its request died attaches the file once', async () => {
    const fault = faultSwitch(o);
    try {
      const chat = phone(52);
      const photo = file(80_000, 17);
      fault.arm('before_processed');
      await sendFile(chat, { filename: 'bild.png', mimetype: 'image/png', data: photo }, 'Zweimal?');
      await until('killed once', fault.fired, (fired) => fired);
      await until('processed', () => log(chat).filter((r) => r.direction === 'in'), (rows) => rows[0]?.status === 'processed', 30_000);
      const [map] = mapping(chat);
      const thread = entries(map!.ticket_id);
      assert.equal(thread.length, 1);
      assert.deepEqual(files(thread[0]!.id!).map((f) => f.sha256), [sha256(photo)]);
    } finally {
      fault.remove();
    }
  });

  test('an agent reply with two attachments: the text, then both files, in the sandbox with matching sha256', async () => {
    const chat = phone(53);
    await say(chat, 'Bitte schicken Sie mir die Anleitung');
    const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
    const { files: attached } = agent(o, 'replyfiles', map!.ticket_id, '<p>Hier die Anleitung und ein Bildschirmfoto.</p>');
    const sent = await until('text and two files', () => sentTo(chat), (m) => m.length >= 4);
    assert.match(sent[1]!.text, /Hier die Anleitung/);
    assert.deepEqual(sent.slice(2).map((m) => [m.media?.filename, m.media?.sha256]), attached.map((f: { name: string; sha256: string }) => [f.name, f.sha256]));
    const bytes = Buffer.from(await (await fetch(`${service.url}${sent[3]!.media!.url}`, { headers })).arrayBuffer());
    assert.equal(sha256(bytes), attached[1].sha256);
    await until('each file delivered, with its own status', () => log(chat).filter((r) => /^entry:\d+:file:\d+$/.test(r.message_id!)), (rows) => rows.length === 2 && rows.every((r) => r.status === 'delivered' || r.status === 'read'));
  });

  test('with "E-mail link only" a file is not taken: the caption reaches the ticket and the customer gets the e-mail link', async () => {
    const setHandling = (value: string) => configure(o, installed, 0, { 'Media handling': value });
    await setHandling('link');
    try {
      const chat = phone(54);
      await sendFile(chat, { filename: '', mimetype: 'image/jpeg', data: file(20_000, 19) }, 'Nur per Link');
      const [map] = await until('mapping', () => mapping(chat), (rows) => rows.length === 1);
      const [entry] = entries(map!.ticket_id);
      assert.match(entry!.body!, /Nur per Link/);
      assert.deepEqual(files(entry!.id!), []);
      await until('e-mail link', () => outbound(chat), (m) => m.some((x) => x.includes('mailto:')));
    } finally {
      await setHandling('attach');
    }
  });

  test('a file the plugin cannot fetch yet (wrong API key) is retried and attached once the key is fixed', async () => {
    const setKey = (value: string) => setPluginSetting(o, 'api_key', value);
    const chat = phone(55);
    const photo = file(30_000, 23);
    setKey('wrong-key-0123456789abcdef');
    try {
      await sendFile(chat, { filename: 'warten.png', mimetype: 'image/png', data: photo }, 'Mit falschem Schlüssel');
      const health = await until('the service retries', async () => (await fetch(`${service.url}/health`)).json() as Promise<any>, (h) => h.webhook.state === 'failing');
      assert.match(health.webhook.problem, /HTTP 500/);
      assert.equal(mapping(chat).length, 0, 'nothing half done');
    } finally {
      setKey(API_KEY);
    }
    const [map] = await until('ticket after the fix', () => mapping(chat), (rows) => rows.length === 1, 60_000);
    const [entry] = entries(map!.ticket_id);
    assert.deepEqual(files(entry!.id!).map((f) => f.sha256), [sha256(photo)]);
  });
});
