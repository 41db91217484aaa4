import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';
import type { Tuning } from '../../../src/service.js';
import { createBaileysTransport } from '../../../src/transport/baileys/index.js';
import { api, startService, type RunningService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/receiver.js';
import { socketFactory, type FakeSocket } from './fake-socket.js';

export interface Harness {
  running: RunningService;
  sockets: FakeSocket[];
  socket(): FakeSocket;
  logs: string[];
  authDir: string;
  close(keepData?: boolean): Promise<void>;
}

/** The real service with the Baileys adapter on fake sockets (Baileys' own event buffer), logging to `logs`. */
export async function startHarness(
  webhookUrl: string,
  options: { authDir?: string; dataDir?: string; sendTimeoutMs?: number; reuploadTimeoutMs?: number; tuning?: Tuning; env?: Record<string, string> } = {},
): Promise<Harness> {
  const authDir = options.authDir ?? mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const { sockets, factory } = socketFactory();
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _encoding, done) { logs.push(String(chunk)); done(); } });
  const running = await startService(
    { WEBHOOK_URL: webhookUrl, ...options.env },
    {
      transport: (context) =>
        createBaileysTransport({
          authDir, logger: createLogger('debug', sink), context, printQrInTerminal: false, socketFactory: factory,
          reconnectBackoff: { baseMs: 20, maxMs: 40 }, sendTimeoutMs: options.sendTimeoutMs, reuploadTimeoutMs: options.reuploadTimeoutMs,
        }),
      tuning: options.tuning,
      dataDir: options.dataDir,
    },
  );
  return {
    running, sockets, logs, authDir,
    socket: () => sockets[sockets.length - 1]!,
    close: (keepData = false) => running.stop({ keepData }),
  };
}

/** Until the service says WhatsApp is connected (after the test opened the socket). */
export async function untilConnected(h: Harness, what = 'connected'): Promise<void> {
  await waitFor(async () => (await api(`${h.running.url}/status`)).body.connection === 'connected', what);
}

/** A harness whose first socket is open (linked and connected). */
export async function connectedHarness(webhookUrl: string, options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  const h = await startHarness(webhookUrl, options);
  h.socket().open();
  await untilConnected(h);
  return h;
}
