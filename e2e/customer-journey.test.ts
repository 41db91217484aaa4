/**
 * The customer's side of a helpdesk, end to end: a rating asked after each
 * close (an answer of only 1-5 within 3 days is recorded, never a ticket); a message after a close
 * reopens the ticket when osTicket allows it and the close is recent (else a
 * new ticket with a note naming the closed one); a customer who writes STOP
 * gets one confirmation and from then on nothing the business starts (an
 * agent's reply becomes a note, a close sends no notice, Continue on WhatsApp
 * is refused, the ticket view says so); their next message of their own opts
 * them in again, START too; the opt-out goes with the number's erasure. Same
 * variables as conversations.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AdminPanel } from './admin-panel.js';
import { agent, configure, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, servicePort, setPluginSetting, skipUnlessSupported, sql, startSandboxService, t, threadEntries, until } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4915${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;

describe('the customer\'s side: reopen within osTicket\'s rules, opt-out and opt-in', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: { url: string; stop(): Promise<void> };
  let installed: Installed;
  const { say, outbound } = sandboxCustomer(() => service.url, API_KEY);
  const notes = (ticketId: string) => threadEntries(o, ticketId).filter((e) => e.type === 'N').map((e) => e.body!);
  const optOuts = (chat: string) => sql(o, `SELECT * FROM ${t(o, 'whatsapp_optouts')} WHERE phone = '${chat}'`);
  const quiet = async (chat: string, count: number) => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal((await outbound(chat)).length, count, 'nothing more reached the customer');
  };

  before(async () => {
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
    installed = await installPlugin(o, {
      'Service URL': service.url, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
  });
  after(async () => {
    await service?.stop();
  });

  const state = (ticketId: string) => sql(o, `SELECT s.state FROM ${t(o, 'ticket')} tk JOIN ${t(o, 'ticket_status')} s ON s.id = tk.status_id WHERE tk.ticket_id = ${ticketId}`)[0]!.state;
  /** A customer with a ticket an agent closed (with osTicket's first closed status, which allows reopening). */
  const closedTicket = async (chat: string) => {
    await say(chat, 'Mein Bildschirm flackert');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    agent(o, 'close', row!.ticket_id!);
    await until('closed', () => mappings(o, chat), (rows) => rows[0]!.status === 'closed');
    return row!;
  };

  test('a message a few days after an agent closed the ticket reopens it; the customer is told which ticket it went to', async () => {
    const chat = phone(20);
    const row = await closedTicket(chat);
    const notice = (await until('close notice', () => outbound(chat), (m) => m.length === 2))[1]!;
    assert.match(notice, /(within 7 days, we reopen it|innerhalb von 7 Tagen wieder, öffnen wir es wieder)/);
    sql(o, `UPDATE ${t(o, 'ticket')} SET closed = NOW() - INTERVAL 6 DAY WHERE ticket_id = ${row.ticket_id}`);
    await say(chat, 'Es flackert schon wieder');
    const told = await until('told', () => outbound(chat), (m) => m.length === 3);
    assert.match(told[2]!, new RegExp(`#${row.ticket_number}.*(open again|wieder geöffnet)`, 's'));
    assert.equal(state(row.ticket_id!), 'open');
    assert.deepEqual(mappings(o, chat).map((r) => [r.ticket_id, r.status]), [[row.ticket_id, 'open']]);
    assert.ok(threadEntries(o, row.ticket_id!).some((e) => e.type === 'M' && /schon wieder/.test(e.body!)));
  });

  test('closed longer ago than "Reopen within", or with a status osTicket does not reopen: a new ticket, with a note naming the closed one', async () => {
    const old = phone(21);
    const first = await closedTicket(old);
    sql(o, `UPDATE ${t(o, 'ticket')} SET closed = NOW() - INTERVAL 8 DAY WHERE ticket_id = ${first.ticket_id}`);
    await say(old, 'Neues Anliegen nach langer Zeit');
    const [, fresh] = await until('a new ticket', () => mappings(o, old), (rows) => rows.length === 2);
    assert.equal(state(first.ticket_id!), 'closed');
    assert.ok(notes(fresh!.ticket_id!).some((n) => n.includes(`#${first.ticket_number}`) && /(more than 7 days|mehr als 7 Tagen)/.test(n)));

    // A closed status without "Allow Reopen" (Admin panel › Manage › Lists › Ticket Statuses).
    const final = `Endgültig ${run}`;
    sql(o, `INSERT INTO ${t(o, 'ticket_status')} (name, state, mode, flags, sort, properties, created, updated) VALUES ('${final}', 'closed', 3, 0, 99, '{"allowreopen":false}', NOW(), NOW())`);
    const finalId = sql(o, `SELECT id FROM ${t(o, 'ticket_status')} WHERE name = '${final}'`)[0]!.id;
    try {
      const chat = phone(22);
      const second = await closedTicket(chat);
      sql(o, `UPDATE ${t(o, 'ticket')} SET status_id = ${finalId} WHERE ticket_id = ${second.ticket_id}`);
      await say(chat, 'Noch etwas');
      const [, other] = await until('a new ticket', () => mappings(o, chat), (rows) => rows.length === 2);
      assert.ok(notes(other!.ticket_id!).some((n) => n.includes(`#${second.ticket_number}`) && /(does not allow|erlaubt es nicht)/.test(n)));
    } finally {
      sql(o, `UPDATE ${t(o, 'ticket')} SET status_id = 3 WHERE status_id = ${finalId}`);
      sql(o, `DELETE FROM ${t(o, 'ticket_status')} WHERE id = ${finalId}`);
    }
  });

  test('"Reopen within: 0" keeps the old way: a new ticket, no note, and the close notice says so', async () => {
    await configure(o, installed, 0, { 'Reopen within': '0' });
    try {
      const chat = phone(23);
      const first = await closedTicket(chat);
      const notice = (await until('close notice', () => outbound(chat), (m) => m.length === 2))[1]!;
      assert.match(notice, /(If you write again, we will open a new ticket|Wenn Sie wieder schreiben, eröffnen wir ein neues Ticket)/);
      await say(chat, 'Wieder da');
      const [, fresh] = await until('a new ticket', () => mappings(o, chat), (rows) => rows.length === 2);
      assert.equal(state(first.ticket_id!), 'closed');
      assert.ok(!notes(fresh!.ticket_id!).some((n) => n.includes(`#${first.ticket_number}`)));
    } finally {
      await configure(o, installed, 0, { 'Reopen within': '7' });
    }
  });

  test('a rating after an agent\'s close: "5" is recorded (table, note, the ticket field osTicket\'s search finds), "5 stars please fix X" is a message', async () => {
    await configure(o, installed, 0, { 'Ask for a rating': true });
    try {
      const chat = phone(30);
      const row = await closedTicket(chat);
      const [, notice, question] = await until('close notice and the question', () => outbound(chat), (m) => m.length === 3);
      assert.match(notice!, /(has been closed|wurde geschlossen)/);
      assert.match(question!, new RegExp(`#${row.ticket_number}.*(1 \\(not at all\\) to 5|1 \\(gar nicht\\) bis 5)`, 's'));
      assert.ok(notes(row.ticket_id!).some((n) => /(asked over WhatsApp to rate|um eine Bewertung)/.test(n)));
      await say(chat, '5');
      const [, , , thanks] = await until('thanks', () => outbound(chat), (m) => m.length === 4);
      assert.match(thanks!, /(Thank you for your rating|Vielen Dank für Ihre Bewertung)/);
      const rating = sql(o, `SELECT * FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row.ticket_id}`);
      assert.deepEqual(rating.map((r) => [r.rating, r.closed_by, r.dept_id]), [['5', '1', '1']], 'the rating, the agent who closed, the department');
      assert.equal(state(row.ticket_id!), 'closed', 'a rating reopens nothing');
      assert.equal(mappings(o, chat).length, 1, 'and opens nothing');
      assert.ok(notes(row.ticket_id!).some((n) => /(rated the help on this ticket 5 out of 5|mit 5 von 5 bewertet)/.test(n)));
      assert.ok(agent(o, 'search', 'whatsapp_rating', '5').ids.includes(Number(row.ticket_id)), 'osTicket\'s search finds it by the field');

      // Answered again, or later: thanked, nothing changes, nothing is reopened.
      await say(chat, '3');
      await until('thanked again', () => outbound(chat), (m) => m.length === 5);
      assert.equal(sql(o, `SELECT rating FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row.ticket_id}`)[0]!.rating, '5');
      assert.equal(state(row.ticket_id!), 'closed');
      assert.equal(mappings(o, chat).length, 1);

      const other = phone(31);
      const second = await closedTicket(other);
      await until('the question', () => outbound(other), (m) => m.length === 3);
      await say(other, '5 stars please fix X');
      await until('a message: it reopens the ticket', () => threadEntries(o, second.ticket_id!), (rows) => rows.some((e) => e.type === 'M' && /please fix X/.test(e.body!)));
      assert.deepEqual(sql(o, `SELECT rating FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${second.ticket_id}`).map((r) => r.rating), ['']);
    } finally {
      await configure(o, installed, 0, { 'Ask for a rating': false });
    }
  });

  test('a number for an open ticket the customer talks about now is an answer there, not a rating of the closed one', async () => {
    await configure(o, installed, 0, { 'Ask for a rating': true });
    try {
      const chat = phone(33);
      const row = await closedTicket(chat);
      await until('the question', () => outbound(chat), (m) => m.length === 3);
      const other = agent(o, 'newticket', row.ticket_id!, 'Wie viele Geräte?'); // an agent's ticket for the same customer
      await say(chat, `Ticket-Wechsel #${other.number}`);
      await until('switched', () => mappings(o, chat), (rows) => rows.some((r) => r.ticket_id === String(other.id) && r.status === 'open'));
      await say(chat, '2');
      await until('the answer in the open ticket', () => threadEntries(o, String(other.id)), (rows) => rows.some((e) => e.type === 'M' && e.body!.trim() === '2'));
      assert.equal(sql(o, `SELECT rating FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row.ticket_id}`)[0]!.rating, '', 'not a rating');
    } finally {
      await configure(o, installed, 0, { 'Ask for a rating': false });
    }
  });

  test('a ticket merged into another customer\'s ticket is not reopened by its customer\'s next message (osTicket would add it to the parent)', async () => {
    const chat = phone(34);
    await say(chat, 'Mein Anliegen');
    const [child] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const someoneElse = agent(o, 'user', `+${phone(35)}`, 'Jemand Anderes').id as number;
    const parent = String(agent(o, 'ticketfor', String(someoneElse)).ticket);
    const parentNumber = sql(o, `SELECT number FROM ${t(o, 'ticket')} WHERE ticket_id = ${parent}`)[0]!.number!;
    const closed = sql(o, `SELECT id FROM ${t(o, 'ticket_status')} WHERE state = 'closed' ORDER BY sort LIMIT 1`)[0]!.id!;
    const admin = await AdminPanel.open(o);
    try {
      await admin.mergeTickets({ id: parent, number: parentNumber }, { number: child!.ticket_number! }, closed);
    } finally {
      await admin.close();
    }
    await until('the child closed', () => state(child!.ticket_id!), (s) => s === 'closed');
    await say(chat, 'Noch eine Frage');
    const [, fresh] = await until('a new ticket', () => mappings(o, chat), (rows) => rows.length === 2);
    assert.ok(threadEntries(o, fresh!.ticket_id!).some((e) => /Noch eine Frage/.test(e.body!)));
    assert.ok(!threadEntries(o, parent).some((e) => /Noch eine Frage/.test(e.body!)), 'not in the other customer\'s ticket');
    assert.equal(state(parent), 'open');
  });

  test('a rating after the customer\'s own close, and a second close asks again only for itself', async () => {
    await configure(o, installed, 0, { 'Ask for a rating': true });
    try {
      const chat = phone(32);
      await say(chat, 'Passwort vergessen');
      const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
      await say(chat, 'Danke');
      const answers = await until('close answer and the question', () => outbound(chat), (m) => m.length === 3);
      assert.match(answers[2]!, /(1 \(not at all\) to 5|1 \(gar nicht\) bis 5)/);
      await say(chat, '4');
      await until('recorded', () => sql(o, `SELECT rating, closed_by FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row!.ticket_id}`), (r) => r.length === 1 && r[0]!.rating === '4');
      assert.equal(sql(o, `SELECT closed_by FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row!.ticket_id}`)[0]!.closed_by, '0', 'closed by the customer');

      // Reopened by a message, closed again by an agent: one new question, for the new close.
      await say(chat, 'Geht doch nicht');
      await until('reopened', () => state(row!.ticket_id!), (s) => s === 'open');
      agent(o, 'close', row!.ticket_id!); // (often within the same second as the first close: still a close of its own)
      await until('the second question', () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row!.ticket_id}`)[0]!.n, (n) => n === '2');
      await say(chat, '2');
      await until('the second rating', () => sql(o, `SELECT rating FROM ${t(o, 'whatsapp_ratings')} WHERE ticket_id = ${row!.ticket_id} ORDER BY id`).map((r) => r.rating).join(), (r) => r === '4,2');
      assert.ok(agent(o, 'search', 'whatsapp_rating', '2').ids.includes(Number(row!.ticket_id)), 'the field holds the newest rating');
    } finally {
      await configure(o, installed, 0, { 'Ask for a rating': false });
    }
  });

  test('STOP: one confirmation; an agent\'s reply becomes a note, a close sends nothing, Continue on WhatsApp is refused; the ticket view says so', async () => {
    const chat = phone(1);
    await say(chat, 'Mein Drucker streikt');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(chat), (m) => m.length === 1);
    await say(chat, 'stop');
    const [, confirmation] = await until('opt-out confirmation', () => outbound(chat), (m) => m.length === 2);
    assert.match(confirmation!, /(keine Nachrichten mehr|no longer get messages)/);
    assert.equal(optOuts(chat).length, 1);
    assert.ok(notes(row!.ticket_id!).some((n) => /(abgemeldet|opted out)/.test(n) && n.includes(`+${chat}`)), 'the agents are told on the ticket');
    assert.ok(!threadEntries(o, row!.ticket_id!).some((e) => e.type === 'M' && /^stop$/i.test(e.body!.trim())), 'STOP is no message in the ticket');

    agent(o, 'reply', row!.ticket_id!, 'Haben Sie den Drucker neu gestartet?');
    await until('the note instead', () => notes(row!.ticket_id!), (n) => n.some((x) => /(nicht erreicht|did not reach)/.test(x) && /STOP/.test(x) && /neu gestartet/.test(x)));
    await quiet(chat, 2);

    const staff = await AdminPanel.open(o);
    try {
      await staff.visit(`/scp/tickets.php?id=${row!.ticket_id}`);
      await staff.page.waitForSelector('#whatsapp-notice', { visible: true, timeout: 15_000 });
      assert.match(await staff.page.$eval('#whatsapp-notice', (e) => e.textContent!), /(abgemeldet|opted out)/);
      await staff.screenshot('optout-ticket-view');
      const answer = await staff.page.evaluate(async (id: string, target: string) => {
        const token = document.querySelector('meta[name=csrf_token]')!.getAttribute('content')!;
        const response = await fetch(`ajax.php/whatsapp/tickets/${id}/continue`, { method: 'POST', body: new URLSearchParams({ target }), headers: { 'X-CSRFToken': token } });
        return [response.status, await response.text()] as const;
      }, row!.ticket_id!, `${installed.instances[0]}:${chat}`);
      assert.equal(answer[0], 200, 'the dialog again, with why');
      assert.match(answer[1], /msg_error.*(abgemeldet|opted out)/s);
    } finally {
      await staff.close();
    }

    agent(o, 'close', row!.ticket_id!);
    await quiet(chat, 2);
  });

  test('the customer\'s next message opts them in again: told, and it goes into a ticket as any message; replies reach them again', async () => {
    const chat = phone(2);
    await say(chat, 'Erste Frage');
    const [first] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    await say(chat, 'ABMELDEN');
    await until('opt-out confirmation', () => outbound(chat), (m) => m.length === 2);
    await say(chat, 'Doch noch eine Frage zum Drucker');
    const answers = await until('opt-in told', () => outbound(chat), (m) => m.length === 3);
    assert.match(answers[2]!, /(wieder angemeldet|signed up again)/);
    assert.deepEqual(optOuts(chat), []);
    await until('in the ticket', () => threadEntries(o, first!.ticket_id!), (rows) => rows.some((e) => /Doch noch eine Frage/.test(e.body!)));
    assert.ok(notes(first!.ticket_id!).some((n) => /(wieder für WhatsApp angemeldet|opted in)/.test(n)));
    agent(o, 'reply', first!.ticket_id!, 'Gern, worum geht es?');
    await until('the reply arrives', () => outbound(chat), (m) => m.some((x) => /worum geht es/.test(x)));
  });

  test('a reply still waiting for the service when the customer writes STOP stays with the agents', async () => {
    const chat = phone(4);
    await say(chat, 'Frage zur Rechnung');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(chat), (m) => m.length === 1);
    setPluginSetting(o, 'api_key', 'wrong-key-0123456789abcdef'); // the service refuses the plugin: the reply waits in its table
    try {
      agent(o, 'reply', row!.ticket_id!, 'Die Rechnung ist korrigiert');
    } finally {
      setPluginSetting(o, 'api_key', API_KEY);
    }
    const waiting = sql(o, `SELECT status FROM ${t(o, 'whatsapp_messages')} WHERE direction = 'out' AND phone = '${chat}' AND message_id LIKE 'entry:%'`);
    assert.deepEqual(waiting.map((r) => r.status), ['pending']);
    await say(chat, 'STOP');
    await until('opt-out confirmation', () => outbound(chat), (m) => m.length === 2);
    await until('the waiting reply failed, with why', () => sql(o, `SELECT status, error FROM ${t(o, 'whatsapp_messages')} WHERE direction = 'out' AND phone = '${chat}' AND message_id LIKE 'entry:%'`),
      (rows) => rows[0]!.status === 'failed' && /STOP/.test(rows[0]!.error!));
    await quiet(chat, 2);
    assert.ok(!(await outbound(chat)).some((x) => /Rechnung ist korrigiert/.test(x)));
  });

  test('a file of an earlier message that WhatsApp hands over after the STOP does not opt the customer in again', async () => {
    const chat = phone(6);
    await say(chat, 'Hier ein Foto');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const photo = Buffer.alloc(20_000, 7);
    await say(chat, 'Das Foto', { media: { filename: '', mimetype: 'image/jpeg', data: photo.toString('base64') }, media_late_seconds: 20 });
    await say(chat, 'STOP');
    await until('opted out', () => optOuts(chat), (rows) => rows.length === 1);
    // The service holds the chat for a file up to 15 s, then the file follows as "<id>.file" once WhatsApp hands it over.
    await until('the late file in the ticket', () => threadEntries(o, row.ticket_id!).filter((e) => e.type === 'M').length, (n) => n >= 3, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(optOuts(chat).length, 1, 'still opted out');
    assert.ok(!(await outbound(chat)).some((x) => /^(You are signed up again|Sie sind wieder angemeldet)/.test(x)), 'no opt-in message');
  });

  test('START from someone who never opted out is an ordinary message (a click-to-chat text): it opens a ticket', async () => {
    const chat = phone(5);
    await say(chat, 'Start');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    assert.ok(threadEntries(o, row!.ticket_id!).some((e) => e.type === 'M' && /Start/.test(e.body!)));
  });

  test('START opts in without a ticket; a number\'s erasure takes its opt-out along', async () => {
    const chat = phone(3);
    await say(chat, 'STOP');
    await until('opt-out confirmation', () => outbound(chat), (m) => m.length === 1);
    assert.deepEqual(mappings(o, chat), [], 'STOP opens no ticket');
    await say(chat, 'start');
    const [, welcome] = await until('opt-in confirmation', () => outbound(chat), (m) => m.length === 2);
    assert.match(welcome!, /(wieder angemeldet|signed up again)/);
    assert.deepEqual(mappings(o, chat), [], 'START opens no ticket');
    assert.deepEqual(optOuts(chat), []);

    await say(chat, 'STOP');
    await until('opted out again', () => optOuts(chat), (rows) => rows.length === 1);
    await configure(o, installed, 0, { 'Erase a phone number': `+${chat}` });
    assert.deepEqual(optOuts(chat), [], 'erased with the number');
  });
});
