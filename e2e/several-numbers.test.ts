/**
 * End to end with two WhatsApp numbers: two plugin instances in one osTicket,
 * each with its own sandbox gateway, secret, department and webhook URL.
 * Same variables as conversations.test.ts; skips without them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { signedHeaders } from '../whatsapp-service/src/webhook/signature.js';
import { agent, configure, type Installed, installPlugin, type OsTicket, osTicketFromEnv, skipUnlessSupported, sql, startSandboxService, t, until as waitUntil } from './osticket.js';

const ost = osTicketFromEnv();
const run = Date.now() % 100_000;
const phone = (n: number) => `4917${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;
const BASE_PORT = 40_000 + Math.floor(Math.random() * 10_000);

interface Number {
  name: string;
  key: string;
  secret: string;
  port: string;
  dept: string;
  instance: string;
  service: { url: string; stop(): Promise<void> };
}

describe('several WhatsApp numbers in one osTicket', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  const numbers: Number[] = [
    { name: 'support', key: randomBytes(16).toString('hex'), secret: randomBytes(16).toString('hex'), port: String(BASE_PORT), dept: '1' } as Number,
    { name: 'sales', key: randomBytes(16).toString('hex'), secret: randomBytes(16).toString('hex'), port: String(BASE_PORT + 1), dept: '2' } as Number,
  ];
  const [support, sales] = numbers as [Number, Number];
  const webhook = (n: Number) => `${o.url}/api/whatsapp/webhook.php?instance=${n.instance}`;
  const start = (n: Number) => startSandboxService({ PORT: n.port, API_KEY: n.key, WEBHOOK_SECRET: n.secret, WEBHOOK_URL: webhook(n) });

  const say = async (n: Number, from: string, text: string) => {
    const response = await fetch(`${n.service.url}/sandbox/inbound`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': n.key }, body: JSON.stringify({ phone: from, name: 'Max Mustermann', text }) });
    assert.equal(response.status, 202);
  };
  const outbound = async (n: Number, to: string): Promise<string[]> =>
    ((await (await fetch(`${n.service.url}/sandbox/outbound?phone=${to}`, { headers: { 'X-API-Key': n.key } })).json()) as { messages: Array<{ text: string }> }).messages.map((m) => m.text);

  const until = <T>(what: string, get: () => Promise<T> | T, ok: (value: T) => boolean, ms = 30_000) => waitUntil(what, get, ok, ms);
  const mappings = (chat: string) => sql(o, `SELECT m.*, t.dept_id, t.number FROM ${t(o, 'whatsapp_mapping')} m JOIN ${t(o, 'ticket')} t ON t.ticket_id = m.ticket_id WHERE m.phone = '${chat}' ORDER BY m.id`);
  let installed: Installed;
  // The instance's Status on its settings page, as an administrator switches a number off and on.
  const setEnabled = (n: Number, on: boolean) => configure(o, installed, numbers.indexOf(n), { isactive: on ? '1' : '0' });

  before(async () => {
    installed = await installPlugin(o, ...numbers.map((n) => ({
      'Service URL': `http://127.0.0.1:${n.port}`, 'API Key': n.key, 'Webhook Secret': n.secret, 'Support Email': `${n.name}@example.com`,
      'Default Help Topic': '10', 'Default Department': n.dept,
    })));
    numbers.forEach((n, i) => (n.instance = installed.instances[i]!));
    for (const n of numbers) n.service = await start(n);
  });
  after(async () => {
    for (const n of numbers) await n.service?.stop();
  });

  test('each number lands in its own department; one phone writing to both has two tickets, each confirmed by its own number', async () => {
    const chat = phone(1);
    await say(support, chat, 'Mein Drucker ist kaputt');
    await say(sales, chat, 'Ich möchte ein Angebot');
    const rows = await until('two conversations', () => mappings(chat), (r) => r.length === 2);
    const bySupport = rows.find((r) => r.instance_id === support.instance)!;
    const bySales = rows.find((r) => r.instance_id === sales.instance)!;
    assert.deepEqual([bySupport.dept_id, bySales.dept_id], ['1', '2']);
    assert.notEqual(bySupport.ticket_id, bySales.ticket_id);
    assert.equal(bySupport.status, 'open');
    assert.equal(bySales.status, 'open', 'both active: one active ticket per phone and number');
    const [supportConfirmation] = await until('support confirmation', () => outbound(support, chat), (m) => m.length === 1);
    const [salesConfirmation] = await until('sales confirmation', () => outbound(sales, chat), (m) => m.length === 1);
    assert.match(supportConfirmation!, new RegExp(`#${bySupport.number}`));
    assert.match(salesConfirmation!, new RegExp(`#${bySales.number}`));

    // Follow-ups stay with their number's ticket.
    await say(sales, chat, 'Für 10 Stück bitte');
    await until('follow-up on the sales ticket', () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'thread_entry')} e JOIN ${t(o, 'thread')} th ON th.id = e.thread_id WHERE th.object_type = 'T' AND th.object_id = ${bySales.ticket_id} AND e.type = 'M'`)[0]!.n, (n) => n === '2');
    assert.equal(mappings(chat).length, 2);
  });

  test('an agent reply leaves through the number the ticket came from, also after the ticket moved to another department', async () => {
    const chat = phone(2);
    await say(support, chat, 'Bitte um Rückruf');
    await say(sales, chat, 'Preisliste?');
    const rows = await until('two conversations', () => mappings(chat), (r) => r.length === 2);
    const supportTicket = rows.find((r) => r.instance_id === support.instance)!.ticket_id!;
    const salesTicket = rows.find((r) => r.instance_id === sales.instance)!.ticket_id!;
    sql(o, `UPDATE ${t(o, 'ticket')} SET dept_id = 2 WHERE ticket_id = ${supportTicket}`); // moved to Sales
    agent(o, 'reply', supportTicket, 'Antwort vom Support');
    agent(o, 'reply', salesTicket, 'Antwort vom Vertrieb');
    await until('support reply', () => outbound(support, chat), (m) => m.some((x) => x.includes('Antwort vom Support')));
    await until('sales reply', () => outbound(sales, chat), (m) => m.some((x) => x.includes('Antwort vom Vertrieb')));
    assert.ok(!(await outbound(sales, chat)).some((x) => x.includes('Antwort vom Support')), 'never through the other number');
    assert.ok(!(await outbound(support, chat)).some((x) => x.includes('Antwort vom Vertrieb')));
  });

  test('a webhook signed with the other number\'s secret is refused', async () => {
    const body = JSON.stringify({ event: 'message', message: { id: `X${run}`, chat: phone(3), phone: phone(3), name: '', timestamp: 1, type: 'text', text: 'x', edited: false, media: null } });
    const post = (n: Number, secret: string) =>
      fetch(webhook(n), { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...signedHeaders(secret, body, Date.now()) } });
    assert.equal((await post(sales, support.secret)).status, 401);
    assert.equal((await post(support, sales.secret)).status, 401);
    assert.equal(mappings(phone(3)).length, 0);
  });

  test('disabling one number leaves the other working; its messages wait and arrive once it is enabled again', async () => {
    const chat = phone(4);
    await say(sales, phone(6), 'Vorher an Sales');
    const [salesConversation] = await until('sales conversation', () => mappings(phone(6)), (r) => r.length === 1);
    await setEnabled(sales, false);
    try {
      // A reply in a conversation of the disabled number cannot go out: the agent is told on the ticket.
      agent(o, 'reply', salesConversation!.ticket_id!, 'Antwort, während Sales aus ist');
      const note = sql(o, `SELECT e.body FROM ${t(o, 'thread_entry')} e JOIN ${t(o, 'thread')} th ON th.id = e.thread_id WHERE th.object_type = 'T' AND th.object_id = ${salesConversation!.ticket_id} AND e.type = 'N'`);
      assert.equal(note.length, 1);
      assert.match(note[0]!.body!, /is disabled/);
      await say(sales, chat, 'Während Sales aus ist');
      await say(support, chat, 'Support geht weiter');
      await until('support works', () => mappings(chat), (r) => r.length === 1 && r[0]!.instance_id === support.instance);
      const health = await until('sales gateway names the problem', async () => (await fetch(`${sales.service.url}/health`)).json() as Promise<any>, (h) => h.webhook.state === 'misconfigured');
      assert.match(health.webhook.problem, /HTTP 404 unknown_instance/);
      assert.equal(health.queues.webhook.dead, 0, 'kept, not given up');
    } finally {
      await setEnabled(sales, true);
    }
    await until('the waiting message after re-enabling', () => mappings(chat), (r) => r.length === 2, 90_000);
  });

  test('an installation upgraded from the single-number schema keeps its open conversations', async () => {
    const chat = phone(5);
    await say(support, chat, 'Vor dem Upgrade');
    const [before] = await until('conversation', () => mappings(chat), (r) => r.length === 1);
    // As a plugin of before several numbers left it: no owner, schema version 2.
    sql(o, `UPDATE ${t(o, 'whatsapp_mapping')} SET instance_id = 0 WHERE phone = '${chat}'`);
    sql(o, `UPDATE ${t(o, 'whatsapp_messages')} SET instance_id = 0 WHERE phone = '${chat}'`);
    sql(o, `UPDATE ${t(o, 'config')} SET value = '2' WHERE namespace = 'plugin.whatsapp.schema' AND \`key\` = 'version'`);
    await say(support, chat, 'Nach dem Upgrade');
    const rows = await until('appended to the same ticket', () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'thread_entry')} e JOIN ${t(o, 'thread')} th ON th.id = e.thread_id WHERE th.object_type = 'T' AND th.object_id = ${before!.ticket_id} AND e.type = 'M'`), (r) => r[0]!.n === '2');
    assert.ok(rows);
    const after = mappings(chat);
    assert.deepEqual(after.map((r) => [r.ticket_id, r.instance_id]), [[before!.ticket_id, support.instance]], 'owned by the instance that ran the upgrade');
    const current = /const VERSION = (\d+);/.exec(readFileSync(new URL('../osticket-plugin/whatsapp/glue/Schema.php', import.meta.url), 'utf8'))![1];
    assert.equal(sql(o, `SELECT value FROM ${t(o, 'config')} WHERE namespace = 'plugin.whatsapp.schema' AND \`key\` = 'version'`)[0]!.value, current, 'upgraded to the current schema');
  });
});
