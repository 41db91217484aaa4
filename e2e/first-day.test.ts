/**
 * An administrator's first day, against a real osTicket: what a newcomer gets
 * wrong is shown at once and loses nothing. A mistyped WEBHOOK_URL and a wrong
 * secret are named by the service's hello within seconds of its start; a reply
 * an agent wrote while the service was stopped goes out when it starts, without
 * osTicket's cron; the settings page right after Add Instance shows the
 * WEBHOOK_URL and the next step. Same variables as conversations.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AdminPanel } from './admin-panel.js';
import { agent, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, sandboxCustomer, skipUnlessSupported, sql, startSandboxService, t, threadEntries, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4916${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;

type Service = Awaited<ReturnType<typeof startSandboxService>>;

describe('an administrator\'s first day', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  let service: Service | null = null;
  let installed: Installed;
  const { say, outbound } = sandboxCustomer(() => service!.url, API_KEY);
  const health = async () => (await (await fetch(`${service!.url}/health`)).json()) as { ok: boolean; problems: string[]; webhook: { state: string }; queues: { webhook: { pending: number; dead: number } } };
  const webhookUrl = (path = '/api/whatsapp/webhook.php') => `${o.url}${path}?instance=${installed.instances[0]}`;
  const start = async (env: Record<string, string> = {}, dataDir?: string) => {
    service = await startSandboxService({ PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: webhookUrl(), ...env }, dataDir);
    return service;
  };
  const stop = async (keepData = false) => {
    await service?.stop({ keepData });
    service = null;
  };
  const lastCron = () => sql(o, `SELECT value FROM ${t(o, 'config')} WHERE namespace = 'plugin.whatsapp.cron' AND \`key\` = 'last'`)[0]?.value ?? '';

  before(async () => {
    installed = await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
  });
  after(() => stop());

  test('WEBHOOK_URL without ".php": named within 10 s of the start (before anyone writes), the message kept, no dead letter; in osTicket once after a restart with the right URL', async () => {
    const started = Date.now();
    await start({ WEBHOOK_URL: webhookUrl('/api/whatsapp/webhook') });
    const sick = await until('the hello names the URL', health, (h) => h.problems.some((p) => p.includes('WEBHOOK_URL answers 400')), 10_000);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(sick.ok, false);
    assert.match(sick.problems.join('\n'), /webhook: WEBHOOK_URL answers 400 'URL not supported', not the plugin: is the path …\/api\/whatsapp\/webhook\.php\?instance=<id>/);

    const chat = phone(1);
    await say(chat, 'Mein Drucker druckt nicht');
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // a try and a retry at the configuration pace
    assert.deepEqual((await health()).queues.webhook, { pending: 1, dead: 0 }, 'kept, not given up');
    assert.equal(mappings(o, chat).length, 0);
    const dataDir = service!.dataDir;
    await stop(true);

    await start({}, dataDir);
    const [map] = await until('the ticket', () => mappings(o, chat), (rows) => rows.length === 1, 20_000);
    const entries = threadEntries(o, map!.ticket_id!).filter((e) => e.type === 'M');
    assert.equal(entries.filter((e) => e.body!.includes('Mein Drucker druckt nicht')).length, 1, 'once');
    await until('healthy', health, (h) => h.ok);
    await stop();
  });

  test('a wrong Webhook Secret is named within 10 s of the start, with no customer message', async () => {
    await start({ WEBHOOK_SECRET: randomBytes(16).toString('hex') });
    const sick = await until('the hello names the secret', health, (h) => h.problems.length > 0, 10_000);
    assert.match(sick.problems.join('\n'), /webhook: HTTP 401 bad_signature: .*WEBHOOK_SECRET/);
    await stop();
  });

  test('a reply written while the service is stopped: a note says it waits; it reaches the customer within 10 s of the start, cron never run; the note then says it went', async () => {
    await start();
    const chat = phone(2);
    await say(chat, 'Bitte um Rückruf');
    const [map] = await until('the ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    await until('confirmation', () => outbound(chat), (m) => m.length === 1);
    const dataDir = service!.dataDir;
    await stop(true);

    const cronBefore = lastCron();
    agent(o, 'reply', map!.ticket_id!, 'Wir rufen Sie morgen an.');
    const waiting = sql(o, `SELECT status FROM ${t(o, 'whatsapp_messages')} WHERE direction = 'out' AND phone = '${chat}' AND message_id LIKE 'entry:%'`);
    assert.deepEqual(waiting.map((r) => r.status), ['pending']);
    const note = () => threadEntries(o, map!.ticket_id!).filter((e) => e.type === 'N' && /WhatsApp reply (waiting for the service|sent after waiting)/.test(e.title ?? ''));
    assert.equal(note().length, 1, 'the ticket shows the reply waits');
    assert.match(note()[0]!.title!, /waiting for the service/);
    assert.match(note()[0]!.body!, /Wir rufen Sie morgen an/);

    const started = Date.now();
    await start({}, dataDir);
    await until('the reply on the phone', () => outbound(chat), (m) => m.some((x) => x.includes('Wir rufen Sie morgen an.')), 10_000);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(lastCron(), cronBefore, 'osTicket\'s cron did not run');
    const [done] = note();
    assert.match(done!.title!, /sent after waiting/);
    assert.match(done!.body!, /(handed to the WhatsApp service on|an den WhatsApp-Dienst übergeben)/);
    await stop();
  });

  test('the settings page right after Add Instance: the new instance\'s WEBHOOK_URL and the state named exactly; a wrong key refused by name', async () => {
    await start();
    const admin = await AdminPanel.open(o);
    try {
      // A setting refused at Add (a secret too short) leaves no half instance behind: adding it again, fixed, under the same name works.
      const instances = () => sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'plugin_instance')} WHERE plugin_id = ${installed.pluginId}`)[0]!.n;
      const before = instances();
      await assert.rejects(admin.addInstance(installed.pluginId, 'WhatsApp 2', {
        'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': 'kurz', 'Support Email': 'support@example.com',
      }), /Webhook Secret.*at least 16 characters/);
      assert.equal(instances(), before, 'no instance was created');
      // Added with a wrong API key: the instance exists at once (no half instance whose name is taken), its page names the problem exactly.
      const { id } = await admin.addInstance(installed.pluginId, 'WhatsApp 2', {
        'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': 'wrong-key-0123456789', 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      });
      const file = await admin.screenshot('first-day-after-add-instance');
      const panel = await admin.connectionPanel();
      assert.ok(panel.includes(`/api/whatsapp/webhook.php?instance=${id}`), `the new instance's WEBHOOK_URL is shown at once (${file})`);
      assert.match(panel, /Next step: set WEBHOOK_URL=/);
      assert.match(panel, /osTicket's cron (last ran|has not run yet)/);
      assert.match(panel, new RegExp(`WhatsApp 2 \\(this page\\)\\s*API key refused`), 'the state in the table: the key, not "unreachable"');
      assert.match(panel, /The WhatsApp service refused the API Key: enter the API_KEY from the service's \.env\./);
      // Saved with the right key the problem is gone (an existing instance's wrong key would be refused at Save, by field).
      await admin.updateInstance(installed.pluginId, id, { 'API Key': API_KEY });
      assert.doesNotMatch(await admin.connectionPanel(), /refused the API Key/);
      await assert.rejects(admin.updateInstance(installed.pluginId, id, { 'API Key': 'wrong-again-0123456789' }), /API Key: The WhatsApp service refused the API Key/);
      await admin.openInstance(installed.pluginId, installed.instances[0]!);
      assert.match(await admin.connectionPanel(), /Webhook OK: the service reaches this plugin; last delivery \d{4}-/);
      await admin.screenshot('first-day-webhook-ok');
    } finally {
      await admin.close();
      await stop();
    }
  });
});
