import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { AdminPanel, type FieldValue } from './admin-panel.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The running osTicket the suite targets, from the environment; null skips the suite. */
export interface OsTicket {
  url: string;
  root: string;
  /** osTicket's major version, e.g. "1.18" (MAJOR_VERSION in its bootstrap.php). */
  version: string;
  db: { host: string; name: string; user: string; password: string; prefix: string };
  /** The staff account the suite logs in with (an administrator). */
  staff: { user: string; password: string };
}

/**
 * A port for a test's service, below Linux's ephemeral range (32768-60999): a port in it
 * may be held by an outgoing connection when the service starts (again), and the start fails.
 */
export const servicePort = (): string => String(20_000 + Math.floor(Math.random() * 12_000));

/** The variable that says this osTicket is a test installation the suite may reset the plugin in. */
export const MAY_RESET = 'OSTICKET_E2E_MAY_RESET';

/** Whether the plugin supports this osTicket: 1.17 and newer (older ones are refused, see older-osticket.test.ts). */
export const supported = (ost: OsTicket | null): ost is OsTicket => ost !== null && Number(ost.version.split('.')[1]) >= 17;

/** Why a suite is skipped on this osTicket, or false to run it. */
export function skipUnlessSupported(ost: OsTicket | null): string | false {
  if (!ost) return 'set OSTICKET_URL and the variables in e2e/README.md to run';
  return supported(ost) ? false : `osTicket ${ost.version} is refused by the plugin (older-osticket.test.ts)`;
}

/**
 * The osTicket to test against, or null (the suite skips). The suite deletes the plugin there,
 * drops its tables and creates users and tickets: without MAY_RESET=yes and a staff login from
 * the environment it refuses, whatever else is set, rather than touch an osTicket by surprise.
 */
export function osTicketFromEnv(): OsTicket | null {
  const url = process.env.OSTICKET_URL;
  const root = process.env.OSTICKET_ROOT;
  if (!url) return null;
  if (process.env[MAY_RESET] !== 'yes') {
    throw new Error(`OSTICKET_URL is set (${url}), but the end-to-end suite deletes the WhatsApp plugin there, drops its tables and creates users and tickets. `
      + `If that osTicket is a test installation, set ${MAY_RESET}=yes (and OSTICKET_STAFF_USER, OSTICKET_STAFF_PASSWORD); otherwise unset OSTICKET_URL. Nothing was touched.`);
  }
  const staff = { user: process.env.OSTICKET_STAFF_USER ?? '', password: process.env.OSTICKET_STAFF_PASSWORD ?? '' };
  if (!root || !process.env.OSTICKET_DB_NAME || !staff.user || !staff.password) {
    throw new Error('the end-to-end suite needs OSTICKET_ROOT, OSTICKET_DB_NAME, OSTICKET_STAFF_USER and OSTICKET_STAFF_PASSWORD besides OSTICKET_URL (see e2e/README.md)');
  }
  const version = /define\('MAJOR_VERSION',\s*'([\d.]+)'\)/.exec(readFileSync(path.join(root, 'bootstrap.php'), 'utf8'))?.[1] ?? '0';
  return {
    url: url.replace(/\/+$/, ''),
    root,
    version,
    db: {
      host: process.env.OSTICKET_DB_HOST ?? 'localhost',
      name: process.env.OSTICKET_DB_NAME,
      user: process.env.OSTICKET_DB_USER ?? 'root',
      password: process.env.OSTICKET_DB_PASSWORD ?? '',
      prefix: process.env.OSTICKET_DB_PREFIX ?? 'ost_',
    },
    staff,
  };
}

/** The mysql client's batch output writes line breaks, tabs and backslashes in values as \n, \t and \\. */
const unescape = (value: string) => value.replace(/\\(n|t|0|\\)/g, (_, c: string) => ({ n: '\n', t: '\t', '0': '\0', '\\': '\\' })[c]!);

