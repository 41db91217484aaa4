/**
 * npm run bench:osticket: how long a WhatsApp message takes from the webhook
 * to its thread entry, for a follow-up and for a first contact, in osTicket
 * as it is now and again with BENCH_USERS (100,000) more users with phone
 * numbers. Needs the same OSTICKET_* variables as the end-to-end suite;
 * adds the users by SQL and removes them afterwards. Prints figures; it is a
 * benchmark, not a test.
 */
import { randomBytes } from 'node:crypto';
import { signedHeaders } from '../whatsapp-service/src/webhook/signature.js';
import { agent, installPlugin, osTicketFromEnv, sql, t, type OsTicket } from './osticket.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const WARM_UP = 5;
const SECRET = randomBytes(16).toString('hex');
const run = Date.now() % 100_000;

const ost = osTicketFromEnv();
if (!ost) {
  console.log('set OSTICKET_URL, OSTICKET_ROOT and OSTICKET_DB_NAME (see e2e/README.md) to run this benchmark');
  process.exit(0);
}
const o: OsTicket = ost;

let sequence = 0;
async function post(chat: string, text: string): Promise<number> {
  const body = JSON.stringify({ event: 'message', message: {
    id: `BENCH${run}x${++sequence}`, chat, phone: chat, name: 'Bench', timestamp: Math.floor(Date.now() / 1000), type: 'text', text, edited: false,
  } });
  const started = performance.now();
  const answer = await fetch(`${o.url}/api/whatsapp/webhook.php`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...signedHeaders(SECRET, body, Date.now()) } });
  const elapsed = performance.now() - started;
  if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
  return elapsed;
}

interface Figures {
  label: string;
  first: number[];
  follow: number[];
}

/** First contacts and their follow-ups; `phoneOf(i)` gives the i-th new customer's number. */
async function measure(label: string, phoneOf: (i: number) => string): Promise<Figures> {
  const first: number[] = [];
  const follow: number[] = [];
  for (let i = 0; i < ROUNDS + WARM_UP; i++) {
    // The first few rounds warm osTicket's and MariaDB's caches up for this phase; they are not counted.
    const chat = phoneOf(i);
    const a = await post(chat, `Erste Nachricht ${i}`);
    const b = await post(chat, `Nachtrag ${i}`);
    if (i >= WARM_UP) {
      first.push(a);
      follow.push(b);
    }
  }
  return { label, first, follow };
}
const newPhone = (block: number) => (i: number) => `4916${block}${String(run).padStart(5, '0')}${String(i).padStart(3, '0')}`;

const pick = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const users = () => Number(sql(o, `SELECT COUNT(*) AS n FROM ${t(o, 'user')}`)[0]!.n);

