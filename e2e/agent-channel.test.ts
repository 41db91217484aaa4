/**
 * WhatsApp as a channel agents start and watch, end to end in the staff panel
 * (a real browser, osTicket's own menus and dialogs): More › Continue on
 * WhatsApp on a ticket that came by phone, a ticket opened by an agent with
 * "Reply on WhatsApp" ticked, a phone-only customer added on the open-ticket
 * form, the delivery state beside each reply as the sandbox reports it
 * (sent, delivered once the phone is on, read once the chat is opened;
 * failed with why), the ticket field supervisors search, the question after
 * Change Owner, and the plugin's staff routes refusing agents without access
 * and requests without the CSRF token. Same variables as conversations.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { AdminPanel } from './admin-panel.js';
import { agent, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, servicePort, skipUnlessSupported, sql, staffPanelReply, startSandboxService, t, threadEntries, until } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4917${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;

describe('WhatsApp as a channel agents start and watch', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: { url: string; stop(): Promise<void> };
  let installed: Installed;
  let staff: AdminPanel;
  const customer = sandboxCustomer(() => service.url, API_KEY);
  const contacts = async (chat: string, body: Record<string, boolean>) => {
    const response = await fetch(`${service.url}/sandbox/contacts`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY }, body: JSON.stringify({ phone: chat, ...body }) });
    assert.equal(response.status, 200);
  };
  const newestReply = (ticketId: string) => threadEntries(o, ticketId).filter((e) => e.type === 'R').pop()!;
  const notes = (ticketId: string) => threadEntries(o, ticketId).filter((e) => e.type === 'N').map((e) => e.body!);
  /** A customer an agent entered by hand, with a phone (trusted: staff typed it), and a ticket an agent opened for them by phone. */
  const phoneTicket = (chat: string, name: string) => {
    const user = agent(o, 'user', `+${chat}`, name).id as number;
    return { user, ticket: String(agent(o, 'ticketfor', String(user)).ticket) };
  };
  const page = () => staff.page;

  /** The state badges the ticket view shows beside an entry, once they read as expected (the page polls; focus asks at once). */
  const badges = async (entryId: string, ok: (states: string[]) => boolean): Promise<Array<{ state: string; label: string; title: string }>> => {
    let seen: Array<{ state: string; label: string; title: string }> = [];
    await until(`badges of entry ${entryId}`, async () => {
      await page().evaluate(() => window.dispatchEvent(new Event('focus')));
      await new Promise((resolve) => setTimeout(resolve, 2200));
      seen = await page().$$eval(`#thread-entry-${entryId} .whatsapp-state`, (spans) => spans.map((s) => ({ state: s.getAttribute('data-state')!, label: s.textContent!, title: s.getAttribute('title')! })));
      return seen.map((b) => b.state);
    }, ok, 40_000);
    return seen;
  };

  before(async () => {
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
    installed = await installPlugin(o, {
      'Service URL': service.url, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    staff = await AdminPanel.open(o);
    // Leaving a form osTicket thinks changed asks "leave this page?": the agent says yes.
    staff.page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await staff?.close();
    await service?.stop();
  });

  test('More › Continue on WhatsApp on a phone ticket: the dialog names number and risk, a note says who; the reply arrives and shows sent → delivered → read', async () => {
    const chat = phone(1);
    const { ticket } = phoneTicket(chat, 'Erika Beispiel');
    const dialog = await staff.continueOnWhatsApp(ticket, 'agent-continue-dialog');
    assert.match(dialog, new RegExp(`\\+${chat}`), 'the number');
    assert.match(dialog, /WhatsApp 1/, 'the instance');
    assert.match(dialog, /(banned|Sperrung)/, 'an unsolicited message carries a ban risk (sandbox plays WhatsApp Web)');
    const [row] = await until('the conversation', () => mappings(o, chat), (rows) => rows.length === 1);
    assert.deepEqual([row!.ticket_id, row!.status, row!.active_phone], [ticket, 'open', chat]);
    assert.ok(notes(ticket).some((n) => n.includes(`+${chat}`) && /(continued this ticket on WhatsApp|auf WhatsApp fortgesetzt)/.test(n)), 'an internal note says who did it');

    await contacts(chat, { phone_online: false }); // the customer's phone is off: sent, not delivered
    assert.equal(await staffPanelReply(o, ticket, '<p>Wir rufen Sie morgen an.</p>'), 302);
    await until('the reply on WhatsApp', () => customer.outbound(chat), (m) => m.some((x) => /Wir rufen Sie morgen an/.test(x)));
    const reply = newestReply(ticket).id!;
    await staff.visit(`/scp/tickets.php?id=${ticket}`);
    await badges(reply, (s) => s.join() === 'sent');
    await staff.screenshot('agent-reply-sent');
    await contacts(chat, { phone_online: true });
    const delivered = await badges(reply, (s) => s.join() === 'delivered');
    assert.match(delivered[0]!.title, /(Delivered|Zugestellt): /, 'the delivery time on hover');
    await customer.conversation(chat); // (does not mark read)
    await fetch(`${service.url}/sandbox/outbound?phone=${chat}&read=1`, { headers: { 'X-API-Key': API_KEY } });
    const read = await badges(reply, (s) => s.join() === 'read');
    assert.match(read[0]!.title, /(Sent|Gesendet): .*\n(Delivered|Zugestellt): .*\n(Read|Gelesen): /);
    await staff.screenshot('agent-reply-read');
    // An agent who walks away: the page stops asking (each request would renew osTicket's session), until they are back.
    const polls = () => staff.page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.includes('/whatsapp/tickets/') && r.name.includes('/states')).length);
    await page().evaluate(() => { (window as any).whatsappDeliveryPoll.active = Date.now() - 6 * 60 * 1000; });
    const before = await polls();
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    assert.equal(await polls(), before, 'no poll while the agent is away');
    await page().keyboard.press('Shift');
    await until('polling again', polls, (n) => n > before, 5_000);
    const field = sql(o, `SELECT whatsapp_state FROM ${t(o, 'ticket__cdata')} WHERE ticket_id = ${ticket}`)[0]!.whatsapp_state;
    assert.equal(field, 'read', 'the ticket field supervisors search and show as a queue column');
  });

  test('a reply WhatsApp cannot deliver shows failed with why, and the ticket field says failed', async () => {
    const chat = phone(2);
    const { ticket } = phoneTicket(chat, 'Nie Erreichbar');
    await staff.continueOnWhatsApp(ticket, 'agent-continue-unreachable');
    await contacts(chat, { on_whatsapp: false });
    assert.equal(await staffPanelReply(o, ticket, '<p>Hallo?</p>'), 302);
    const reply = newestReply(ticket).id!;
    await staff.visit(`/scp/tickets.php?id=${ticket}`);
    const [failed] = await badges(reply, (s) => s.join() === 'failed');
    assert.match(failed!.title, /not on WhatsApp/);
    await staff.screenshot('agent-reply-failed');
    await until('the ticket field', () => sql(o, `SELECT whatsapp_state FROM ${t(o, 'ticket__cdata')} WHERE ticket_id = ${ticket}`)[0]!.whatsapp_state, (s) => s === 'failed');
  });

  test('continuing a ticket while the customer talks about another: they are told which ticket it is now, and their next message lands there', async () => {
    const chat = phone(3);
    await customer.say(chat, 'Mein Router blinkt');
    const [first] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const other = agent(o, 'newticket', first!.ticket_id!, 'Rechnung falsch');
    await staff.continueOnWhatsApp(String(other.id), 'agent-continue-switch');
    await until('told', () => customer.outbound(chat), (m) => m.some((x) => x.includes(`#${other.number}`)));
    // Two more clicks at once (a second agent, a double click): nothing more for the customer, no second note.
    const statuses = await page().evaluate(async (id: string, target: string) => {
      const token = document.querySelector('meta[name=csrf_token]')!.getAttribute('content')!;
      const post = () => fetch(`ajax.php/whatsapp/tickets/${id}/continue`, { method: 'POST', body: new URLSearchParams({ target }), headers: { 'X-CSRFToken': token } }).then((r) => r.status);
      return Promise.all([post(), post()]);
    }, String(other.id), `${installed.instances[0]}:${chat}`);
    assert.deepEqual(statuses, [201, 201]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal((await customer.outbound(chat)).filter((x) => x.includes(`#${other.number}`)).length, 1, 'told once');
    assert.equal(notes(String(other.id)).filter((n) => /(continued this ticket on WhatsApp|auf WhatsApp fortgesetzt)/.test(n)).length, 1, 'one note');
    await customer.say(chat, 'Danke, die Rechnung ist vom Mai');
    await until('in the continued ticket', () => threadEntries(o, String(other.id)), (rows) => rows.some((e) => /die Rechnung ist vom Mai/.test(e.body!)));
    // And back: told again, now of the first ticket.
    await staff.continueOnWhatsApp(first!.ticket_id!, 'agent-continue-switch-back');
    await until('told again', () => customer.outbound(chat), (m) => m.filter((x) => x.includes(`#${first!.ticket_number}`)).length >= 2);
    assert.equal(mappings(o, chat).find((r) => r.status === 'open')!.ticket_id, first!.ticket_id);
  });

  test('a new ticket opened by an agent for a phone-only customer, added on the form, with "Reply on WhatsApp": the opening response arrives', async () => {
    const chat = phone(4);
    const chosen = await addPhoneOnlyCustomer('Paul Nurtelefon', `+${chat.slice(0, 2)} ${chat.slice(2)}`, 'agent-new-phone-customer');
    const user = sql(o, `SELECT u.id, e.address FROM ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.id = u.default_email_id WHERE e.address = 'whatsapp+${chat}@tickets.local'`)[0]!;
    assert.equal(chosen, user.id, 'the plugin\'s user for the number is the form\'s user');

    await openTicketForm('Rückruf wegen Drucker', '<p>Guten Tag, wie besprochen: der Techniker kommt am Montag.</p>', true);
    const [row] = await until('the conversation', () => mappings(o, chat), (rows) => rows.length === 1);
    await until('the opening response on WhatsApp', () => customer.outbound(chat), (m) => m.some((x) => /der Techniker kommt am Montag/.test(x)));
    assert.ok(notes(row!.ticket_id!).some((n) => /(Reply on WhatsApp|Antwort über WhatsApp)/.test(n)));
    await staff.screenshot('agent-opened-on-whatsapp');

    // The same number again: the same user, not a second one.
    assert.equal(await addPhoneOnlyCustomer('', `0${chat.slice(2)}`), user.id); // as typed in Germany

    // A number agents entered for two users is not guessed between.
    const shared = phone(9);
    agent(o, 'user', `+${shared}`, 'Erste Person');
    agent(o, 'user', `+${shared}`, 'Zweite Person', 'another');
    await addPhoneOnlyCustomer('Dritte Person', `+${shared}`);
    const refusal = await page().$eval('#popup #msg_error', (e) => e.textContent!);
    assert.match(refusal, /(several users|mehreren Benutzern).*Erste Person.*Zweite Person/s);
    await staff.screenshot('agent-new-phone-customer-ambiguous');
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'user_email')} WHERE address = 'whatsapp+${shared}@tickets.local'`)[0]!.n, '0', 'no third user');
  });

  test('an agent opens a ticket without ticking "Reply on WhatsApp": nothing goes to WhatsApp', async () => {
    const chat = phone(5);
    const { user } = phoneTicket(chat, 'Eva Mail');
    await staff.visit(`/scp/tickets.php?a=open&uid=${user}`);
    await openTicketForm('Nur per E-Mail', '<p>Antwort per E-Mail</p>', false);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(mappings(o, chat), []);
    assert.deepEqual(await customer.outbound(chat), []);
  });

  test('Change Owner to a user with another WhatsApp number: the agent is asked, and "keep" keeps replies on the old number', async () => {
    const chat = phone(6);
    const { ticket } = phoneTicket(chat, 'Alter Besitzer');
    await staff.continueOnWhatsApp(ticket, 'agent-continue-owner');
    const newOwner = agent(o, 'user', `+${phone(7)}`, 'Neue Besitzerin').id as number;
    agent(o, 'owner', ticket, String(newOwner));
    await staff.visit(`/scp/tickets.php?id=${ticket}`);
    await page().waitForSelector('#popup button[name=move][value="0"]', { visible: true, timeout: 20_000 });
    const question = await page().$eval('#popup', (e) => (e as HTMLElement).innerText);
    assert.match(question, new RegExp(`\\+${phone(7)}`));
    assert.match(question, new RegExp(`\\+${chat}`));
    await staff.screenshot('agent-owner-question');
    await page().evaluate(() => document.querySelector<HTMLElement>('#popup button[name=move][value="0"]')!.click());
    await page().waitForSelector('#overlay', { hidden: true });
    assert.ok(notes(ticket).some((n) => /(kept the WhatsApp conversation|WhatsApp-Unterhaltung bei)/.test(n)));
    assert.equal(await staffPanelReply(o, ticket, '<p>Bleibt bei der alten Nummer</p>'), 302);
    await until('reply on the old number', () => customer.outbound(chat), (m) => m.some((x) => /Bleibt bei der alten Nummer/.test(x)));
    assert.deepEqual(await customer.outbound(phone(7)), []);
  });

  test('an agent who may only view a ticket: no owner question, and the routes that change where replies go answer 403', async () => {
    const chat = phone(10);
    const { ticket } = phoneTicket(chat, 'Nur Ansehen');
    await staff.continueOnWhatsApp(ticket, 'agent-continue-view-only');
    agent(o, 'owner', ticket, String(agent(o, 'user', `+${phone(11)}`, 'Andere Besitzerin').id));
    const viewer = { user: `wv${run}`, password: `Viewer-${run}-Pass!` };
    agent(o, 'limitedagent', viewer.user, viewer.password, '3:4'); // Maintenance, where these tickets are; role "View only"
    const other = await AdminPanel.open(o, viewer);
    try {
      const answers = await other.page.evaluate(async (base: string, id: string) => {
        const token = document.querySelector('meta[name=csrf_token]')!.getAttribute('content')!;
        const states = await (await fetch(`${base}/scp/ajax.php/whatsapp/tickets/${id}/states`)).json();
        const post = async (path: string, body: Record<string, string>) =>
          (await fetch(`${base}/scp/ajax.php/whatsapp/tickets/${id}/${path}`, { method: 'POST', body: new URLSearchParams(body), headers: { 'X-CSRFToken': token } })).status;
        return { owner: states.owner, move: await post('owner', { move: '1' }), continue: await post('continue', { target: 'x' }) };
      }, o.url, ticket);
      assert.deepEqual(answers, { owner: null, move: 403, continue: 403 });
      assert.equal(await other.page.$('#whatsapp-continue'), null, 'no menu item');
    } finally {
      await other.close();
    }
    assert.equal(mappings(o, chat)[0]!.phone, chat, 'the conversation stayed');
  });

  test('the client portal\'s view of a WhatsApp ticket gets none of the staff script', async () => {
    const chat = phone(12);
    await customer.say(chat, 'Ich schaue im Portal nach');
    const [row] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const client = await AdminPanel.openPortalTicket(o, `whatsapp+${chat}@tickets.local`, row!.ticket_number!);
    try {
      const html = await client.page.content();
      assert.ok(html.includes(row!.ticket_number!), 'the client sees the ticket');
      assert.ok(!html.includes('whatsappDelivery') && !html.includes('whatsapp-state'), 'no staff script, no polling');
    } finally {
      await client.close();
    }
  });

  test('the ticket fields are added once, also by two cron runs at the same moment, without rebuilding osTicket\'s search table', async () => {
    const field = (name: string) => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'form_field')} WHERE name = '${name}'`)[0]!.n;
    const columns = () => sql(o, `SHOW COLUMNS FROM ${t(o, 'ticket__cdata')} LIKE 'whatsapp%'`).map((r) => r.Field).sort();
    sql(o, `DELETE FROM ${t(o, 'form_field')} WHERE name IN ('whatsapp_reply', 'whatsapp_state', 'whatsapp_rating')`);
    sql(o, `ALTER TABLE ${t(o, 'ticket__cdata')} DROP whatsapp_reply, DROP whatsapp_state, DROP whatsapp_rating`);
    const rows = sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket__cdata')}`)[0]!.n;
    await Promise.all([cronInBackground(), cronInBackground(), cronInBackground()]);
    assert.deepEqual([field('whatsapp_reply'), field('whatsapp_state'), field('whatsapp_rating')], ['1', '1', '1']);
    assert.deepEqual(columns(), ['whatsapp_rating', 'whatsapp_reply', 'whatsapp_state']);
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'ticket__cdata')}`)[0]!.n, rows, 'the search table kept its rows');
    await staff.visit('/scp/tickets.php');
    assert.doesNotMatch(await page().content(), /Missing CDATA table/);
  });

  test('the staff routes: 403 for an agent without access to the ticket, 400 without the CSRF token, 404 for no ticket', async () => {
    const chat = phone(8);
    const { ticket } = phoneTicket(chat, 'Geheim Kunde');
    const limited = { user: `wa${run}`, password: `Limited-${run}-Pass!` };
    agent(o, 'limitedagent', limited.user, limited.password);
    const other = await AdminPanel.open(o, limited);
    try {
      const answers = await other.page.evaluate(async (base: string, id: string) => {
        const token = document.querySelector('meta[name=csrf_token]')!.getAttribute('content')!;
        const call = async (path: string, init: RequestInit = {}) => (await fetch(`${base}/scp/ajax.php/whatsapp/${path}`, init)).status;
        return {
          states: await call(`tickets/${id}/states`),
          dialog: await call(`tickets/${id}/continue`),
          post: await call(`tickets/${id}/continue`, { method: 'POST', body: new URLSearchParams({ target: `1:x` }), headers: { 'X-CSRFToken': token } }),
        };
      }, o.url, ticket);
      assert.deepEqual(answers, { states: 403, dialog: 403, post: 403 });
    } finally {
      await other.close();
    }
    await staff.visit(`/scp/tickets.php?id=${ticket}`);
    const refused = await page().evaluate(async (base: string, id: string) => {
      const call = async (init: RequestInit) => (await fetch(`${base}/scp/ajax.php/whatsapp/tickets/${id}/continue`, { method: 'POST', ...init })).status;
      return {
        empty: await call({}),
        form: await call({ body: new URLSearchParams({ target: '1:491' }) }),
        wrong: await call({ body: new URLSearchParams({ target: '1:491' }), headers: { 'X-CSRFToken': 'not-the-token' } }),
        missing: (await fetch(`${base}/scp/ajax.php/whatsapp/tickets/999999999/states`)).status,
      };
    }, o.url, ticket);
    assert.deepEqual(refused, { empty: 400, form: 400, wrong: 400, missing: 404 });
    assert.deepEqual(mappings(o, chat), [], 'nothing was done');
  });

  /**
   * The open-ticket page without a user (osTicket opens its user lookup by itself; closed as an agent closes it),
   * then New WhatsApp customer (phone only) with a name and a number as typed; returns the user the form chose.
   */
  async function addPhoneOnlyCustomer(name: string, typed: string, screenshot?: string): Promise<string> {
    await staff.visit('/scp/tickets.php?a=open');
    await page().waitForSelector('.dialog#popup #the-lookup-form', { visible: true });
    await page().click('.dialog#popup a.close');
    await page().waitForSelector('#overlay', { hidden: true });
    await page().click('#whatsapp-new-customer');
    await page().waitForSelector('#popup #whatsapp-dialog input[name=phone]', { visible: true });
    if (name) await page().type('#popup input[name=name]', name);
    await page().type('#popup input[name=phone]', typed);
    if (screenshot) await staff.screenshot(screenshot);
    await page().keyboard.press('Enter'); // (the popup still moves as it settles: a click may miss its button)
    await page().waitForFunction(() => document.querySelector('#popup #msg_error') || getComputedStyle(document.querySelector('#overlay')!).display === 'none');
    return page().$eval('#user-name', (e) => (e as HTMLSelectElement).value ?? '');
  }

  /** osTicket's cron in a process of its own (as its cron job runs it). */
  function cronInBackground(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('php', [path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent.php'), o.root, 'cron'], (error) => (error ? reject(error) : resolve()));
    });
  }

  /** The open-ticket form as shown (user chosen), with the help topic, subject, response and the plugin's checkbox; submitted. */
  async function openTicketForm(subject: string, response: string, whatsapp: boolean): Promise<void> {
    await page().select('select[name=topicId]', '10');
    const label = /^(Reply on WhatsApp|Antwort über WhatsApp)/;
    await page().waitForFunction((source: string) => [...document.querySelectorAll('#dynamic-form label, #dynamic-form td')].some((e) => new RegExp(source).test(e.textContent!.trim())), {}, label.source);
    const stateFieldShown = await page().$$eval('#dynamic-form select', (selects) => selects.some((e) => e.querySelector('option[value=held]') && (e as HTMLElement).offsetParent !== null));
    assert.equal(stateFieldShown, false, 'the plugin\'s "WhatsApp" state field is not for agents to set');
    await page().evaluate((subjectText: string, html: string, tick: boolean, source: string) => {
      const $ = (window as any).$;
      const rows = [...document.querySelectorAll<HTMLElement>('#dynamic-form tr')];
      const byLabel = (pattern: RegExp) => rows.find((r) => pattern.test((r.querySelector('td')?.textContent ?? '').trim()))!;
      (byLabel(/^Issue Summary/).querySelector('input[type=text]') as HTMLInputElement).value = subjectText;
      $('#dynamic-form textarea.richtext').first().redactor('source.setCode', html); // Issue Details
      (byLabel(new RegExp(source)).querySelector('input[type=checkbox]') as HTMLInputElement).checked = tick;
      $('textarea[name=response]').redactor('source.setCode', html);
    }, subject, response, whatsapp, label.source);
    await staff.screenshot(whatsapp ? 'agent-open-ticket-form' : 'agent-open-ticket-form-unticked');
    await Promise.all([page().waitForNavigation(), page().click('form#new-ticket input[type=submit], form[action="tickets.php?a=open"] input[type=submit]')]);
    const { error } = await staff.banner();
    assert.equal(error, '', `the ticket is opened (${error})`);
  }
});
