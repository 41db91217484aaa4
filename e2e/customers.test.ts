/**
 * End to end, the plugin's promises about customers: who a WhatsApp customer
 * is (a phone a guest typed proves nothing), their words kept as typed, every
 * message exactly once also when PHP dies inside osTicket (at random, by
 * killing Apache's children), retries that look again, osTicket's rules for
 * closing, replies that follow the ticket's owner, and no mail to generated
 * addresses. Same variables as conversations.test.ts; skips without them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { agent, faultSwitch, fillByLabel, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, skipUnlessSupported, sql, staffPanelReply, startSandboxService, t, threadEntries, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4913${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;
/** Where the test osTicket's outgoing mail goes (osticket-test-instance.sh's sendmail stand-in). */
const MAIL_LOG = process.env.OSTICKET_MAIL_LOG ?? '/var/log/osticket-mail.log';

/** Text as osTicket's text bodies store it (htmlspecialchars, ENT_COMPAT, double encoding). */
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describe('who a customer is, and every message once', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: { url: string; stop(): Promise<void> };
  const { say, outbound } = sandboxCustomer(() => service.url, API_KEY);
  const mapping = (chat: string) => mappings(o, chat);
  const entries = (ticketId: string) => threadEntries(o, ticketId);
  const ticket = (id: string) => sql(o, `SELECT tk.*, s.state FROM ${t(o, 'ticket')} tk JOIN ${t(o, 'ticket_status')} s ON s.id = tk.status_id WHERE tk.ticket_id = ${id}`)[0];
  const inbound = (chat: string) => sql(o, `SELECT * FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' AND direction = 'in' ORDER BY id`);
  const mails = () => (existsSync(MAIL_LOG) ? readFileSync(MAIL_LOG, 'utf8') : '');
  const mailOffset = () => (existsSync(MAIL_LOG) ? statSync(MAIL_LOG).size : 0);

  before(async () => {
    await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
  });
  after(async () => service?.stop());

  test('a guest who typed a customer\'s phone on the web does not get that customer\'s conversation, nor the replies by mail', async () => {
    const victim = phone(1);
    const guestEmail = `guest${run}@example.com`;
    // The client portal's "Open a New Ticket", as a guest.
    const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
      await page.goto(`${o.url}/open.php`);
      await page.select('select[name=topicId]', '10');
      await page.waitForSelector('.redactor-in');
      await fillByLabel(page, { 'Email Address': guestEmail, 'Full Name': 'Gast Angreifer', 'Phone Number': `+${victim}`, 'Issue Summary': 'Meine Nummer' });
      await page.evaluate(() => {
        const textarea = document.querySelector('textarea') as HTMLTextAreaElement;
        (window as unknown as { $R: (el: Element, call: string, html: string) => void }).$R(textarea, 'source.setCode', '<p>Bitte rufen Sie mich an</p>');
        textarea.value = '<p>Bitte rufen Sie mich an</p>';
      });
      await Promise.all([page.waitForNavigation(), page.click('form input[type=submit]')]);
      assert.match(await page.$eval('#msg_notice', (e) => e.textContent!).catch(() => ''), /created/);
    } finally {
      await browser.close();
    }
    const guest = sql(o, `SELECT u.id FROM ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.id = u.default_email_id WHERE e.address = '${guestEmail}'`)[0]!.id!;
    assert.deepEqual(sql(o, `SELECT DISTINCT source FROM ${t(o, 'whatsapp_phone_index')} WHERE phone = '${victim}' AND user_id = ${guest}`).map((r) => r.source), ['claim']);

    await say(victim, 'Hallo, hier ist der echte Kunde');
    const [map] = await until('ticket', () => mapping(victim), (rows) => rows.length === 1);
    assert.notEqual(map!.user_id, guest, 'not the guest\'s user');
    const owner = sql(o, `SELECT e.address FROM ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.id = u.default_email_id WHERE u.id = ${map!.user_id}`)[0]!.address;
    assert.equal(owner, `whatsapp+${victim}@tickets.local`);
    const note = entries(map!.ticket_id).find((e) => e.type === 'N')!;
    assert.match(note.body!, /Gast Angreifer/, 'the agent is told who typed the number');

    const offset = mailOffset();
    assert.ok([200, 302].includes(await staffPanelReply(o, map!.ticket_id, '<p>Antwort an den Kunden</p>')));
    await until('reply on WhatsApp', () => outbound(victim), (m) => m.some((x) => /Antwort an den Kunden/.test(x)));
    assert.ok(!mails().slice(offset).includes(guestEmail), 'nothing mailed to the guest');
  });

  test('a phone staff entered still matches; one stored for two users is never guessed between', async () => {
    const known = phone(2);
    const { id } = agent(o, 'user', `+${known}`, 'Erika Bekannt');
    await say(known, 'Ich bin schon Kundin');
    const [map] = await until('ticket', () => mapping(known), (rows) => rows.length === 1);
    assert.equal(map!.user_id, String(id));

    const shared = phone(3);
    const first = agent(o, 'user', `+${shared}`, 'Anna Eins').id;
    const second = agent(o, 'user', `0${shared.slice(2, 5)} ${shared.slice(5)}`, 'Berta Zwei').id;
    await say(shared, 'Wer bin ich?');
    const [ambiguous] = await until('ticket', () => mapping(shared), (rows) => rows.length === 1);
    assert.ok(![String(first), String(second)].includes(ambiguous!.user_id!), 'neither of the two');
    assert.match(entries(ambiguous!.ticket_id).find((e) => e.type === 'N')!.body!, /Anna Eins.*Berta Zwei|Berta Zwei.*Anna Eins/s);
  });

  test('first lines starting with - + = @ become tickets, the text exactly as typed', async () => {
    const lines = ['- Drucker geht nicht', '+49 171 2345678 bitte Rückruf', '=SUMME(A1:A3) rechnet falsch', '@Support bitte melden'];
    for (const [i, text] of lines.entries()) {
      const chat = phone(10 + i);
      await say(chat, `${text}\nzweite Zeile`);
      const [map] = await until(`ticket for "${text}"`, () => mapping(chat), (rows) => rows.length === 1);
      const [entry] = entries(map!.ticket_id);
      assert.equal(entry!.body, escaped(`${text}\nzweite Zeile`));
      assert.match((await until('confirmation', () => outbound(chat), (m) => m.length === 1))[0]!, /#\d+/);
      const subject = sql(o, `SELECT subject FROM ${t(o, 'ticket__cdata')} WHERE ticket_id = ${map!.ticket_id}`)[0]!.subject!;
      assert.equal(subject, text.replace(/^[-+=@ ]+/, ''));
    }
  });

  test('text full of < > & and addresses in angle brackets is stored and shown exactly as typed', async () => {
    const chat = phone(20);
    const text = 'wenn a<b dann c>d & "e"\nMail: <max@example.com>, &lt;kein Tag&gt; <script>alert(1)</script> <b>fett</b>';
    await say(chat, text);
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    const [entry] = entries(map!.ticket_id);
    assert.equal(entry!.body, escaped(text), 'nothing after a "<" is lost');
    assert.equal(agent(o, 'shown', entry!.id!).text, text, 'the staff panel shows it as typed');
  });

  test('killed inside osTicket (ticket row saved, entry saved without its id, entry done): one ticket, one entry, one confirmation', async () => {
    const fault = faultSwitch(o);
    try {
      for (const [i, step] of ['in_ticket_create', 'in_entry_create', 'in_entry_done'].entries()) {
        const chat = phone(30 + i);
        fault.arm(step);
        await say(chat, `Erste Nachricht (${step})`);
        await until(`${step}: killed`, fault.fired, (fired) => fired);
        await until(`${step}: completed by the retry`, () => inbound(chat), (rows) => rows[0]?.status === 'processed', 30_000);
        const [map, ...more] = mapping(chat);
        assert.equal(more.length, 0);
        assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE user_id = ${map!.user_id}`)[0]!.n, '1', `${step}: one ticket`);
        assert.deepEqual(entries(map!.ticket_id).filter((e) => e.type === 'M').map((e) => e.body), [`Erste Nachricht (${step})`], `${step}: one entry`);
        await until(`${step}: confirmation`, () => outbound(chat), (m) => m.length >= 1);
        if (step === 'in_ticket_create') continue; // a follow-up creates no ticket
        fault.arm(step);
        await say(chat, `Nachtrag (${step})`);
        await until(`${step}: follow-up killed`, fault.fired, (fired) => fired);
        await until(`${step}: follow-up completed`, () => inbound(chat), (rows) => rows.length === 2 && rows[1]!.status === 'processed', 30_000);
        assert.equal(entries(map!.ticket_id).filter((e) => e.type === 'M' && e.body === `Nachtrag (${step})`).length, 1, `${step}: one follow-up entry`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await outbound(chat)).length, 1, `${step}: one confirmation`);
      }
    } finally {
      fault.remove();
    }
  });

  test('a burst while Apache\'s children are SIGKILLed at random: one ticket per customer, every message once, one confirmation each', async (t_) => {
    const parent = existsSync('/var/run/apache2/apache2.pid') ? Number(readFileSync('/var/run/apache2/apache2.pid', 'utf8')) : 0;
    const children = () => execFileSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    try {
      process.kill(children()[0]!, 0);
    } catch {
      t_.skip('cannot signal Apache\'s children here (needs the test osTicket on this machine and the rights to kill its processes)');
      return;
    }
    const customers = Array.from({ length: 6 }, (_, i) => phone(40 + i));
    const texts = (chat: string) => Array.from({ length: 4 }, (_, i) => `Nachricht ${i + 1} von ${chat.slice(-3)}`);
    let killed = 0;
    let killing = true;
    const killer = (async () => {
      while (killing) {
        const list = children();
        const victim = list[Math.floor(Math.random() * list.length)];
        try {
          if (victim) process.kill(victim, 'SIGKILL');
          killed++;
        } catch {
          /* gone already */
        }
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 250));
      }
    })();
    try {
      await Promise.all(customers.map(async (chat) => {
        for (const text of texts(chat)) {
          await say(chat, text);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 400));
        }
      }));
      await new Promise((resolve) => setTimeout(resolve, 6_000));
    } finally {
      killing = false;
      await killer;
    }
    assert.ok(killed >= 10, `Apache children were killed (${killed})`);
    for (const chat of customers) {
      await until(`${chat}: all processed`, () => inbound(chat), (rows) => rows.length === 4 && rows.every((r) => r.status === 'processed'), 120_000);
      const maps = mapping(chat);
      assert.equal(maps.length, 1, `${chat}: one conversation`);
      assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE user_id = ${maps[0]!.user_id}`)[0]!.n, '1', `${chat}: one ticket`);
      const bodies = entries(maps[0]!.ticket_id).filter((e) => e.type === 'M').map((e) => e.body).sort();
      assert.deepEqual(bodies, texts(chat).sort(), `${chat}: every message once`);
      assert.equal((await outbound(chat)).length, 1, `${chat}: one confirmation, nothing else`);
    }
  });

  test('retries look again: a ticket deleted while a message waited gets a new ticket, one closed meanwhile is reopened by it (osTicket allows it), never a blocked chat', async () => {
    const fault = faultSwitch(o);
    try {
      for (const [i, whatHappens] of (['delete', 'close'] as const).entries()) {
        const chat = phone(50 + i);
        await say(chat, 'Erstes Anliegen');
        const [first] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
        await until('confirmation', () => outbound(chat), (m) => m.length === 1);
        fault.arm('after_user'); // killed after deciding to add it to that ticket
        await say(chat, `Nachtrag (${whatHappens})`);
        await until('killed', fault.fired, (fired) => fired);
        agent(o, whatHappens, first!.ticket_id);
        if (whatHappens === 'close') {
          // Closed a moment ago, with a status that allows reopening: the waiting message reopens it (Reopen within: 7 days).
          await until('reopened by the waiting message', () => ticket(first!.ticket_id)!.state, (state) => state === 'open', 60_000);
          assert.deepEqual(entries(first!.ticket_id).filter((e) => e.type === 'M').map((e) => e.body), ['Erstes Anliegen', `Nachtrag (${whatHappens})`]);
          assert.deepEqual(mapping(chat).map((m) => [m.ticket_id, m.status]), [[first!.ticket_id, 'open']]);
          await until('told', () => outbound(chat), (m) => m.some((x) => /(wieder geöffnet|open again)/.test(x) && x.includes(`#${first!.ticket_number}`)));
          continue;
        }
        // (a deleted ticket's conversation goes with it: data protection)
        const rows = await until('a new ticket for the waiting message', () => mapping(chat), (r) => r.some((m) => m.ticket_id !== first!.ticket_id), 60_000);
        const fresh = rows.find((m) => m.ticket_id !== first!.ticket_id)!;
        assert.equal(fresh.status, 'open');
        assert.deepEqual(entries(fresh.ticket_id).filter((e) => e.type === 'M').map((e) => e.body), [`Nachtrag (${whatHappens})`]);
        assert.equal(ticket(first!.ticket_id), undefined);
        await until('confirmation of the new ticket', () => outbound(chat), (m) => m.filter((x) => x.includes(`#${fresh.ticket_number}`)).length === 1);
      }
    } finally {
      fault.remove();
    }
  });

  test('closing by keyword follows osTicket\'s rules: with an open task the customer hears an agent will close it, and the agent gets a note', async () => {
    const chat = phone(60);
    await say(chat, 'Bitte Ersatzteil');
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    agent(o, 'task', map!.ticket_id);
    await say(chat, 'Danke');
    const answers = await until('answer', () => outbound(chat), (m) => m.length === 2);
    assert.match(answers[1]!, /(kann gerade nicht geschlossen werden|cannot be closed right now)/);
    assert.equal(ticket(map!.ticket_id)!.state, 'open');
    assert.equal(mapping(chat)[0]!.status, 'open');
    assert.match(entries(map!.ticket_id).filter((e) => e.type === 'N').pop()!.body!, /open tasks/);
  });

  test('replies follow the ticket\'s owner: to the new owner\'s WhatsApp number, or the conversation\'s number becomes the new owner\'s', async () => {
    const writer = phone(70);
    const ownNumber = phone(71);
    await say(writer, 'Ich schreibe für meine Kollegin');
    const [map] = await until('ticket', () => mapping(writer), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(writer), (m) => m.length === 1);
    const colleague = agent(o, 'user', `+${ownNumber}`, `Clara Kollegin ${run}`).id;
    agent(o, 'owner', map!.ticket_id, String(colleague));
    agent(o, 'reply', map!.ticket_id, 'Antwort an die neue Besitzerin');
    await until('reply to the new owner\'s number', () => outbound(ownNumber), (m) => m.some((x) => /Antwort an die neue Besitzerin/.test(x)));
    assert.ok(!(await outbound(writer)).some((x) => /Antwort an die neue Besitzerin/.test(x)), 'not to the old number');
    assert.deepEqual(mapping(ownNumber).map((r) => [r.ticket_id, r.user_id]), [[map!.ticket_id, String(colleague)]]);
    await say(writer, 'Noch etwas von mir');
    await until('the old number starts its own ticket', () => mapping(writer), (rows) => rows.some((r) => r.status === 'open' && r.ticket_id !== map!.ticket_id));

    // An owner without a WhatsApp number: the conversation's number becomes theirs.
    const linked = phone(72);
    await say(linked, 'Hallo');
    const [second] = await until('ticket', () => mapping(linked), (rows) => rows.length === 1);
    const real = agent(o, 'user', '', `Dora Ohnenummer ${run}`).id;
    agent(o, 'owner', second!.ticket_id, String(real));
    agent(o, 'reply', second!.ticket_id, 'Antwort an Dora');
    await until('reply', () => outbound(linked), (m) => m.some((x) => /Antwort an Dora/.test(x)));
    assert.equal(mapping(linked)[0]!.user_id, String(real));
    agent(o, 'close', second!.ticket_id);
    sql(o, `UPDATE ${t(o, 'ticket')} SET closed = NOW() - INTERVAL 8 DAY WHERE ticket_id = ${second!.ticket_id}`); // (past "Reopen within": a new ticket)
    await say(linked, 'Neues Anliegen');
    const again = await until('a new ticket', () => mapping(linked), (rows) => rows.length === 2);
    assert.equal(again[1]!.user_id, String(real), 'recognised as the user the agent linked');
  });

  test('no auto-response to a generated address on a follow-up; a customer with a real address keeps getting it', async (t_) => {
    if (!existsSync(MAIL_LOG)) return t_.skip(`no mail log at ${MAIL_LOG} (OSTICKET_MAIL_LOG)`);
    const setting = () => sql(o, `SELECT value FROM ${t(o, 'config')} WHERE namespace = 'core' AND \`key\` = 'message_autoresponder'`)[0]?.value ?? '';
    const before = setting();
    sql(o, `UPDATE ${t(o, 'config')} SET value = '1' WHERE namespace = 'core' AND \`key\` = 'message_autoresponder'`);
    try {
      const only = phone(80);
      await say(only, 'Erste Nachricht');
      await until('ticket', () => mapping(only), (rows) => rows.length === 1);
      const offset = mailOffset();
      await say(only, 'Folgenachricht');
      await until('follow-up', () => inbound(only), (rows) => rows.length === 2 && rows[1]!.status === 'processed');

      const known = phone(81);
      agent(o, 'user', `+${known}`, 'Emil Mail');
      await say(known, 'Erste Nachricht');
      await until('ticket', () => mapping(known), (rows) => rows.length === 1);
      await say(known, 'Folgenachricht');
      await until('follow-up', () => inbound(known), (rows) => rows.length === 2 && rows[1]!.status === 'processed');
      const sent = mails().slice(offset);
      assert.ok(!sent.includes(`whatsapp+${only}@`), 'no mail to the generated address');
      assert.ok(sent.includes(`customer${known}@example.com`), 'the auto-response to the real address');
    } finally {
      sql(o, `UPDATE ${t(o, 'config')} SET value = '${before}' WHERE namespace = 'core' AND \`key\` = 'message_autoresponder'`);
    }
  });

  test('every query on the hot path uses an index (EXPLAIN of what the plugin ran)', async (t_) => {
    const root = (query: string) => execFileSync('mysql', ['-uroot', '--default-character-set=utf8mb4', '-B', '-e', query], { encoding: 'utf8' });
    try {
      root('SELECT 1');
    } catch {
      return t_.skip('no root access to MariaDB for its general log');
    }
    root("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 'ON'");
    try {
      const chat = phone(90);
      await say(chat, 'Erste Nachricht');
      const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
      await say(chat, 'Folgenachricht');
      await until('follow-up', () => inbound(chat), (rows) => rows.length === 2 && rows[1]!.status === 'processed');
      agent(o, 'reply', map!.ticket_id, 'Antwort');
      await until('delivered', () => sql(o, `SELECT status FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' AND message_id LIKE 'entry:%'`), (r) => r[0]?.status === 'delivered');
    } finally {
      root("SET GLOBAL general_log = 'OFF'");
    }
    const ours = new RegExp(`\`${o.db.prefix}whatsapp_(mapping|messages|phone_index)\``);
    // What osTicket's PHP ran (its connections begin with its own SET NAMES), not this test's mysql client.
    const statements = [...new Set(root(`SELECT REPLACE(REPLACE(argument, '\\n', ' '), '\\t', ' ') FROM mysql.general_log WHERE command_type = 'Query'
        AND thread_id IN (SELECT thread_id FROM mysql.general_log WHERE argument LIKE 'SET  NAMES utf8,  CHARACTER SET utf8%')`)
      .split('\n').slice(1).map((line) => line.replace(/\\n|\\t/g, ' ').trim())
      .filter((q) => ours.test(q) && /^(SELECT|UPDATE|DELETE)\b/i.test(q) && !/GET_LOCK|RELEASE_LOCK/.test(q)))];
    assert.ok(statements.length >= 5, `the plugin's queries were seen (${statements.length})`);
    for (const statement of statements) {
      const plan = sql(o, `EXPLAIN ${statement}`);
      for (const step of plan.filter((p) => /whatsapp_/.test(p.table ?? '') || ours.test(`\`${o.db.prefix}${p.table}\``))) {
        assert.notEqual(step.type, 'ALL', `full scan of ${step.table}: ${statement}`);
      }
    }
  });
});