// The root package is CommonJS: no top-level await.
async function main(): Promise<void> {
  await installPlugin(o, {
    'Service URL': 'http://127.0.0.1:9', 'Webhook Secret': SECRET, 'Support Email': 'support@example.com',
    'Default Help Topic': '10', 'Default Department': '1', 'Notify on agent reply': false, 'Notify on ticket close': false,
  });
  const marker = `Bench${run}`;
  try {
    agent(o, 'cron'); // builds the plugin's phone index for what is there
    const small = await measure(`${users()} users, new number`, newPhone(1));

    const started = performance.now();
    const form = sql(o, `SELECT id FROM ${t(o, 'form')} WHERE type = 'U' ORDER BY id LIMIT 1`)[0]!.id;
    const phoneField = sql(o, `SELECT id FROM ${t(o, 'form_field')} WHERE form_id = ${form} AND name = 'phone'`)[0]!.id;
    sql(o, `INSERT INTO ${t(o, 'user')} (org_id, default_email_id, status, name, created, updated) SELECT 0, 0, 0, CONCAT('${marker} ', seq), NOW(), NOW() FROM seq_1_to_${USERS}`);
    const own = `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`;
    sql(o, `INSERT INTO ${t(o, 'user_email')} (user_id, flags, address) SELECT id, 0, CONCAT('bench', id, '@example.com') FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
    sql(o, `INSERT INTO ${t(o, 'form_entry')} (form_id, object_id, object_type, sort, created, updated) SELECT ${form}, id, 'U', 1, NOW(), NOW() FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
    // Phones as osTicket stores them: digits, some international, some national.
    sql(o, `INSERT INTO ${t(o, 'form_entry_values')} (entry_id, field_id, value)
            SELECT e.id, ${phoneField}, IF(e.object_id % 2, CONCAT('49171', LPAD(e.object_id, 7, '0')), CONCAT('0172', LPAD(e.object_id, 7, '0')))
              FROM ${t(o, 'form_entry')} e WHERE e.object_type = 'U' AND e.object_id IN (${own})`);
    const inserted = (performance.now() - started) / 1000;
    // Users added by SQL bypass osTicket's signals: rebuild the index as cron does after an upgrade.
    const forgetIndex = () => sql(o, `DELETE FROM ${t(o, 'config')} WHERE namespace = 'plugin.whatsapp.phones'`);
    forgetIndex();
    const scanned = await measure(`${users()} users, no index (scan)`, newPhone(2));
    const indexStart = performance.now();
    agent(o, 'cron');
    const indexed = (performance.now() - indexStart) / 1000;
    const large = await measure(`${users()} users, new number`, newPhone(3));
    // Existing customers among them (odd ids are stored internationally, even ones nationally): found, not duplicated.
    const ids = sql(o, `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %' ORDER BY RAND() LIMIT ${ROUNDS + WARM_UP}`).map((r) => Number(r.id));
    const phoneOfUser = (id: number) => (id % 2 ? `49171${String(id).padStart(7, '0')}` : `49172${String(id).padStart(7, '0')}`);
    const known = await measure(`${users()} users, known number`, (i) => phoneOfUser(ids[i]!));
    for (const id of ids) {
      const owner = sql(o, `SELECT user_id FROM ${t(o, 'whatsapp_mapping')} WHERE phone = '${phoneOfUser(id)}'`)[0]?.user_id;
      if (Number(owner) !== id) throw new Error(`the customer ${phoneOfUser(id)} was not matched to user ${id} (got ${owner})`);
    }

    console.log(`Webhook -> thread entry, ${ROUNDS} rounds each (ms, median / p90); osTicket at ${o.url}:`);
    for (const { label, first, follow } of [small, scanned, large, known]) {
      console.log(`${label.padEnd(34)} first contact ${pick(first, 0.5).toFixed(0).padStart(5)} / ${pick(first, 0.9).toFixed(0).padStart(5)}    follow-up ${pick(follow, 0.5).toFixed(0).padStart(5)} / ${pick(follow, 0.9).toFixed(0).padStart(5)}`);
    }
    console.log(`ratio large/small (median): first contact ${(pick(large.first, 0.5) / pick(small.first, 0.5)).toFixed(2)}, known customer ${(pick(known.first, 0.5) / pick(small.first, 0.5)).toFixed(2)}, follow-up ${(pick(large.follow, 0.5) / pick(small.follow, 0.5)).toFixed(2)} (target: within 1.2)`);
    console.log(`every known customer was matched to their existing user (${ids.length} checked)`);
    console.log(`(${USERS} users added by SQL in ${inserted.toFixed(1)} s; the plugin's phone index rebuilt by cron in ${indexed.toFixed(1)} s)`);
  } finally {
    const own = `SELECT id FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`;
    // The known customers' tickets go with their users, through osTicket.
    for (const { ticket_id: id } of sql(o, `SELECT ticket_id FROM ${t(o, 'ticket')} WHERE user_id IN (${own})`)) agent(o, 'delete', id!);
    sql(o, `DELETE FROM ${t(o, 'whatsapp_mapping')} WHERE user_id IN (${own})`);
    sql(o, `DELETE v FROM ${t(o, 'form_entry_values')} v JOIN ${t(o, 'form_entry')} e ON e.id = v.entry_id WHERE e.object_type = 'U' AND e.object_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'form_entry')} WHERE object_type = 'U' AND object_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'user_email')} WHERE user_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'whatsapp_phone_index')} WHERE user_id IN (${own})`);
    sql(o, `DELETE FROM ${t(o, 'user')} WHERE name LIKE '${marker} %'`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
