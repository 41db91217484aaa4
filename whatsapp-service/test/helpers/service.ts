import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createService, type Service, type TransportFactory, type Tuning } from '../../src/service.js';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.js';
import { initialState, type ConnectionStatus, type TransportHandlers } from '../../src/transport/transport.js';

export const SECRET = 'test-webhook-secret-0123456789';
export const API_KEY = 'test-api-key-0123456789abcdef';
export const FAST_BACKOFF = { baseMs: 20, maxMs: 200 };

export function testConfig(overrides: Record<string, string>): Config {
  const parsed = parseConfig(
    {
      PORT: '0', WEBHOOK_SECRET: SECRET, API_KEY, TRANSPORT: 'sandbox', SEND_INTERVAL_MS: '0', LOG_LEVEL: 'silent',
      WEBHOOK_TIMEOUT_MS: '2000', ...overrides,
    },
    process.cwd(),
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.config;
}

export interface RunningService {
  service: Service;
  url: string;
  dataDir: string;
  sandbox: SandboxTransport;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** The real service in this process, on a random loopback port, with its own data folder. */
export async function startService(
  env: Record<string, string>,
  options: { dataDir?: string; transport?: TransportFactory; tuning?: Tuning } = {},
): Promise<RunningService> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'wa-service-'));
  const config = testConfig({ DATA_DIR: dataDir, ...env });
  const sandbox = new SandboxTransport();
  const service = await createService(config, createLogger('silent'), options.transport ?? (() => sandbox), { backoff: FAST_BACKOFF, rescanMs: 100, ...options.tuning });
  const address = await service.start();
  // The hello at start decides the webhook's first state; tests begin from there.
  const deadline = Date.now() + 5_000;
  while (service.gateway.webhook.state === 'unconfirmed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    service,
    url: `http://127.0.0.1:${address.port}`,
    dataDir,
    sandbox,
    async stop({ keepData = false } = {}) {
      await service.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function api(url: string, init: RequestInit & { key?: string | null } = {}): Promise<{ status: number; body: any; text: string }> {
  const { key = API_KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set('X-API-Key', key);
  if (rest.body !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const response = await fetch(url, { ...rest, headers });
  const text = await response.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, text };
}

/** Plays the sandbox's WhatsApp connection changing state (logged out, reconnecting, ...), as the gateway hears it. */
export function playConnection(running: RunningService, status: ConnectionStatus, since = new Date().toISOString()): void {
  (running.sandbox as unknown as { handlers: TransportHandlers }).handlers.state({ ...initialState(status), since });
}

export function customerSays(url: string, phone: string, text: string, extra: Record<string, unknown> = {}) {
  return api(`${url}/sandbox/inbound`, { method: 'POST', body: JSON.stringify({ phone, name: 'Kunde', text, ...extra }) });
}
