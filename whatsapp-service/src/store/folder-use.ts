import type { Db } from './database.js';

/** The sandbox and a live WhatsApp number would share DATA_DIR: a fact for the operator, not a crash. */
export class MixedUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MixedUseError';
  }
}

/** The tables that hold messages (files: the media table and its folder). */
export const MESSAGE_TABLES = ['events', 'outbox', 'unreadable', 'late_files'] as const;

/** A folder a version before this record used for a live number (it holds messages, none of them the sandbox's). */
export const EARLIER_LIVE = 'live';

const isSandbox = (transport: string) => transport === 'sandbox';
const named = (transport: string) => (transport === EARLIER_LIVE ? 'an earlier version with a live number' : `TRANSPORT=${transport}`);

/**
 * Records which transport uses this DATA_DIR. A folder that holds the sandbox's
 * messages is never used for a live number (its queued replies would go to real
 * people, its pending messages into osTicket) and a live folder never for the
 * sandbox (real customers' replies would end in it): the service refuses to start
 * until the sandbox's data is cleared (`npm run reset-sandbox`) or the folders differ.
 */
export function claimFolder(db: Db, transport: string, dataDir: string): void {
  const last = lastTransport(db);
  if (last !== null && isSandbox(last) !== isSandbox(transport) && holdsMessages(db)) {
    throw new MixedUseError(isSandbox(last)
      ? `DATA_DIR ${dataDir} holds the sandbox's messages and replies, which must not reach real customers with TRANSPORT=${transport}: run \`npm run reset-sandbox\` to delete them, or set another DATA_DIR`
      : `DATA_DIR ${dataDir} holds the messages of the live WhatsApp number (${named(last)}): give the sandbox a DATA_DIR of its own, e.g. DATA_DIR=./data-sandbox`);
  }
  db.prepare(`INSERT INTO meta (key, value) VALUES ('transport', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(transport);
}

/**
 * The transport that last used this folder, or null when it holds nothing. A folder from
 * before the record is judged by its messages: the sandbox's carry its marks
 * (`SANDBOX…` ids, `sandbox:` files); any other is a live number's.
 */
export function lastTransport(db: Db): string | null {
  const recorded = (db.prepare(`SELECT value FROM meta WHERE key = 'transport'`).get() as { value: string } | undefined)?.value;
  if (recorded !== undefined) return recorded;
  if (!holdsMessages(db)) return null;
  const sandbox = db.prepare(`SELECT 1 FROM events WHERE media_source LIKE 'sandbox:%' OR payload LIKE '%"id":"SANDBOX%' LIMIT 1`).get() !== undefined;
  return sandbox ? 'sandbox' : EARLIER_LIVE;
}

function holdsMessages(db: Db): boolean {
  return [...MESSAGE_TABLES, 'media'].some((table) => db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined);
}
