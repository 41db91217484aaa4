/**
 * npm run bench:ticket-view: what the plugin costs a ticket's page in the staff
 * panel. The ticket view (scp/tickets.php?id=…) of a WhatsApp ticket (delivery
 * states script, More menu item) and of a ticket whose user has a phone (the
 * More menu's "Continue on WhatsApp" looked up), timed with the plugin enabled
 * and disabled (Plugins › Disable, as an administrator), and the states route
 * the page polls. Same OSTICKET_* variables as the end-to-end suite; prints
 * figures, it is a benchmark, not a test.
 */
import { randomBytes } from 'node:crypto';
import { AdminPanel } from './admin-panel.js';
import { agent, installPlugin, mappings, osTicketFromEnv, sandboxCustomer, servicePort, staffSession, startSandboxService, until, type OsTicket } from './osticket.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARM_UP = 5;
const API_KEY = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const run = Date.now() % 100_000;

const ost = osTicketFromEnv();
if (!ost) {
  console.log('set OSTICKET_URL and the variables in e2e/README.md to run this benchmark');
  process.exit(0);
}
const o: OsTicket = ost;

async function main(): Promise<void> {
  const service = await startSandboxService({ PORT: servicePort(), API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URL: `${o.url}/api/whatsapp/webhook.php` });
  try {
    const installed = await installPlugin(o, { 'Service URL': service.url, 'API Key': API_KEY, 'Webhook Secret': SECRET, 'Support Email': 'support@example.com', 'Default Help Topic': '10', 'Default Department': '1' });
    const chat = `4918${String(run).padStart(5, '0')}001`;
    await sandboxCustomer(() => service.url, API_KEY).say(chat, 'Bench: mein Drucker');
    const [conversation] = await until('ticket', () => mappings(o, chat), (rows) => rows.length === 1);
    const whatsappTicket = conversation!.ticket_id!;
    agent(o, 'reply', whatsappTicket, 'Bench reply');
    const user = agent(o, 'user', `+4918${String(run).padStart(5, '0')}002`, 'Bench Phone').id as number;
    const phoneTicket = String(agent(o, 'ticketfor', String(user)).ticket);

    const session = await staffSession(o);
    const time = async (url: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < WARM_UP + ROUNDS; i++) {
        const started = performance.now();
        const response = await session.call(url);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
        if (i >= WARM_UP) times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b);
    };
    const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const pages = { 'WhatsApp ticket': whatsappTicket, 'phone ticket (menu item)': phoneTicket };
    const figures: Record<string, { enabled: number[]; disabled: number[] }> = {};
    for (const [name, id] of Object.entries(pages)) figures[name] = { enabled: await time(`${o.url}/scp/tickets.php?id=${id}`), disabled: [] };
    const states = await time(`${o.url}/scp/ajax.php/whatsapp/tickets/${whatsappTicket}/states`);

    const admin = await AdminPanel.open(o);
    try {
      await admin.disablePlugin(installed.pluginId);
      for (const [name, id] of Object.entries(pages)) figures[name]!.disabled = await time(`${o.url}/scp/tickets.php?id=${id}`);
      await admin.enablePlugin(installed.pluginId);
    } finally {
      await admin.close();
    }

    console.log(`osTicket ${o.version}, ${ROUNDS} views each after ${WARM_UP} to warm up (ms: median / 90th percentile)`);
    for (const [name, { enabled, disabled }] of Object.entries(figures)) {
      console.log(`  ${name.padEnd(26)} enabled ${at(enabled, 0.5).toFixed(1)} / ${at(enabled, 0.9).toFixed(1)}   disabled ${at(disabled, 0.5).toFixed(1)} / ${at(disabled, 0.9).toFixed(1)}   difference of medians ${(at(enabled, 0.5) - at(disabled, 0.5)).toFixed(1)}`);
    }
    console.log(`  states route (polled every 10 s)   ${at(states, 0.5).toFixed(1)} / ${at(states, 0.9).toFixed(1)}`);
  } finally {
    await service.stop();
}
}

void main();
