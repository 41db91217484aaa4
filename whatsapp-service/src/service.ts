import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { Gateway } from './gateway.js';
import { createHttpServer } from './http/server.js';
import { forgetRoute } from './http/routes/forget.js';
import { healthRoute } from './http/routes/health.js';
import { logoutRoute } from './http/routes/logout.js';
import { pairRoute } from './http/routes/pair.js';
import { qrRoute } from './http/routes/qr.js';
import { sandboxRoutes } from './http/routes/sandbox.js';
import { sendRoute } from './http/routes/send.js';
import { statusRoute } from './http/routes/status.js';
import { transportWebhookRoutes } from './http/routes/transport-webhook.js';
import type { Logger } from './log.js';
import { startCheckpointer } from './store/checkpointer.js';
import { databaseFile, openDatabase, type Db } from './store/database.js';
import { EventStore } from './store/event-store.js';
import { lockFolder, type FolderLock } from './store/folder-lock.js';
import { claimFolder } from './store/folder-use.js';
import { OutboxStore } from './store/outbox-store.js';
import { ensureUsableFolder, FolderUnusableError, isStorageFailure } from './store/usable-folder.js';
import { UnreadableStore } from './store/unreadable-store.js';
import { MediaStore } from './media/media-store.js';
import { mediaRoute } from './http/routes/media.js';
import { SandboxTransport } from './transport/sandbox/sandbox-transport.js';
import type { Transport, TransportContext } from './transport/transport.js';
import type { BackoffPolicy } from './backoff.js';

/** Timings tests shorten; production uses the defaults. */
export interface Tuning {
  backoff?: BackoffPolicy;
  rescanMs?: number;
  probeMs?: number;
  unreadableWaitMs?: number;
  mediaBackoff?: BackoffPolicy;
  helloBackoff?: BackoffPolicy;
  mediaHoldMs?: number;
  headersTimeoutMs?: number;
}

export interface Service {
  gateway: Gateway;
  /** The address the HTTP API listens on. */
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

export type TransportFactory = (context: TransportContext) => Transport | Promise<Transport>;

/**
 * Wires store, gateway, transport and HTTP API; no logic of its own.
 * Throws FolderLockedError, before touching anything, when another process
 * holds DATA_DIR or AUTH_DIR, FolderUnusableError when one cannot be written,
 * and MixedUseError when DATA_DIR holds the sandbox's data and the transport is live (or the reverse).
 */
export async function createService(config: Config, log: Logger, makeTransport: TransportFactory, tuning: Tuning = {}): Promise<Service> {
  const folders: Array<[string, string]> = [[config.dataDir, 'DATA_DIR']];
  if (config.transport === 'baileys' && config.authDir !== config.dataDir) folders.push([config.authDir, 'AUTH_DIR']);
  const locks: FolderLock[] = [];
  let db: Db;
  try {
    for (const [folder, setting] of folders) ensureUsableFolder(folder, setting);
    for (const [folder] of folders) locks.push(lockFolder(folder));
    db = openDatabase(config.dataDir);
  } catch (error) {
    for (const lock of locks) lock.release();
    throw isStorageFailure(error) ? new FolderUnusableError(config.dataDir, 'DATA_DIR', error) : error;
  }
  try {
    claimFolder(db, config.transport, config.dataDir);
  } catch (error) {
    db.close();
    for (const lock of locks) lock.release();
    throw error;
  }
  const checkpointer = startCheckpointer(databaseFile(config.dataDir));
  const media = new MediaStore(db, config.dataDir);
  let gateway: Gateway | null = null;
  const transport = await makeTransport({ sentMessage: (id) => gateway?.sentMessage(id), mediaFile: (id) => gateway?.mediaFile(id) });
  gateway = new Gateway({
    db,
    events: new EventStore(db),
    outbox: new OutboxStore(db),
    unreadable: new UnreadableStore(db),
    media,
    mediaMaxBytes: config.mediaMaxBytes,
    transport,
    webhook: { url: config.webhookUrl, secret: config.webhookSecret, timeoutMs: config.webhookTimeoutMs },
    deliveryConcurrency: config.deliveryConcurrency,
    deliveryMaxAgeMs: config.deliveryMaxAgeMs,
    sendIntervalMs: config.sendIntervalMs,
    retentionDays: config.retentionDays,
    log,
    ...tuning,
  });

  const startedAt = Date.now();
  const routes = [
    healthRoute(gateway, transport, startedAt),
    statusRoute(gateway, transport),
    qrRoute(gateway, transport),
    pairRoute(transport, config.defaultCountryCode),
    logoutRoute(transport),
    mediaRoute(media),
    sendRoute(gateway, '/send', 'api-key', config.defaultCountryCode, config.mediaMaxBytes),
    sendRoute(gateway, '/send-secure', 'api-key-required', config.defaultCountryCode, config.mediaMaxBytes),
    forgetRoute(gateway, config.defaultCountryCode),
    ...(transport instanceof SandboxTransport ? sandboxRoutes(transport, config.defaultCountryCode, config.mediaMaxBytes, (id) => ready.storedMediaOf(id)) : []),
    ...(transport.webhook ? transportWebhookRoutes(transport.name, transport.webhook) : []),
  ];
  const server = createHttpServer({ routes, apiKey: config.apiKey, log: log.child({ component: 'http' }), headersTimeoutMs: tuning.headersTimeoutMs });
  const ready = gateway;

  return {
    gateway: ready,
    async start() {
      // Listen first: a port already taken stops us before WhatsApp is touched.
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      log.info({ host: address.address, port: address.port, transport: transport.name }, 'HTTP API listening');
      if (transport instanceof SandboxTransport) {
        const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
        log.info(`Sandbox: open http://${host}:${address.port}/sandbox in a browser and enter the API key (API_KEY in .env)`);
      }
      await ready.start();
      return address;
    },
    async stop() {
      // The transport first (in gateway.stop: WhatsApp's buffer flushed and stored), so that a slow request
      // (/pair, /media, an upload) cannot keep it from stopping before a supervisor's forced exit; the API
      // meanwhile still takes what is sent (it is stored for the next start).
      await ready.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client that keeps its connection busy (the sandbox page polling) does not hold the stop up.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
      // Then the stores close, then the folders are free.
      await checkpointer.stop();
      db.close();
      for (const lock of locks) lock.release();
    },
  };
}