/** Runs SQL with the mysql client; returns rows as objects (tab-separated output, first line names). */
export function sql(ost: OsTicket, query: string): Array<Record<string, string>> {
  const out = execFileSync('mysql', ['-h', ost.db.host, '-u', ost.db.user, `-p${ost.db.password}`, '--default-character-set=utf8mb4', '-B', ost.db.name, '-e', query], {
    encoding: 'utf8',
  });
  const [header, ...lines] = out.split('\n').filter((line) => line !== '');
  if (!header) return [];
  const names = header.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((value, i) => [names[i]!, value === 'NULL' ? '' : unescape(value)])));
}

export const t = (ost: OsTicket, table: string) => `\`${ost.db.prefix}${table}\``;

/** The plugin's conversations of a chat (its mapping rows), oldest first. */
export const mappings = (ost: OsTicket, chat: string) => sql(ost, `SELECT * FROM ${t(ost, 'whatsapp_mapping')} WHERE phone = '${chat}' ORDER BY id`);

/** A ticket's thread entries, oldest first. */
export const threadEntries = (ost: OsTicket, ticketId: string) =>
  sql(ost, `SELECT e.* FROM ${t(ost, 'thread_entry')} e JOIN ${t(ost, 'thread')} th ON th.id = e.thread_id WHERE th.object_type = 'T' AND th.object_id = ${ticketId} ORDER BY e.id`);

/** A message the sandbox service sent (GET /sandbox/outbound). */
export interface SandboxSent {
  whatsappId: string;
  text: string;
  media?: { filename: string; sha256: string; url: string };
}

/**
 * A customer of the sandbox service at `url()`: what they write (the message id back), the
 * messages they got (`sent`, or only their texts), and both sides of their chat.
 */
export function sandboxCustomer(url: () => string, apiKey: string) {
  const headers = { 'Content-Type': 'application/json', 'X-API-Key': apiKey };
  const sent = async (to: string): Promise<SandboxSent[]> =>
    ((await (await fetch(`${url()}/sandbox/outbound?phone=${to}`, { headers })).json()) as { messages: SandboxSent[] }).messages;
  return {
    async say(from: string, text: string, extra: Record<string, unknown> = {}): Promise<string> {
      const response = await fetch(`${url()}/sandbox/inbound`, { method: 'POST', headers, body: JSON.stringify({ phone: from, name: 'Max Mustermann', text, ...extra }) });
      assert.equal(response.status, 202);
      return ((await response.json()) as { id: string }).id;
    },
    sent,
    async outbound(to: string): Promise<string[]> {
      return (await sent(to)).map((m) => m.text);
    },
    async conversation(chat: string): Promise<Array<{ direction: string; text: string }>> {
      return ((await (await fetch(`${url()}/sandbox/conversation?phone=${chat}`, { headers })).json()) as { messages: Array<{ direction: string; text: string }> }).messages;
    },
  };
}

