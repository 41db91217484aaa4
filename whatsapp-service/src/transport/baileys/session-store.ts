import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { jidUser } from './contacts.js';
import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataTypeMap } from 'baileys';

const FILE = 'session.sqlite';

/**
 * The linked device's credentials and Signal keys, and what we learned about
 * contacts, in one SQLite file inside AUTH_DIR (folder 0700, file 0600).
 * Every write is a transaction, so a crash never leaves half a key set.
 */
export class SessionStore {
  private readonly db: Database.Database;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const file = path.join(dir, FILE);
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL'); // keys are few and precious: survive power loss too
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS auth (category TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (category, id));
      CREATE TABLE IF NOT EXISTS contacts (lid TEXT PRIMARY KEY, phone TEXT, chat TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  /** Baileys' auth state, backed by this store. */
  authState(): { state: AuthenticationState; saveCreds: () => void } {
    const creds: AuthenticationCreds = this.read('creds', 'creds') ?? initAuthCreds();
    const keys = {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const found: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const value = this.read<SignalDataTypeMap[T]>(type, id);
          if (value === undefined) continue;
          // Baileys expects this one as a protobuf object, not plain JSON.
          found[id] = type === 'app-state-sync-key' ? (proto.Message.AppStateSyncKeyData.fromObject(value as object) as unknown as SignalDataTypeMap[T]) : value;
        }
        return found;
      },
      set: async (data: { [T in keyof SignalDataTypeMap]?: { [id: string]: SignalDataTypeMap[T] | null } }) => {
        this.db.transaction(() => {
          for (const [category, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) this.remove(category, id);
              else this.write(category, id, value);
            }
          }
        })();
      },
    };
    return { state: { creds, keys }, saveCreds: () => this.write('creds', 'creds', creds) };
  }

  /**
   * Whether a phone is linked: rc14 logs in with `creds.me` and registers anew without it
   * (Socket/socket.js:320-325). `creds.registered` is no sign: rc14 sets it only for a link
   * by pairing code (Socket/messages-recv.js:940), never for a scanned QR code.
   */
  isLinked(): boolean {
    return typeof this.read<AuthenticationCreds>('creds', 'creds')?.me?.id === 'string';
  }

  /** The chat id a LID contact was first delivered under, and its phone if known. */
  contact(lid: string): { phone: string | null; chat: string } | undefined {
    return this.db.prepare('SELECT phone, chat FROM contacts WHERE lid = ?').get(lid) as { phone: string | null; chat: string } | undefined;
  }

  /** The LID of a contact known by phone, if WhatsApp ever told us (one per phone: see rememberContact). */
  lidForPhone(phone: string): string | undefined {
    return (this.db.prepare('SELECT lid FROM contacts WHERE phone = ? ORDER BY rowid DESC LIMIT 1').get(phone) as { lid: string } | undefined)?.lid;
  }

  /**
   * Remembers a LID contact; the chat id never changes once set, the phone may be learned
   * later. A phone belongs to one LID: one that moved on (a recycled number) is let go of.
   */
  rememberContact(lid: string, phone: string | null, chat: string): void {
    this.db.transaction(() => {
      if (phone !== null) this.db.prepare('UPDATE contacts SET phone = NULL WHERE phone = ? AND lid <> ?').run(phone, lid);
      this.db
        .prepare(`INSERT INTO contacts (lid, phone, chat) VALUES (?, ?, ?) ON CONFLICT (lid) DO UPDATE SET phone = COALESCE(excluded.phone, contacts.phone)`)
        .run(lid, phone, chat);
    })();
  }

  /** Forgets a customer: their LID contacts, by chat id or phone (an erasure). */
  forgetContact(chat: string): void {
    this.db.prepare('DELETE FROM contacts WHERE chat = ? OR phone = ?').run(chat, chat);
  }

  /** Notes when a customer message handed to the service was sent (seconds): the newest is where a relink's history import starts. */
  noteMessageAt(seconds: number): void {
    this.db
      .prepare("INSERT INTO marks (name, value) VALUES ('last_message_at', ?) ON CONFLICT (name) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))")
      .run(seconds);
  }

  /**
   * From when (seconds) a history sync's messages are new to the service: fixed when a link opens, for every
   * chunk of that link. The same number linked again after a logout: from its newest message stored before
   * (or the logout); a first link, or another number: from the link itself (messages since then that rc14
   * folded into the history it still held). `account` is the linked number (creds.me).
   */
  historyCutoff(account: string, nowSeconds: number): number {
    return this.db.transaction(() => {
      if (this.mark('linked_account') === account) return Number(this.mark('history_cutoff') ?? nowSeconds);
      const sameNumber = this.mark('unlinked_account') === account;
      const cutoff = sameNumber ? Number(this.mark('unlinked_last_message') ?? this.mark('unlinked_at') ?? nowSeconds) : nowSeconds;
      this.setMark('linked_account', account);
      this.setMark('history_cutoff', String(cutoff));
      return cutoff;
    })();
  }

  hasCredentials(): boolean {
    return this.db.prepare('SELECT 1 FROM auth LIMIT 1').get() !== undefined;
  }

  /** Forgets the linked device (contacts stay: they keep tickets together after re-linking); notes where a relink's history import starts. */
  clearCredentials(): void {
    const account = this.read<AuthenticationCreds>('creds', 'creds')?.me?.id;
    this.db.transaction(() => {
      if (account) {
        this.setMark('unlinked_account', jidUser(account));
        this.setMark('unlinked_at', String(Math.floor(Date.now() / 1000)));
        const last = this.mark('last_message_at');
        if (last === undefined) this.db.prepare("DELETE FROM marks WHERE name = 'unlinked_last_message'").run();
        else this.setMark('unlinked_last_message', last);
      }
      this.db.prepare("DELETE FROM marks WHERE name IN ('linked_account', 'history_cutoff')").run();
      this.db.prepare('DELETE FROM auth').run();
    })();
  }

  private mark(name: string): string | undefined {
    return (this.db.prepare('SELECT value FROM marks WHERE name = ?').get(name) as { value: string } | undefined)?.value;
  }

  private setMark(name: string, value: string): void {
    this.db.prepare('INSERT INTO marks (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  }

  close(): void {
    this.db.close();
  }

  private read<T>(category: string, id: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM auth WHERE category = ? AND id = ?').get(category, id) as { value: string } | undefined;
    return row ? (JSON.parse(row.value, BufferJSON.reviver) as T) : undefined;
  }

  private write(category: string, id: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO auth (category, id, value) VALUES (?, ?, ?) ON CONFLICT (category, id) DO UPDATE SET value = excluded.value')
      .run(category, id, JSON.stringify(value, BufferJSON.replacer));
  }

  private remove(category: string, id: string): void {
    this.db.prepare('DELETE FROM auth WHERE category = ? AND id = ?').run(category, id);
  }
}

/**
 * `npm run unlink` without a running service: forgets the linked device's credentials and keys;
 * the contacts stay (they keep a customer known by LID on the same tickets after relinking).
 * Returns false when no device was stored.
 */
export function forgetDevice(dir: string): boolean {
  if (!existsSync(path.join(dir, FILE))) return false;
  const store = new SessionStore(dir);
  try {
    const linked = store.hasCredentials();
    store.clearCredentials();
    return linked;
  } finally {
    store.close();
  }
}
