/**
 * End to end, what a customer controls and what an agent tidies up: markup from
 * a customer never runs in an agent's browser, a client account's typed phone
 * never captures a conversation, deleting an empty user or a ticket never erases
 * a live conversation, a retry never undoes an agent's work and posts nothing
 * twice, and deletions never wait on the service. Same variables as
 * conversations.test.ts; skips without them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { AdminPanel } from './admin-panel.js';
import {
  agent, faultSwitch, fillByLabel, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, skipUnlessSupported, sql, startSandboxService, t, threadEntries, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4913${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;
const MAIL_LOG = process.env.OSTICKET_MAIL_LOG;

const HOSTILE = ['<img src=x onerror=alert(1)>', '&lt;svg onload=alert(2)&gt;', '"><svg onload=alert(3)>', '<script>alert(4)</script>'];

/** The base64 parts of a mail as text. */
const decodedBodies = (mail: string) =>
  [...mail.matchAll(/Content-Transfer-Encoding: base64\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64').toString('utf8')).join('\n');

/** Elements a page would run or load from what a customer sent: handlers, scripts, foreign images. Read from the live DOM. */
async function liveMarkup(admin: AdminPanel, path: string): Promise<string[]> {
  await admin.visit(path);
  return admin.page.evaluate(() => {
    const found: string[] = [];
    for (const element of Array.from(document.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) {
        if (/^on/i.test(attribute.name) && /alert\(\d\)/.test(attribute.value)) found.push(element.outerHTML.slice(0, 120));
      }
      if (element.tagName === 'SCRIPT' && /alert\(\d\)/.test(element.textContent ?? '')) found.push(element.outerHTML.slice(0, 120));
      if ((element.tagName === 'IMG' || element.tagName === 'svg') && element.getAttribute('src') === 'x') found.push(element.outerHTML.slice(0, 120));
    }
    return found;
  });
}

describe('plugin safety', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: Awaited<ReturnType<typeof startSandboxService>>;
  let installed: Installed;
  const headers = { 'Content-Type': 'application/json', 'X-API-Key': API_KEY };
  const { say, sent, outbound, conversation } = sandboxCustomer(() => service.url, API_KEY);
  const inbound = (chat: string) => sql(o, `SELECT * FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' AND direction = 'in' ORDER BY id`);

  before(async () => {
    installed = await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php?instance=${installed.instances[0]}` });
  });
  after(async () => service?.stop());

  test('a customer whose name, texts, caption, file name and poll are markup never puts a live element on an agent\'s page', async () => {
    const chats = HOSTILE.map((_, i) => phone(1 + i));
    for (const [i, name] of HOSTILE.entries()) {
      const chat = chats[i]!;
      const first = await say(chat, `Hilfe ${name}`, { name });
      await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
      await say(chat, name, { name, type: 'image', media: { filename: `${name}.png`, mimetype: 'text/html;image/png', data: Buffer.from(`<svg onload=alert(${i})>`).toString('base64') } });
      await say(chat, `Umfrage ${name}\n- ${name}\n- nein`, { name, type: 'poll' });
      await say(chat, `bearbeitet ${name}`, { name, type: 'edit', ref: first });
      await say(chat, '', { name, type: 'delete', ref: first });
      const { entry } = agent(o, 'reply', mappings(o, chat)[0]!.ticket_id!, 'Antwort');
      const got = await until('reply', () => sent(chat), (m) => m.some((x) => /Antwort/.test(x.text)));
      await say(chat, '👍', { name, type: 'reaction', ref: got.find((x) => /Antwort/.test(x.text))!.whatsappId });
      await say(chat, 'Danke', { name });
      assert.ok(entry);
    }
    for (const chat of chats) await until('all processed', () => inbound(chat), (rows) => rows.length === 7 && rows.every((r) => r.status === 'processed'));
    // Close with the keyword last: the "closed by the customer" note.
    for (const chat of chats) await say(chat, 'erledigt');
    for (const chat of chats) await until('closed', () => mappings(o, chat), (rows) => rows[0]!.status === 'closed');

    const admin = await AdminPanel.open(o);
    try {
      const found: string[] = [];
      for (const chat of chats) {
        const [map] = mappings(o, chat);
        found.push(...await liveMarkup(admin, `/scp/tickets.php?id=${map!.ticket_id}`));
        found.push(...await liveMarkup(admin, `/scp/users.php?id=${map!.user_id}`));
      }
      await admin.visit(`/scp/tickets.php?id=${mappings(o, chats[0]!)[0]!.ticket_id}`);
      await admin.screenshot('hostile-customer-ticket');
      found.push(...await liveMarkup(admin, '/scp/tickets.php?queue=all&status=closed'));
      found.push(...await liveMarkup(admin, '/scp/users.php'));
      found.push(...await liveMarkup(admin, `/scp/plugins.php?id=${installed.pluginId}&xid=${installed.instances[0]}`));
      assert.deepEqual(found, [], 'no element made from customer input');
      // The name is shown, as text.
      const names = sql(o, `SELECT u.name FROM ${t(o, 'user')} u WHERE u.id IN (${chats.map((c) => mappings(o, c)[0]!.user_id).join(',')})`).map((r) => r.name!);
      assert.ok(names.some((n) => /img src=x onerror=alert\(1\)/.test(n)), names.join(' | '));
      assert.ok(names.every((n) => !/[<>&"]/.test(n)), names.join(' | '));
    } finally {
      await admin.close();
    }
    // Files keep their names; their type is what the bytes are, never shown inline as a picture.
    const types = sql(o, `SELECT f.type, f.name FROM ${t(o, 'file')} f WHERE f.name LIKE '%onerror=alert(1)%'`);
    assert.ok(types.length >= 1 && types.every((f) => !/image\//.test(f.type!)), JSON.stringify(types));
  });

  test('a client who typed a customer\'s number into their portal profile gets neither the conversation nor the replies; a number staff entered still matches', async () => {
    const victim = phone(20);
    const email = `client${run}@example.com`;
    // Registration is public by default: register, confirm by the mailed link, type the victim's number on profile.php.
    const client = MAIL_LOG ? await portalClientClaims(email, `+${victim}`) : agent(o, 'clientprofile', email, `+${victim}`);
    assert.equal(sql(o, `SELECT DISTINCT source FROM ${t(o, 'whatsapp_phone_index')} WHERE user_id = ${client.id}`).map((r) => r.source).join(), 'claim');
    const offset = MAIL_LOG ? readFileSync(MAIL_LOG, 'utf8').length : 0;
    await say(victim, 'Hallo, hier ist der echte Kunde');
    const [map] = await until('ticket', () => mappings(o, victim), (rows) => rows.length === 1);
    assert.notEqual(map!.user_id, String(client.id), 'not the client\'s user');
    const note = threadEntries(o, map!.ticket_id!).find((e) => e.type === 'N');
    assert.match(note?.body ?? '', new RegExp(email.replace('.', '\\.')), 'the agent is told which account claims the number');
    agent(o, 'reply', map!.ticket_id!, 'Antwort an den echten Kunden');
    await until('reply on WhatsApp', () => outbound(victim), (m) => m.some((x) => /echten Kunden/.test(x)));
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE user_id = ${client.id}`)[0]!.n, '0', 'the portal shows the client no ticket');
    if (MAIL_LOG) assert.ok(!readFileSync(MAIL_LOG, 'utf8').slice(offset).includes(email), 'nothing mailed to the client');

    const known = phone(21);
    const { id } = agent(o, 'user', `+${known}`, 'Von Hand Erfasst');
    await say(known, 'Ich bin bekannt');
    const [mine] = await until('ticket', () => mappings(o, known), (rows) => rows.length === 1);
    assert.equal(mine!.user_id, String(id), 'a number staff entered identifies the customer');
  });

  test('Change Owner, then deleting the empty generated user: replies still reach WhatsApp and the next message lands on the same ticket', async () => {
    const chat = phone(30);
    await say(chat, 'Mein Anliegen');
    const [map] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const real = agent(o, 'user', '', `Echter Kunde ${run}`).id;
    agent(o, 'owner', map!.ticket_id!, String(real));
    assert.equal(agent(o, 'deleteuser', map!.user_id!).ok, true, 'osTicket deletes the now empty user');
    agent(o, 'cron');
    assert.equal(mappings(o, chat).length, 1, 'the conversation stays');
    agent(o, 'reply', map!.ticket_id!, 'Antwort nach dem Aufräumen');
    await until('reply on WhatsApp', () => outbound(chat), (m) => m.some((x) => /Aufräumen/.test(x)));
    await say(chat, 'Danke, noch eine Frage');
    await until('on the same ticket', () => threadEntries(o, map!.ticket_id!), (rows) => rows.some((e) => /noch eine Frage/.test(e.body!)));
    assert.equal(mappings(o, chat).length, 1, 'no new ticket');
  });

  test('a retry hours later deletes nothing; a kill inside part 2 of a long message or inside a close note leaves one copy each; a kill before the alerts ends with the alert sent once', async () => {
    const fault = faultSwitch(o);
    try {
      // A kill inside ThreadEntry::create of part 2: the retry deletes the half-made part and posts it once.
      const long = phone(50);
      await say(long, 'Lang');
      const [map] = await until('ticket', () => mappings(o, long), (rows) => rows.length === 1);
      fault.arm('in_entry_create#2');
      await say(long, `${'ä'.repeat(22_000)}\n${'ö'.repeat(22_000)}`);
      await until('processed', () => inbound(long), (rows) => rows.length === 2 && rows[1]!.status === 'processed', 60_000);
      assert.ok(fault.fired());
      const parts = threadEntries(o, map!.ticket_id!).filter((e) => e.type === 'M' && /\[(Teil|Part) \d/.test(e.body!));
      assert.deepEqual(parts.map((e) => /\[(?:Teil|Part) (\d)/.exec(e.body!)![1]), ['1', '2'], 'each part once');

      // A kill inside the close note.
      fault.arm('in_entry_create');
      await say(long, 'erledigt');
      await until('closed', () => mappings(o, long), (rows) => rows[0]!.status === 'closed', 60_000);
      assert.equal(threadEntries(o, map!.ticket_id!).filter((e) => e.type === 'N' && /erledigt/.test(e.body!)).length, 1, 'one close note');

      // A kill after the opening entry, before osTicket sent the new-ticket alert: the alert goes out once.
      const alerted = phone(51);
      const mails = () => (MAIL_LOG ? readFileSync(MAIL_LOG, 'utf8') : '');
      const before = mails().length;
      fault.arm('in_entry_done');
      const asked = await say(alerted, 'Bitte Alarm');
      await until('ticket', () => mappings(o, alerted), (rows) => rows.length === 1, 60_000);
      assert.ok(fault.fired());
      if (MAIL_LOG) {
        const alerts = mails().slice(before).split(/\n(?=From osticket )/)
          .filter((m) => m.includes('Subject: =?UTF-8?Q?New=20Ticket=20Alert?=') && m.includes(`In-Reply-To: <${asked}.p1@whatsapp.osticket>`));
        assert.equal(alerts.length, 1, 'the new-ticket alert once');
      }
      // The same for a follow-up after the agent's replies (as last respondent they are alerted; osTicket's
      // getLastRespondent() skips the newest reply, class.ticket.php limit('1,1'), hence two).
      agent(o, 'reply', mappings(o, alerted)[0]!.ticket_id!, 'Wir schauen nach');
      agent(o, 'reply', mappings(o, alerted)[0]!.ticket_id!, 'Noch einen Moment');
      fault.arm('in_entry_done');
      const followUp = await say(alerted, 'Und noch etwas');
      await until('processed', () => inbound(alerted), (rows) => rows.length === 2 && rows[1]!.status === 'processed', 60_000);
      assert.ok(fault.fired());
      if (MAIL_LOG) {
        // (osTicket's new-message alert names the ticket in its base64 body, not in a header.)
        const number = mappings(o, alerted)[0]!.ticket_number!;
        const alerts = mails().slice(before).split(/\n(?=From osticket )/)
          .filter((m) => m.includes('Subject: =?UTF-8?Q?New=20Message=20Alert?=') && decodedBodies(m).includes(`#${number}`));
        assert.ok(followUp);
        assert.equal(alerts.length, 1, 'the new-message alert once');
      }
    } finally {
      fault.remove();
    }
    // A retry long after the first attempt: whatever is there now is someone's work and stays.
    const late = phone(52);
    const id = await say(late, 'Später');
    const [map] = await until('ticket', () => mappings(o, late), (rows) => rows.length === 1);
    const staffTicket = agent(o, 'newticket', map!.ticket_id!, 'Vom Agenten eröffnet');
    sql(o, `UPDATE ${t(o, 'whatsapp_messages')} SET status = 'received', completed = 0, attempt_at = NOW() - INTERVAL 5 HOUR,
      made = CONCAT('{"ticket":${staffTicket.id},"entries":[],"at":', UNIX_TIMESTAMP(NOW() - INTERVAL 5 HOUR), '}') WHERE direction = 'in' AND message_id = '${id}'`);
    await fetch(`${service.url}/sandbox/inbound`, { method: 'POST', headers, body: JSON.stringify({ phone: late, name: 'X', text: 'Später', id }) });
    agent(o, 'cron');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE ticket_id = ${staffTicket.id}`)[0]!.n, '1', 'the agent\'s ticket stays');
  });

  test('deleting 50 tickets in the staff panel with the service hanging does not wait on it; the service forgets them once it answers', async () => {
    const chats = Array.from({ length: 50 }, (_, i) => phone(100 + i));
    for (const chat of chats) await say(chat, 'Massenticket');
    const maps = await until('50 tickets', () => chats.flatMap((c) => mappings(o, c)), (r) => r.length === 50, 120_000);
    await until('confirmations', async () => {
      const all = [];
      for (const chat of chats) all.push(await conversation(chat)); // one at a time: the sandbox is one small process
      return all;
    }, (all) => all.every((m) => m.length >= 2), 60_000);
    // The service stops answering (SIGSTOP): a connection is accepted, nothing comes back.
    const hung = service.pause();
    try {
      const admin = await AdminPanel.open(o);
      try {
        const started = Date.now();
        await admin.bulkDeleteTickets(maps.map((m) => m.ticket_id!));
        const seconds = (Date.now() - started) / 1000;
        assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket')} WHERE ticket_id IN (${maps.map((m) => m.ticket_id).join(',')})`)[0]!.n, '0');
        assert.ok(seconds < 20, `the agent waited ${seconds} s`);
      } finally {
        await admin.close();
      }
      assert.ok(Number(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'whatsapp_erasures')}`)[0]!.n) >= 50, 'the requests wait for the service');
    } finally {
      hung.resume();
    }
    agent(o, 'cron');
    agent(o, 'cron');
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'whatsapp_erasures')}`)[0]!.n, '0', 'all taken (200) by the service once it answered');
  });

  test('deleting one customer\'s ticket leaves another customer with the same number on another WhatsApp number untouched', async () => {
    // The same phone writes to two numbers (instances) of the helpdesk: two conversations, two tickets.
    const second = await installSecondInstance();
    const chat = phone(40);
    await say(chat, 'Über Nummer eins');
    await second.say(chat, 'Über Nummer zwei');
    const rows = await until('two tickets', () => mappings(o, chat), (r) => r.length === 2, 30_000).catch((error) => {
      throw new Error(`${error.message}; messages: ${JSON.stringify(inbound(chat).map((r) => [r.instance_id, r.status, r.error]))}`);
    });
    const [one, two] = [rows.find((r) => r.instance_id === installed.instances[0])!, rows.find((r) => r.instance_id !== installed.instances[0])!];
    agent(o, 'delete', one.ticket_id!);
    agent(o, 'cron');
    assert.deepEqual(mappings(o, chat).map((r) => r.id), [two.id]);
    agent(o, 'reply', two.ticket_id!, 'Antwort über Nummer zwei');
    await until('reply through number two', () => second.outbound(chat), (m) => m.some((x) => /Nummer zwei/.test(x)));
    await second.stop();
  });

  test('a ticket merged into another of the customer\'s tickets: the conversation goes on in the parent, the customer is told the new number', async () => {
    const chat = phone(60);
    await say(chat, 'Erstes Anliegen');
    const [first] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const parent = agent(o, 'newticket', first!.ticket_id!, 'Sammelticket'); // an agent's ticket for the same customer
    const closed = sql(o, `SELECT id FROM ${t(o, 'ticket_status')} WHERE state = 'closed' ORDER BY sort LIMIT 1`)[0]!.id!;
    const admin = await AdminPanel.open(o);
    try {
      await admin.mergeTickets({ id: String(parent.id), number: String(parent.number) }, { number: first!.ticket_number! }, closed);
    } finally {
      await admin.close();
    }
    const [moved] = await until('the conversation in the parent', () => mappings(o, chat), (rows) => rows.length === 1 && rows[0]!.ticket_id === String(parent.id));
    assert.equal(moved!.status, 'open');
    const told = await until('the customer is told', () => outbound(chat), (m) => m.some((x) => x.includes(`#${parent.number}`)));
    assert.ok(!told.some((x) => /geschlossen|closed/.test(x) && x.includes(`#${first!.ticket_number}`) && !x.includes(`#${parent.number}`)), 'no "closed" message for the merged ticket');
    agent(o, 'reply', String(parent.id), 'Antwort im Sammelticket');
    await until('reply from the parent on WhatsApp', () => outbound(chat), (m) => m.some((x) => /Sammelticket/.test(x) && /Antwort im Sammelticket/.test(x)));
    await say(chat, 'Noch eine Frage');
    await until('lands in the parent', () => threadEntries(o, String(parent.id)), (rows) => rows.some((e) => /Noch eine Frage/.test(e.body!)));
  });

  test('a filter\'s canned reply on a new WhatsApp ticket reaches WhatsApp', async () => {
    const p = o.db.prefix;
    const marker = `Kanned${run}`;
    sql(o, `INSERT INTO ${p}canned_response (dept_id, isenabled, title, response, lang, notes, created, updated)
      VALUES (0, 1, '${marker}', '<p>Automatische Antwort ${marker}</p>', 'en_US', '', NOW(), NOW())`);
    const canned = sql(o, `SELECT canned_id FROM ${p}canned_response WHERE title = '${marker}'`)[0]!.canned_id!;
    sql(o, `INSERT INTO ${p}filter (execorder, isactive, flags, status, match_all_rules, stop_onmatch, target, email_id, name, notes, created, updated)
      VALUES (1, 1, 0, 0, 1, 0, 'Any', 0, '${marker}', '', NOW(), NOW())`);
    const filter = sql(o, `SELECT id FROM ${p}filter WHERE name = '${marker}'`)[0]!.id!;
    try {
      const chat = phone(61);
      // The filter matches this customer's generated address only (as an admin would match a sender).
      sql(o, `INSERT INTO ${p}filter_rule (filter_id, what, how, val, isactive, notes, created, updated) VALUES (${filter}, 'email', 'equal', 'whatsapp+${chat}@tickets.local', 1, '', NOW(), NOW())`);
      sql(o, `INSERT INTO ${p}filter_action (filter_id, sort, type, configuration, updated) VALUES (${filter}, 1, 'canned', '{"canned_id":${canned}}', NOW())`);
      await say(chat, `Frage ${marker}`);
      const [map] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
      await until('the canned reply on WhatsApp', () => outbound(chat), (m) => m.some((x) => x.includes(`Automatische Antwort ${marker}`)));
      assert.ok(!threadEntries(o, map!.ticket_id!).some((e) => e.type === 'N' && /no longer exists|gibt es nicht mehr/.test(e.body!)), 'no "not sent" note');
    } finally {
      sql(o, `DELETE FROM ${p}filter_action WHERE filter_id = ${filter}`);
      sql(o, `DELETE FROM ${p}filter_rule WHERE filter_id = ${filter}`);
      sql(o, `DELETE FROM ${p}filter WHERE id = ${filter}`);
    }
  });

  /**
   * A client as on the portal: registers (account.php?do=create), confirms by the link osTicket
   * mailed, and types `phone` into their profile (profile.php). Returns their user id.
   */
  async function portalClientClaims(email: string, typedPhone: string): Promise<{ id: string }> {
    const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
      const offset = readFileSync(MAIL_LOG!, 'utf8').length;
      await page.goto(`${o.url}/account.php?do=create`);
      await fillByLabel(page, { 'Email Address': email, 'Full Name': 'Kundin Portal' });
      await page.type('input[name=passwd1]', 'Portal-Passwort-1');
      await page.type('input[name=passwd2]', 'Portal-Passwort-1');
      await Promise.all([page.waitForNavigation(), page.click('form input[type=submit]')]);
      const registered = (await page.$eval('body', (e) => e.textContent ?? '')).replace(/\s+/g, ' ');
      assert.match(registered, /sent you an email|E-Mail gesendet/i, `registered: ${registered.slice(0, 300)}`);
      // The token as the HTML part links it (the text part wraps long lines; osTicket's tokens are 48 characters, '=' among them).
      const tokenIn = (mail: string) => [...decodedBodies(mail).matchAll(/pwreset\.php\?token=([^"\s<>&]{48})/g)].map((m) => m[1]!)[0] ?? '';
      const token = await until('the confirmation mail, whole', () => readFileSync(MAIL_LOG!, 'utf8').slice(offset).split(/\n(?=From osticket )/)
        .filter((m) => new RegExp(`^To: .*<?${email.replace(/[.+]/g, '\\$&')}>?$`, 'm').test(m)).map(tokenIn).find((x) => x !== '') ?? '', (x) => x !== '');
      await page.goto(`${o.url}/pwreset.php?token=${encodeURIComponent(token)}`); // confirms and logs in
      await page.goto(`${o.url}/profile.php`);
      await fillByLabel(page, { 'Phone Number': typedPhone });
      await Promise.all([page.waitForNavigation(), page.click('form input[type=submit]')]);
      assert.match(page.url(), /tickets\.php$/, 'the portal saved the profile (profile.php sends the client on to their tickets)');
    } finally {
      await browser.close();
    }
    const id = sql(o, `SELECT u.id FROM ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.id = u.default_email_id WHERE e.address = '${email}'`)[0]!.id!;
    assert.equal(sql(o, `SELECT status FROM ${t(o, 'user_account')} WHERE user_id = ${id}`)[0]!.status, '1', 'a confirmed account');
    return { id };
  }

  test('numbers an agent saved while the plugin was disabled are caught up by cron', async () => {
    const chat = phone(70);
    const admin = await AdminPanel.open(o);
    try {
      await admin.disablePlugin(installed.pluginId);
      const entered = agent(o, 'user', `+${chat}`, 'Während der Pause');
      agent(o, 'ticketfor', String(entered.id)); // a ticket an agent opened for them: a number from then counts
      await admin.enablePlugin(installed.pluginId);
      agent(o, 'cron');
      assert.deepEqual(sql(o, `SELECT source FROM ${t(o, 'whatsapp_phone_index')} WHERE phone = '${chat}'`).map((r) => r.source), ['staff']);
      await say(chat, 'Hallo nach der Pause');
      const [map] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
      assert.equal(map!.user_id, String(entered.id), 'the user an agent entered while the plugin was off');
    } finally {
      await admin.close();
    }
  });

  /** A second WhatsApp number (plugin instance) with its own sandbox service. */
  async function installSecondInstance() {
    const port = String(Number(PORT) + 1);
    const key = randomBytes(16).toString('hex');
    const admin = await AdminPanel.open(o);
    let id: string;
    try {
      ({ id } = await admin.addInstance(installed.pluginId, 'WhatsApp 2', {
        'Service URL': `http://127.0.0.1:${port}`, 'API Key': key, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com', 'Default Help Topic': '10', 'Default Department': '1',
      }));
    } finally {
      await admin.close();
    }
    const other = await startSandboxService({ PORT: port, API_KEY: key, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php?instance=${id}` });
    const customer = sandboxCustomer(() => other.url, key);
    return { say: customer.say, outbound: customer.outbound, stop: () => other.stop() };
  }
});