/** Fills the rows of an osTicket client form (portal pages) by their labels. */
export async function fillByLabel(page: Page, values: Record<string, string>): Promise<void> {
  await page.$$eval('form tr', (rows, given) => {
    for (const [label, value] of Object.entries(given as Record<string, string>)) {
      const row = rows.find((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim().startsWith(label) && r.querySelector('input:not([type=hidden])'));
      if (!row) throw new Error(`no field ${label}`);
      (row.querySelector('input:not([type=hidden])') as HTMLInputElement).value = value;
    }
  }, values);
}

/** The plugin as an administrator installed it: its id and its instances' ids (one WhatsApp number each), in order. */
export interface Installed {
  pluginId: string;
  instances: string[];
}

/**
 * Copies the plugin into osTicket and sets it up as the README says, through
 * the admin panel in a browser: an earlier installation deleted, Add New
 * Plugin › Install, enable, and one instance per settings object (labels as
 * the page shows them; everything else as rendered). Then each instance's page
 * is opened again: every value must read back as it was rendered or set.
 */
export async function installPlugin(ost: OsTicket, ...instances: Array<Record<string, FieldValue>>): Promise<Installed> {
  const target = path.join(ost.root, 'include', 'plugins', 'whatsapp');
  rmSync(target, { recursive: true, force: true });
  cpSync(path.join(repo, 'osticket-plugin', 'whatsapp'), target, { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // mod_php's opcache revalidates after a second or so
  const admin = await AdminPanel.open(ost);
  try {
    await admin.uninstallPlugin();
    const pluginId = await admin.installPlugin();
    await admin.enablePlugin(pluginId);
    const ids: string[] = [];
    for (const [index, values] of instances.entries()) {
      const { id, rendered } = await admin.addInstance(pluginId, `WhatsApp ${index + 1}`, values);
      ids.push(id);
      await admin.openInstance(pluginId, id);
      const shown = await admin.formValues();
      const expected = { ...rendered, ...Object.fromEntries(Object.entries(values).filter(([label]) => label in rendered)) };
      assert.deepEqual(shown, expected, `instance ${index + 1}: the settings as saved are the settings as rendered and set`);
    }
    // osTicket's cron, as the README asks an administrator to set up: it builds the phone index.
    agent(ost, 'cron');
    return { pluginId, instances: ids };
  } finally {
    await admin.close();
  }
}

/** Changes settings of one instance on its page in the admin panel, as an administrator does. */
export async function configure(ost: OsTicket, installed: Installed, index: number, values: Record<string, FieldValue>): Promise<void> {
  const admin = await AdminPanel.open(ost);
  try {
    await admin.updateInstance(installed.pluginId, installed.instances[index]!, values);
  } finally {
    await admin.close();
  }
}

/** The settings of an instance as osTicket stored them (key => value). */
export function storedSettings(ost: OsTicket, installed: Installed, index: number): Record<string, string> {
  const namespace = `plugin.${installed.pluginId}.instance.${installed.instances[index]}`;
  return Object.fromEntries(sql(ost, `SELECT \`key\`, value FROM ${t(ost, 'config')} WHERE namespace = '${namespace}'`).map((r) => [r.key!, r.value!]));
}

/** An agent acts in osTicket (reply, internal note, close, ...), through osTicket's classes; returns its JSON answer. */
export function agent(ost: OsTicket, action: 'reply' | 'replyfiles' | 'replyzip' | 'replyall' | 'note' | 'close' | 'delete' | 'newticket' | 'user' | 'edit' | 'files' | 'owner' | 'task' | 'shown' | 'deleteuser' | 'cron' | 'clientprofile' | 'ticketfor' | 'limitedagent' | 'search', target = '', text = '', ...more: string[]): any {
  const out = execFileSync('php', [path.join(repo, 'e2e', 'agent.php'), ost.root, action, target, text, ...more], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim() === '' ? null : JSON.parse(out.trim().split('\n').pop()!);
}

/** The real service in sandbox mode, as its own process; `dataDir` to start it again on the same data. */
export async function startSandboxService(env: Record<string, string>, dataDir = mkdtempSync(path.join(tmpdir(), 'wa-e2e-'))): Promise<{
  url: string; dataDir: string; stop(options?: { keepData?: boolean }): Promise<void>; pause(): { resume(): void };
}> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.join(repo, 'whatsapp-service'),
    env: { ...process.env, ENV_FILE: '/nonexistent', TRANSPORT: 'sandbox', LOG_LEVEL: 'warn', SEND_INTERVAL_MS: '0', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${env.PORT}`;
  // Listening is enough: /health is not ok before the plugin confirmed the webhook (it may not be installed yet).
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`${url}/health`);
      break;
    } catch {
      /* starting */
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    dataDir,
    /** The service hangs (SIGSTOP): connections are accepted by the kernel, nothing answers, until resumed. */
    pause() {
      child.kill('SIGSTOP');
      return { resume: () => child.kill('SIGCONT') };
    },
    async stop({ keepData = false } = {}) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A staff login over HTTP (cookies kept): `call` fetches as that agent, `page` reads a page's HTML. */
export async function staffSession(ost: OsTicket, login = ost.staff): Promise<{ call(url: string, init?: RequestInit): Promise<Response>; page(url: string): Promise<string> }> {
  const cookies = new Map<string, string>();
  const call = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      cookies.set(name!.trim(), value.join('='));
    }
    return response;
  };
  const loginPage = await (await call(`${ost.url}/scp/login.php`)).text();
  await call(`${ost.url}/scp/login.php`, form({ __CSRFToken__: token(loginPage, /name="__CSRFToken__" value="([^"]+)"/), do: 'scplogin', userid: login.user, passwd: login.password }));
  return { call, page: async (url: string) => (await call(url)).text() };
}

const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
const token = (page: string, pattern: RegExp) => page.match(pattern)?.[1] ?? '';

/** An agent replies in the staff panel over HTTP, with the panel's defaults (reply to all active recipients). */
export async function staffPanelReply(ost: OsTicket, ticketId: string, html: string, login = ost.staff): Promise<number> {
  const { call, page } = await staffSession(ost, login);
  const csrf = token(await page(`${ost.url}/scp/tickets.php?id=${ticketId}`), /name="csrf_token" content="([^"]+)"/);
  if (!csrf) throw new Error('staff login failed');
  const lock = (await (await call(`${ost.url}/scp/ajax.php/lock/ticket/${ticketId}`, { method: 'POST', headers: { 'X-CSRFToken': csrf, 'X-Requested-With': 'XMLHttpRequest' } })).json()) as { code?: string };
  const answer = await call(`${ost.url}/scp/tickets.php?id=${ticketId}`, form({
    __CSRFToken__: csrf, id: ticketId, a: 'reply', lockCode: lock.code ?? '', 'reply-to': 'all', emailreply: '1', response: html, signature: 'none', reply_status_id: '',
  }));
  await answer.arrayBuffer(); // the whole request, plugin work at its end included
  return answer.status;
}

/** Polls `get` until `ok` holds, or fails naming `what` and the last value. */
export async function until<T>(what: string, get: () => Promise<T> | T, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Writes one setting of every plugin instance straight into osTicket's config
 * table, in plain text: only for what the admin panel rightly refuses to save
 * (an API key the running service does not accept), to play a key changed on
 * the service's side. Settings an administrator can save go through `configure`.
 */
export function setPluginSetting(ost: OsTicket, key: string, value: string): void {
  for (const { namespace } of sql(ost, `SELECT DISTINCT namespace FROM ${t(ost, 'config')} WHERE namespace LIKE 'plugin.%.instance.%'`)) {
    sql(ost, `INSERT INTO ${t(ost, 'config')} (namespace, \`key\`, value, updated) VALUES ('${namespace}', '${key}', '${value}', NOW()) ON DUPLICATE KEY UPDATE value = '${value}'`);
  }
}

/**
 * The plugin's fault switch (osticket-plugin/whatsapp/lib/Fault.php): a
 * constant only this file defines, naming a file that holds the step at which
 * the plugin kills its own request once. `arm(step)` sets it, `fired()` says
 * whether it went off, `remove()` takes the switch away again.
 */
export function faultSwitch(ost: OsTicket): { arm(step: string): void; fired(): boolean; remove(): void } {
  const dir = mkdtempSync('/tmp/wa-fault-');
  chmodSync(dir, 0o777); // Apache's user consumes (deletes) the file
  const stepFile = path.join(dir, 'step');
  const switchFile = path.join(ost.root, 'include', 'plugins', 'whatsapp', 'fault-injection.php');
  writeFileSync(switchFile, `<?php define('WHATSAPP_FAULT_FILE', ${JSON.stringify(stepFile)});\n`);
  return {
    arm: (step) => writeFileSync(stepFile, step, { mode: 0o666 }),
    fired: () => !existsSync(stepFile),
    remove: () => {
      rmSync(switchFile, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
