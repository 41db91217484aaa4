/**
 * npm run bench:osticket: the plugin on a big osTicket, as figures.
 *
 * 1. Webhook -> thread entry for a first contact and a follow-up in osTicket
 *    as it is (a few hundred users), then after adding BENCH_USERS (100,000)
 *    users with phone numbers by SQL and installing the plugin afresh through
 *    the admin panel (its cron builds the phone index, as an administrator's
 *    would) for new numbers and for numbers of those users who have a ticket
 *    (a number from before the plugin counts only then: PhoneTrust.php), and on
 *    a second instance with another default country code.
 * 2. An agent's Post Reply in the staff panel, timed with the service
 *    answering, stopped (connection refused) and hanging (never answering);
 *    the replies that waited are sent by cron once the service answers, in order.
 *
 * Needs the same OSTICKET_* variables as the end-to-end suite; adds the users
 * by SQL and removes them (and their tickets) afterwards. Prints figures; it
 * is a benchmark, not a test.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signedHeaders } from '../whatsapp-service/src/webhook/signature.js';
import { AdminPanel } from './admin-panel.js';
import { agent, configure, installPlugin, osTicketFromEnv, sql, staffPanelReply, t, type Installed, type OsTicket } from './osticket.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const REPLIES = Number(process.env.BENCH_REPLIES ?? 8);
const WARM_UP = 5;
const SECRET = randomBytes(16).toString('hex');
const SECRET_43 = randomBytes(16).toString('hex');
const API_KEY = randomBytes(16).toString('hex');
const run = Date.now() % 100_000;

const ost = osTicketFromEnv();
if (!ost) {
  console.log('set OSTICKET_URL, OSTICKET_ROOT and OSTICKET_DB_NAME (see e2e/README.md) to run this benchmark');
  process.exit(0);
}
const o: OsTicket = ost;

let sequence = 0;
async function post(chat: string, text: string, instance: string, secret: string): Promise<number> {
  const body = JSON.stringify({ event: 'message', message: {
    id: `BENCH${run}x${++sequence}`, chat, phone: chat, name: 'Bench', timestamp: Math.floor(Date.now() / 1000), type: 'text', text, edited: false,
  } });
  const started = performance.now();
  const answer = await fetch(`${o.url}/api/whatsapp/webhook.php?instance=${instance}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...signedHeaders(secret, body, Date.now()) } });
  const elapsed = performance.now() - started;
  if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
  return elapsed;
}

interface Figures {
  label: string;
  first: number[];
  follow: number[];
}

/** First contacts and their follow-ups; `phoneOf(i)` gives the i-th customer's number. */
async function measure(label: string, phoneOf: (i: number) => string, instance: string, secret = SECRET): Promise<Figures> {
  const first: number[] = [];
  const follow: number[] = [];
  for (let i = 0; i < ROUNDS + WARM_UP; i++) {
    // The first few rounds warm osTicket's and MariaDB's caches up for this phase; they are not counted.
    const chat = phoneOf(i);
    const a = await post(chat, `Erste Nachricht ${i}`, instance, secret);
    const b = await post(chat, `Nachtrag ${i}`, instance, secret);
    if (i >= WARM_UP) {
      first.push(a);
      follow.push(b);
    }
  }
  return { label, first, follow };
}
const newPhone = (block: number) => (i: number) => `4916${block}${String(run).padStart(5, '0')}${String(i).padStart(3, '0')}`;
/** osTicket's cron, run as a separate process without blocking this one. */
const cron = () => promisify(execFile)('php', [path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent.php'), o.root, 'cron']);
const pick = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const median = (values: number[]) => pick(values, 0.5);
const users = () => Number(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'user')}`)[0]!.n);

/** A stand-in for the WhatsApp service: answers /send-secure at once and notes the keys, in the order they came. */
function answeringService(port: number): Promise<{ server: Server; keys: string[] }> {
  const keys: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/send-secure') keys.push((JSON.parse(Buffer.concat(chunks).toString()) as { key: string }).key);
      res.writeHead(req.url === '/send-secure' ? 202 : 200, { 'Content-Type': 'application/json' });
      res.end(req.url === '/send-secure' ? '{"id":1,"state":"queued"}' : '{"connection":"connected","me":null,"webhook":{}}');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, keys })));
}

/** A service that accepts connections and never answers. */
function hangingService(port: number): Promise<{ close(): void }> {
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => sockets.push(socket));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ close: () => { sockets.forEach((s) => s.destroy()); server.close(); } })));
}

async function main(): Promise<void> {
  const port = 41_000 + (run % 1000);
  const settings = (secret: string, country: string) => ({
    'Service URL': `http://127.0.0.1:${port}`, 'API Key': API_KEY, 'Webhook Secret': secret, 'Support Email': 'support@example.com',
    'Default Help Topic': '10', 'Default Department': '1', 'Default country code': country,
  });
  const marker = `Bench${run}`;
  let installed: Installed = await installPlugin(o, settings(SECRET, '49'));
  try {
    const small = await measure(`${users()} users, new number`, newPhone(1), installed.instances[0]!);

    const started = performance.now();
    const form = sql(o, `SELECT id FROM ${t(o, 'form')} WHERE type = 'U' ORDER BY id LIMIT 1`)[0]!.id;
    const phoneField = sql(o, `SELECT id FROM ${t(o, 'form_field')} WHERE form_id = ${form} AND name = 'phone'`)[0]!.id;
    sql(o, `INSERT INTO ${t(o, 'user')} (org_id, default_email_id, status, name, created, updated) SELECT 0, 0, 0, CONCAT('${marker} ', seq), NOW(), NOW() FROM seq_1_to_${USERS}`);
    const own = `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`;
    sql(o, `INSERT INTO ${t(o, 'user_email')} (user_id, flags, address) SELECT id, 0, CONCAT('bench', id, '@example.com') FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
    sql(o, `UPDATE ${t(o, 'user')} u JOIN ${t(o, 'user_email')} e ON e.user_id = u.id SET u.default_email_id = e.id WHERE u.name LIKE '${marker} %'`);
    sql(o, `INSERT INTO ${t(o, 'form_entry')} (form_id, object_id, object_type, sort, created, updated) SELECT ${form}, id, 'U', 1, NOW(), NOW() FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
    // Phones as osTicket stores them: digits, some international, some national.
    sql(o, `INSERT INTO ${t(o, 'form_entry_values')} (entry_id, field_id, value)
            SELECT e.id, ${phoneField}, IF(e.object_id % 2, CONCAT('49171', LPAD(e.object_id, 7, '0')), CONCAT('0172', LPAD(e.object_id, 7, '0')))
              FROM ${t(o, 'form_entry')} e WHERE e.object_type = 'U' AND e.object_id IN (${own})`);
    const inserted = (performance.now() - started) / 1000;

    // Existing customers among them (odd ids are stored internationally, even ones nationally), each with a ticket
    // an agent opened: their numbers are trusted when the index is built. Found, not duplicated.
    const ids = sql(o, `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %' ORDER BY RAND() LIMIT ${ROUNDS + WARM_UP}`).map((r) => Number(r.id));
    const evenIds = sql(o, `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %' AND id % 2 = 0 AND id NOT IN (${ids.join(',') || 0}) ORDER BY RAND() LIMIT ${ROUNDS + WARM_UP}`).map((r) => Number(r.id));
    for (const id of [...ids, ...evenIds]) agent(o, 'ticketfor', String(id));
    // A fresh plugin install on the big osTicket: its data deleted with it, then installed as README says.
    await configure(o, installed, 0, { 'Data on uninstall': 'delete' });
    const admin = await AdminPanel.open(o);
    await admin.uninstallPlugin();
    await admin.close();
    const installStarted = performance.now();
    installed = await installPlugin(o, settings(SECRET, '49'));
    const installSeconds = (performance.now() - installStarted) / 1000;
    const large = await measure(`${users()} users, new number`, newPhone(3), installed.instances[0]!);
    const phoneOfUser = (id: number, country = '49') => (id % 2 ? `49171${String(id).padStart(7, '0')}` : `${country}172${String(id).padStart(7, '0')}`);
    const known = await measure(`${users()} users, known number`, (i) => phoneOfUser(ids[i]!), installed.instances[0]!);
    for (const id of ids) {
      const owner = sql(o, `SELECT user_id FROM ${t(o, 'whatsapp_mapping')} WHERE phone = '${phoneOfUser(id)}'`)[0]?.user_id;
      if (Number(owner) !== id) throw new Error(`the customer ${phoneOfUser(id)} was not matched to user ${id} (got ${owner})`);
    }

    // A second number (instance) whose default country code is 43: national numbers are Austrian there.
    const admin43 = await AdminPanel.open(o);
    const { id: austria } = await admin43.addInstance(installed.pluginId, 'WhatsApp 43', { ...settings(SECRET_43, '43'), isactive: '1' });
    await admin43.close();
    const austrian = await measure(`${users()} users, country 43, known`, (i) => phoneOfUser(evenIds[i]!, '43'), austria, SECRET_43);
    for (const id of evenIds) {
      const owner = sql(o, `SELECT user_id FROM ${t(o, 'whatsapp_mapping')} WHERE phone = '${phoneOfUser(id, '43')}' AND instance_id = ${austria}`)[0]?.user_id;
      if (Number(owner) !== id) throw new Error(`the customer ${phoneOfUser(id, '43')} was not matched to user ${id} on the 43 instance (got ${owner})`);
    }

    console.log(`Webhook -> thread entry, ${ROUNDS} rounds each (ms, median / p90); osTicket at ${o.url}:`);
    for (const { label, first, follow } of [small, large, known, austrian]) {
      console.log(`${label.padEnd(36)} first contact ${median(first).toFixed(0).padStart(5)} / ${pick(first, 0.9).toFixed(0).padStart(5)}    follow-up ${median(follow).toFixed(0).padStart(5)} / ${pick(follow, 0.9).toFixed(0).padStart(5)}`);
    }
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    console.log(`ratio to the small osTicket (median): first contact ${ratio(large.first, small.first)} (target 1.2), known customer ${ratio(known.first, small.first)}, `
      + `country 43 ${ratio(austrian.first, small.first)}; follow-up ${ratio(large.follow, small.follow)} (target 1.0)`);
    console.log(`every known customer was matched to their existing user (${ids.length} for 49, ${evenIds.length} for 43)`);
    console.log(`(${USERS} users added by SQL in ${inserted.toFixed(1)} s; the fresh install through the admin panel and its first cron run, which built the index, took ${installSeconds.toFixed(1)} s)`);

    // Post Reply in the staff panel: the agent's wait with the service answering, stopped and hanging.
    const chat = newPhone(5)(1);
    await post(chat, 'Bitte antworten', installed.instances[0]!, SECRET);
    const ticketId = sql(o, `SELECT ticket_id FROM ${t(o, 'whatsapp_mapping')} WHERE phone = '${chat}'`)[0]!.ticket_id!;
    const timeReplies = async (label: string) => {
      const times: number[] = [];
      for (let i = 0; i < REPLIES; i++) {
        const begin = performance.now();
        await staffPanelReply(o, ticketId, `<p>${label} ${i}</p>`);
        times.push(performance.now() - begin);
      }
      return times;
    };
    const up = await answeringService(port);
    const answering = await timeReplies('answering');
    up.server.close();
    const stopped = await timeReplies('stopped');
    const hang = await hangingService(port);
    const hanging = await timeReplies('hanging');
    hang.close();
    const back = await answeringService(port);
    await cron(); // (not agent(): this process must keep answering as the service while cron runs)
    back.server.close();
    const waited = sql(o, `SELECT message_id FROM ${t(o, 'whatsapp_messages')} WHERE phone = '${chat}' AND direction = 'out' AND message_id LIKE 'entry:%' ORDER BY id`).map((r) => r.message_id!);
    const expected = waited.filter((key) => !up.keys.includes(key));
    console.log(`Post Reply in the staff panel, ${REPLIES} each (ms, median / max): service answering ${median(answering).toFixed(0)} / ${Math.max(...answering).toFixed(0)}, `
      + `stopped ${median(stopped).toFixed(0)} / ${Math.max(...stopped).toFixed(0)}, hanging ${median(hanging).toFixed(0)} / ${Math.max(...hanging).toFixed(0)}`);
    console.log(`replies that waited: ${expected.length}; sent by cron once the service answered: ${back.keys.length}, in order: ${JSON.stringify(back.keys) === JSON.stringify(expected)}`);
  } finally {
    const own = `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`;
    // The known customers' tickets go with their users, through osTicket.
    for (const { ticket_id: id } of sql(o, `SELECT ticket_id FROM ${t(o, 'ticket')} WHERE user_id IN (${own})`)) agent(o, 'delete', id!);
    sql(o, `DELETE v FROM ${t(o, 'form_entry_values')} v JOIN ${t(o, 'form_entry')} e ON e.id = v.entry_id WHERE e.object_type = 'U' AND e.object_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'form_entry')} WHERE object_type = 'U' AND object_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'user_email')} WHERE user_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'whatsapp_phone_index')} WHERE user_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
  }
}

// The root package is CommonJS: no top-level await.
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
