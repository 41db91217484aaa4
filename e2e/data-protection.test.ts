/**
 * End to end, data protection: retention, deleted tickets and users, an
 * administrator's erasure of one number, and an uninstall that removes the
 * plugin's tables when asked — in the plugin's tables and in the service's
 * copies (messages, files, replies still waiting). Same variables as
 * conversations.test.ts; skips without them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdminPanel } from './admin-panel.js';
import { agent, configure, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, skipUnlessSupported, sql, startSandboxService, t, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4912${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;
const photo = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 11) % 256));

describe('data protection', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: Awaited<ReturnType<typeof startSandboxService>>;
  let installed: Installed;
  const start = (env: Record<string, string> = {}, dataDir?: string) =>
    startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php`, ...env }, dataDir);
  const { say, conversation } = sandboxCustomer(() => service.url, API_KEY);
  const mapping = (chat: string) => mappings(o, chat);
  const rows = (chat: string) => sql(o, `SELECT * FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' ORDER BY id`);

  before(async () => {
    installed = await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    service = await start();
  });
  after(async () => service?.stop());

  test('a deleted ticket takes its WhatsApp data along: rows, the customer\'s file at the service, and replies still waiting are never sent', async () => {
    const files = () => readdirSync(path.join(service.dataDir, 'media')).length;
    // A reply waiting in the plugin (its service was down) ...
    const first = phone(1);
    await say(first, 'Erstes Anliegen');
    const [waiting] = await until('ticket', () => mapping(first), (r) => r.length === 1);
    await until('confirmation', async () => (await conversation(first)).length, (n) => n >= 2);
    await service.stop({ keepData: true });
    agent(o, 'reply', waiting!.ticket_id, 'Wartet im Plugin');
    assert.equal(rows(first).filter((r) => r.direction === 'out').pop()!.status, 'pending');
    agent(o, 'delete', waiting!.ticket_id);
    assert.deepEqual([rows(first), mapping(first)], [[], []], 'no rows of the ticket left');
    // ... and one waiting in the service (a minute between sends), next to the customer's photo.
    service = await start({ SEND_INTERVAL_MS: '60000' }, service.dataDir);
    agent(o, 'cron');
    const chat = phone(2);
    await say(chat, 'Hier ein Foto', { media: { filename: 'foto.png', mimetype: 'image/png', data: photo.toString('base64') } });
    const [map] = await until('ticket', () => mapping(chat), (r) => r.length === 1);
    assert.equal(files(), 1, 'the service keeps the photo');
    await until('the confirmation sent', () => conversation(chat), (m) => m.some((x) => x.direction === 'out'));
    agent(o, 'reply', map!.ticket_id, 'Antwort eins'); // handed to the service, which waits a minute before its next send
    await until('queued at the service', () => rows(chat), (r) => r.some((x) => x.message_id!.startsWith('entry:') && x.status === 'queued'));
    agent(o, 'delete', map!.ticket_id);
    assert.deepEqual([rows(chat), mapping(chat)], [[], []]);
    assert.equal(files(), 1, 'the agent did not wait on the service: it is told from cron');
    agent(o, 'cron');
    assert.equal(files(), 0, 'the photo is gone at the service');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(!(await conversation(chat)).some((m) => /Antwort eins/.test(m.text)), 'the reply waiting at the service was never sent');
    assert.ok(!(await conversation(first)).some((m) => /Wartet im Plugin/.test(m.text)), 'nor the one that waited in the plugin');
    await service.stop({ keepData: true });
    service = await start({}, service.dataDir);
  });

  test('an administrator\'s erasure of one number: the plugin\'s rows and the service\'s chat are gone, others stay', async () => {
    const erased = phone(7);
    const kept = phone(8);
    await say(erased, 'Bitte meine Daten löschen');
    await say(kept, 'Ich bleibe');
    await until('two tickets', () => [...mapping(erased), ...mapping(kept)], (r) => r.length === 2);
    await until('replies', async () => (await conversation(erased)).length, (n) => n >= 2);
    await configure(o, installed, 0, { 'Erase a phone number': `+${erased.slice(0, 2)} ${erased.slice(2)}` });
    agent(o, 'cron'); // the service is told from cron
    assert.deepEqual(mapping(erased), []);
    assert.deepEqual(rows(erased), []);
    assert.deepEqual(await conversation(erased), [], 'the service forgot the chat');
    assert.equal(mapping(kept).length, 1, 'another customer is untouched');
    assert.ok((await conversation(kept)).length >= 2);
    const admin = await AdminPanel.open(o);
    try {
      await admin.openInstance(installed.pluginId, installed.instances[0]!);
      assert.match(await admin.connectionPanel(), new RegExp(`Last erasure: \\+${erased} erased on .*: 1 conversations, \\d+ messages`));
      assert.equal((await admin.formValues())['Erase a phone number'], '', 'a request, not a setting');
      await admin.page.click('a[href="#config"]');
      await admin.screenshot('data-protection-erasure');
    } finally {
      await admin.close();
    }
  });

  test('a deleted user takes every conversation of theirs along, at the service too', async () => {
    const chat = phone(4);
    await say(chat, 'Ich werde gelöscht');
    const [map] = await until('ticket', () => mapping(chat), (r) => r.length === 1);
    await until('confirmation', async () => (await conversation(chat)).length, (n) => n >= 2);
    agent(o, 'delete', map!.ticket_id);
    agent(o, 'deleteuser', map!.user_id!);
    agent(o, 'cron');
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'user')} WHERE id = ${map!.user_id}`)[0]!.n, '0');
    assert.deepEqual(sql(o, `SELECT * FROM ${t(o, 'whatsapp_phone_index')} WHERE user_id = ${map!.user_id}`), []);
    await until('the service forgot the chat', () => conversation(chat), (m) => m.length === 0);
  });

  test('retention: messages older than "Keep WhatsApp messages for" are purged by cron, the service forgets them too; recent ones and open tickets\' conversations stay', async () => {
    const old = phone(5);
    const recent = phone(6);
    const stillOpen = phone(9);
    await say(old, 'Alte Nachricht');
    await say(recent, 'Neue Nachricht');
    await say(stillOpen, 'Lange offen');
    await until('three tickets', () => [...mapping(old), ...mapping(recent), ...mapping(stillOpen)], (r) => r.length === 3);
    await configure(o, installed, 0, { 'Keep WhatsApp messages for': '30' });
    const closedTicket = mapping(old)[0]!.ticket_id!;
    agent(o, 'close', closedTicket);
    // The close message's reports first: one arriving after the backdating would make it recent again.
    await until('the close message delivered', () => rows(old), (r) => r.some((x) => x.message_id!.startsWith('closed:') && x.status === 'delivered'));
    // Forty days ago, as far as the plugin's tables and the close are concerned; the open one was switched away from as long ago.
    sql(o, `UPDATE ${t(o, 'whatsapp_messages')} SET created = NOW() - INTERVAL 40 DAY, updated = NOW() - INTERVAL 40 DAY WHERE phone IN ('${old}', '${stillOpen}')`);
    sql(o, `UPDATE ${t(o, 'whatsapp_mapping')} SET updated = NOW() - INTERVAL 40 DAY WHERE phone = '${old}'`);
    sql(o, `UPDATE ${t(o, 'whatsapp_mapping')} SET status = 'inactive', active_phone = NULL, updated = NOW() - INTERVAL 40 DAY WHERE phone = '${stillOpen}'`);
    sql(o, `UPDATE ${t(o, 'ticket')} SET closed = NOW() - INTERVAL 40 DAY WHERE ticket_id = ${closedTicket}`);
    agent(o, 'cron');
    assert.deepEqual(rows(old), []);
    assert.deepEqual(mapping(old), []);
    assert.ok(rows(recent).length >= 2);
    assert.equal(mapping(stillOpen).length, 1, 'the conversation of a ticket that is still open stays, however old');
    agent(o, 'reply', mapping(stillOpen)[0]!.ticket_id!, 'Späte Antwort');
    await until('the late reply on WhatsApp', () => conversation(stillOpen), (m) => m.some((x) => /Späte Antwort/.test(x.text)));
    // A reply on the ticket whose conversation is gone: the agent is told, nothing is mailed to the generated address.
    agent(o, 'reply', closedTicket, 'Antwort ins Leere');
    const note = sql(o, `SELECT e.body FROM ${t(o, 'thread_entry')} e JOIN ${t(o, 'thread')} th ON th.id = e.thread_id
      WHERE th.object_type = 'T' AND th.object_id = ${closedTicket} AND e.type = 'N' ORDER BY e.id DESC LIMIT 1`)[0]!.body!;
    assert.match(note, /no longer exists|gibt es nicht mehr/);
    assert.match(note, /Antwort ins Leere/);
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'whatsapp_erasures')} WHERE instance_id = ${installed.instances[0]}`)[0]!.n, '0', 'the service took the request');
  });

  test('uninstalling with "Delete the WhatsApp tables" removes the tables, the plugin\'s settings and its ticket fields', async () => {
    await configure(o, installed, 0, { 'Data on uninstall': 'delete' });
    const fields = () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'form_field')} WHERE name IN ('whatsapp_reply', 'whatsapp_state', 'whatsapp_rating')`)[0]!.n;
    assert.equal(fields(), '3', 'the settings page added them');
    const admin = await AdminPanel.open(o);
    try {
      await admin.uninstallPlugin();
    } finally {
      await admin.close();
    }
    const tables = sql(o, `SHOW TABLES LIKE '${o.db.prefix}whatsapp%'`);
    assert.deepEqual(tables, []);
    assert.equal(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'config')} WHERE namespace LIKE 'plugin.whatsapp.%'`)[0]!.n, '0');
    assert.equal(fields(), '0', 'the ticket fields are gone');
    assert.deepEqual(sql(o, `SHOW COLUMNS FROM ${t(o, 'ticket__cdata')} LIKE 'whatsapp%'`), [], 'and their search columns');
    await agentsTicketList(o);
  });
});

/** The staff's ticket list still works (osTicket stops it when its search table is missing). */
async function agentsTicketList(o: OsTicket): Promise<void> {
  const admin = await AdminPanel.open(o);
  try {
    await admin.visit('/scp/tickets.php');
    assert.doesNotMatch(await admin.page.content(), /Missing CDATA table/);
  } finally {
    await admin.close();
  }
}
