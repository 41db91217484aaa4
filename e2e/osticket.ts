import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The running osTicket the suite targets, from the environment; null skips the suite. */
export interface OsTicket {
  url: string;
  root: string;
  db: { host: string; name: string; user: string; password: string; prefix: string };
}

export function osTicketFromEnv(): OsTicket | null {
  const url = process.env.OSTICKET_URL;
  const root = process.env.OSTICKET_ROOT;
  if (!url || !root || !process.env.OSTICKET_DB_NAME) return null;
  return {
    url: url.replace(/\/+$/, ''),
    root,
    db: {
      host: process.env.OSTICKET_DB_HOST ?? 'localhost',
      name: process.env.OSTICKET_DB_NAME,
      user: process.env.OSTICKET_DB_USER ?? 'root',
      password: process.env.OSTICKET_DB_PASSWORD ?? '',
      prefix: process.env.OSTICKET_DB_PREFIX ?? 'ost_',
    },
  };
}

/** Runs SQL with the mysql client; returns rows as objects (tab-separated output, first line names). */
export function sql(ost: OsTicket, query: string): Array<Record<string, string>> {
  const out = execFileSync('mysql', ['-h', ost.db.host, '-u', ost.db.user, `-p${ost.db.password}`, '--default-character-set=utf8mb4', '-B', ost.db.name, '-e', query], {
    encoding: 'utf8',
  });
  const [header, ...lines] = out.split('\n').filter((line) => line !== '');
  if (!header) return [];
  const names = header.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((value, i) => [names[i]!, value === 'NULL' ? '' : value])));
}

export const t = (ost: OsTicket, table: string) => `\`${ost.db.prefix}${table}\``;

/**
 * Copies the plugin into osTicket, registers and enables it with one instance
 * per settings object (one WhatsApp number each), and stores their settings.
 * Returns the instance ids, in order.
 */
export function installPlugin(ost: OsTicket, ...instances: Array<Record<string, string>>): string[] {
  const target = path.join(ost.root, 'include', 'plugins', 'whatsapp');
  rmSync(target, { recursive: true, force: true });
  cpSync(path.join(repo, 'osticket-plugin', 'whatsapp'), target, { recursive: true });
  const q = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  sql(ost, `DELETE FROM ${t(ost, 'plugin_instance')} WHERE plugin_id IN (SELECT id FROM ${t(ost, 'plugin')} WHERE install_path = 'plugins/whatsapp')`);
  sql(ost, `DELETE FROM ${t(ost, 'plugin')} WHERE install_path = 'plugins/whatsapp'`);
  sql(ost, `INSERT INTO ${t(ost, 'plugin')} (name, install_path, isphar, isactive, version, installed) VALUES ('WhatsApp Integration', 'plugins/whatsapp', 0, 1, '1.0.0', NOW())`);
  const pluginId = sql(ost, `SELECT id FROM ${t(ost, 'plugin')} WHERE install_path = 'plugins/whatsapp'`)[0]!.id;
  const ids: string[] = [];
  for (const [index, settings] of instances.entries()) {
    sql(ost, `INSERT INTO ${t(ost, 'plugin_instance')} (plugin_id, flags, name, created, updated) VALUES (${pluginId}, 1, ${q(`WhatsApp ${index + 1}`)}, NOW(), NOW())`);
    const instanceId = sql(ost, `SELECT MAX(id) AS id FROM ${t(ost, 'plugin_instance')} WHERE plugin_id = ${pluginId}`)[0]!.id!;
    ids.push(instanceId);
    const namespace = `plugin.${pluginId}.instance.${instanceId}`;
    const values = Object.entries(settings).map(([key, value]) => `(${q(namespace)}, ${q(key)}, ${q(value)}, NOW())`).join(', ');
    sql(ost, `INSERT INTO ${t(ost, 'config')} (namespace, \`key\`, value, updated) VALUES ${values}`);
  }
  sql(ost, `DELETE FROM ${t(ost, 'config')} WHERE namespace LIKE 'plugin.%.instance.%' AND namespace NOT IN (SELECT CONCAT('plugin.', plugin_id, '.instance.', id) FROM ${t(ost, 'plugin_instance')})`);
  return ids;
}

/** An agent acts in osTicket (reply, internal note, close, ...), through osTicket's classes; returns its JSON answer. */
export function agent(ost: OsTicket, action: 'reply' | 'replyfiles' | 'replyall' | 'note' | 'close' | 'delete' | 'newticket' | 'user' | 'edit' | 'files' | 'cron', target = '', text = ''): any {
  const out = execFileSync('php', [path.join(repo, 'e2e', 'agent.php'), ost.root, action, target, text], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim() === '' ? null : JSON.parse(out.trim().split('\n').pop()!);
}

/** The real service in sandbox mode, as its own process. */
export async function startSandboxService(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.join(repo, 'whatsapp-service'),
    env: { ...process.env, ENV_FILE: '/nonexistent', TRANSPORT: 'sandbox', LOG_LEVEL: 'warn', SEND_INTERVAL_MS: '0', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An agent replies in the staff panel over HTTP, with the panel's defaults (reply to all active recipients). */
export async function staffPanelReply(ost: OsTicket, ticketId: string, html: string, login = { user: 'admin', password: 'Admin1234!' }): Promise<number> {
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
  const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const token = (page: string, pattern: RegExp) => page.match(pattern)?.[1] ?? '';
  const loginPage = await (await call(`${ost.url}/scp/login.php`)).text();
  await call(`${ost.url}/scp/login.php`, form({ __CSRFToken__: token(loginPage, /name="__CSRFToken__" value="([^"]+)"/), do: 'scplogin', userid: login.user, passwd: login.password }));
  const ticketPage = await (await call(`${ost.url}/scp/tickets.php?id=${ticketId}`)).text();
  const csrf = token(ticketPage, /name="csrf_token" content="([^"]+)"/);
  if (!csrf) throw new Error('staff login failed');
  const lock = (await (await call(`${ost.url}/scp/ajax.php/lock/ticket/${ticketId}`, { method: 'POST', headers: { 'X-CSRFToken': csrf, 'X-Requested-With': 'XMLHttpRequest' } })).json()) as { code?: string };
  const answer = await call(`${ost.url}/scp/tickets.php?id=${ticketId}`, form({
    __CSRFToken__: csrf, id: ticketId, a: 'reply', lockCode: lock.code ?? '', 'reply-to': 'all', emailreply: '1', response: html, signature: 'none', reply_status_id: '',
  }));
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

/** Sets one setting of every plugin instance, as if saved in the admin panel (plain text, as installPlugin stores them). */
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
