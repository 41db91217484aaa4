/**
 * End to end through the official Cloud API transport: the real service with
 * TRANSPORT=cloud, a fake Graph API on loopback (whatsapp-service/test/helpers/fake-graph.ts)
 * and the plugin inside a running osTicket. Meta's webhook calls are played by signed POSTs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { customerWrites, FakeGraph, hubSignature, notification, statuses, statusOf } from '../whatsapp-service/test/helpers/fake-graph.js';
import { AdminPanel } from './admin-panel.js';
import { agent, type Installed, installPlugin, mappings, type OsTicket, osTicketFromEnv, skipUnlessSupported, sql, startSandboxService, t, threadEntries, until, servicePort } from './osticket.js';

const ost = osTicketFromEnv();
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const APP_SECRET = randomBytes(16).toString('hex');
const VERIFY_TOKEN = randomBytes(16).toString('hex');
const PORT = servicePort();
const run = Date.now() % 100_000;
const phone = (n: number) => `4916${String(run).padStart(5, '0')}${String(n).padStart(3, '0')}`;

describe('the Cloud API transport against a running osTicket', { skip: skipUnlessSupported(ost) }, () => {
  const o = ost as OsTicket;
  const graph = new FakeGraph();
  let service: { url: string; stop(): Promise<void> };
  let installed: Installed;
  const mapping = (chat: string) => mappings(o, chat);
  const entries = (ticketId: string) => threadEntries(o, ticketId);
  const meta = async (body: unknown) => {
    const raw = JSON.stringify(body);
    const response = await fetch(`${service.url}/cloud/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': hubSignature(APP_SECRET, raw) }, body: raw });
    assert.equal(response.status, 200);
  };
  const says = (chat: string, body: string) => meta(notification(customerWrites(graph.phoneNumberId, { phone: chat }, { type: 'text', text: { body } })));
  const sentTo = (chat: string) => graph.sent.filter((m) => m.to === chat);

  before(async () => {
    const apiUrl = await graph.start();
    installed = await installPlugin(o, {
      'Service URL': `http://127.0.0.1:${PORT}`, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
      'Default Help Topic': '10', 'Default Department': '1',
    });
    service = await startSandboxService({
      PORT, API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php`,
      TRANSPORT: 'cloud', CLOUD_API_URL: apiUrl, CLOUD_ACCESS_TOKEN: graph.token, CLOUD_PHONE_NUMBER_ID: graph.phoneNumberId,
      CLOUD_APP_SECRET: APP_SECRET, CLOUD_VERIFY_TOKEN: VERIFY_TOKEN, CLOUD_TEMPLATE: 'ticket_reply_waiting', CLOUD_TEMPLATE_LANGUAGE: 'de',
    });
  });
  after(async () => {
    await service?.stop();
    await graph.stop();
  });

  test('Meta verifies the webhook; a customer message becomes a ticket and the confirmation goes out through the Graph API', async () => {
    const verified = await fetch(`${service.url}/cloud/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    assert.equal(await verified.text(), '42');
    const chat = phone(1);
    await says(chat, 'Mein Drucker druckt nicht');
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    assert.match(entries(map!.ticket_id)[0]!.body!, /Mein Drucker druckt nicht/);
    const [confirmation] = await until('confirmation', () => sentTo(chat), (m) => m.length === 1);
    assert.equal(confirmation!.type, 'text');
    assert.match(confirmation!.text.body, new RegExp(`#${map!.ticket_number}`));
  });

  test('an agent reply after the 24-hour window: an internal note, the template with the ticket number; the customer answers and the reply arrives', async () => {
    const chat = phone(2);
    await says(chat, 'Frage von vorgestern');
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    await until('confirmation', () => sentTo(chat), (m) => m.length === 1);
    agent(o, 'reply', map!.ticket_id, 'Hier ist Ihre Antwort');
    const [, refused] = await until('reply taken by WhatsApp', () => sentTo(chat), (m) => m.length === 2);
    // WhatsApp reports later that the window had closed (131047).
    await meta(notification(statuses(graph.phoneNumberId, { id: refused!.wamid, status: 'failed', recipient: chat, code: 131047, title: 'Re-engagement message' })));
    const template = await until('the template', () => sentTo(chat).filter((m) => m.type === 'template'), (m) => m.length === 1);
    assert.deepEqual(template[0]!.template.components[0].parameters, [{ type: 'text', text: map!.ticket_number }]);
    const notes = await until('the note for the agent', () => entries(map!.ticket_id).filter((e) => e.type === 'N'), (rows) => rows.some((e) => /(noch nicht beim Kunden|not reached the customer yet)/.test(e.body!)));
    assert.match(notes.map((e) => e.body).join(' '), /ticket_reply_waiting/);

    await says(chat, 'Ich bin wieder da');
    const after = await until('the reply after the answer', () => sentTo(chat).filter((m) => m.type === 'text' && /Hier ist Ihre Antwort/.test(m.text.body)), (m) => m.length === 2);
    assert.equal(after.length, 2, 'the refused one and the one that arrived');
    await until('logged as sent', () => sql(o, `SELECT status FROM ${t(o, 'whatsapp_messages')} WHERE direction = 'out' AND phone = '${chat}' AND message_id LIKE 'entry:%'`), (rows) => rows[0]?.status === 'sent');
    assert.equal(mapping(chat).length, 1, 'the answer went into the same ticket');
  });

  test('the 131047 comes before the send\'s answer (a failed status carries no callback data): the note, the template, and the reply once the customer answers; a 5,200-character reply arrives whole in two parts', async () => {
    const chat = phone(3);
    await says(chat, 'Frage von letzter Woche');
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    await until('confirmation', () => sentTo(chat), (m) => m.length === 1);
    graph.beforeAnswer = async (message) => {
      if (message.to !== chat || !/Antwort vorab/.test(message.text?.body ?? '')) return;
      graph.beforeAnswer = null;
      await meta(notification(statuses(graph.phoneNumberId, statusOf(message, 'failed', { code: 131047, title: 'Re-engagement message' }))));
    };
    agent(o, 'reply', map!.ticket_id, 'Antwort vorab');
    const template = await until('the template', () => sentTo(chat).filter((m) => m.type === 'template'), (m) => m.length === 1);
    assert.deepEqual(template[0]!.template.components[0].parameters, [{ type: 'text', text: map!.ticket_number }]);
    await until('the note for the agent', () => entries(map!.ticket_id).filter((e) => e.type === 'N'), (rows) => rows.some((e) => /(noch nicht beim Kunden|not reached the customer yet)/.test(e.body!)));
    await says(chat, 'Hallo?');
    await until('the reply after the answer', () => sentTo(chat).filter((m) => /Antwort vorab/.test(m.text?.body ?? '')), (m) => m.length === 2);

    const long = Array.from({ length: 250 }, (_, i) => `Schritt ${i + 1}: prüfen.`).join(' '); // about 5,200 characters
    agent(o, 'reply', map!.ticket_id, long);
    const parts = await until('the long reply in parts', () => sentTo(chat).filter((m) => / \(\d\/\d\)$/.test(m.text?.body ?? '')), (m) => m.length > 0 && m.length === Number(/\/(\d)\)$/.exec(m[0]!.text.body)![1]));
    assert.equal(parts.length, 2);
    assert.ok(parts.every((m) => [...m.text.body].length <= 4096));
    const whole = parts.map((m) => m.text.body.replace(/ \(\d\/\d\)$/, '')).join(' ').replace(/\s+/g, ' ');
    assert.ok(whole.includes(long), 'the whole text, in order');
  });

  test('an agent attaches a ZIP archive, which the Cloud API takes in no message: the ticket gets a note naming the file, the text still goes', async () => {
    const chat = phone(4);
    await says(chat, 'Bitte die Protokolle');
    const [map] = await until('ticket', () => mapping(chat), (rows) => rows.length === 1);
    await until('confirmation', () => sentTo(chat), (m) => m.length === 1);
    agent(o, 'replyzip', map!.ticket_id, 'Anbei die Protokolle.');
    await until('the text', () => sentTo(chat).filter((m) => /Anbei die Protokolle/.test(m.text?.body ?? '')), (m) => m.length === 1);
    const notes = await until('the note for the agent', () => entries(map!.ticket_id).filter((e) => e.type === 'N'), (rows) => rows.some((e) => /Logs\.zip/.test(e.body!)));
    assert.match(notes.map((e) => e.body).join(' '), /does not take this file: .*Logs\.zip.*application\/zip/);
    assert.equal(graph.uploads.size, [...graph.uploads.values()].filter((u) => u.filename !== 'Logs.zip').length, 'never uploaded');
  });

  test('the settings page names the transport and the template', async () => {
    const admin = await AdminPanel.open(o);
    try {
      await admin.openInstance(installed.pluginId, installed.instances[0]!);
      const panel = await admin.connectionPanel();
      assert.match(panel, /Transport: WhatsApp Business Cloud API \(official\)/);
      assert.match(panel, /template ticket_reply_waiting \(de\)/);
      await admin.page.click('a[href="#config"]');
      await admin.screenshot('cloud-transport-settings');
    } finally {
      await admin.close();
    }
  });
  test('an agent continues a phone ticket on WhatsApp: the first contact goes as the template, the reply follows the customer\'s answer', async () => {
    const chat = phone(9);
    const user = agent(o, 'user', `+${chat}`, 'Cloud Kundin').id as number;
    const ticket = String(agent(o, 'ticketfor', String(user)).ticket);
    const staff = await AdminPanel.open(o);
    try {
      const dialog = await staff.continueOnWhatsApp(ticket, 'cloud-continue-dialog');
      assert.match(dialog, /(approved template|genehmigte Vorlage)/, 'the dialog says the first message is the template');
    } finally {
      await staff.close();
    }
    agent(o, 'reply', ticket, 'Ihre Ersatzteile sind da');
    // The customer never wrote: WhatsApp takes the free-form message and refuses it (131047), as Meta does,
    // and the customer's first message from the business is the template.
    const [refused] = await until('the reply tried', () => sentTo(chat), (m) => m.length === 1);
    await meta(notification(statuses(graph.phoneNumberId, { id: refused!.wamid, status: 'failed', recipient: chat, code: 131047, title: 'Re-engagement message' })));
    const [template] = await until('the template', () => sentTo(chat).filter((m) => m.type === 'template'), (m) => m.length === 1);
    const number = sql(o, `SELECT number FROM ${t(o, 'ticket')} WHERE ticket_id = ${ticket}`)[0]!.number;
    assert.deepEqual(template!.template.components[0].parameters, [{ type: 'text', text: number }]);
    await until('the note for the agent', () => entries(ticket).filter((e) => e.type === 'N'), (rows) => rows.some((e) => /(noch nicht beim Kunden|not reached the customer yet)/.test(e.body!)));

    await says(chat, 'Ja, bitte schicken');
    const sent = await until('the reply after the answer', () => sentTo(chat), (m) => m.length === 3);
    assert.equal(sent[2]!.type, 'text');
    assert.match(sent[2]!.text.body, /Ihre Ersatzteile sind da/);
    await until('the answer in the ticket', () => entries(ticket), (rows) => rows.some((e) => /Ja, bitte schicken/.test(e.body!)));
  });
});
