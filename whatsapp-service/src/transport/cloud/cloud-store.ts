import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const FILE = 'cloud.sqlite';
/** WhatsApp's customer-service window: free-form messages only this long after the customer's last message. */
export const WINDOW_MS = 24 * 3_600_000;

export interface CloudChat {
  chat: string;
  phone: string | null;
  bsuid: string | null;
  /** When the customer last wrote (ms); 0: never (only invited). */
  last_inbound_at: number;
  /** 1 once WhatsApp said the window is closed (131047), until the customer writes. */
  closed: number;
  /** When the invitation template was last sent (ms), or null. */
  template_sent_at: number | null;
}

/**
 * What the Cloud transport keeps for itself, in DATA_DIR/cloud.sqlite (0600):
 * who each chat is (phone and business-scoped user id, so one customer keeps
 * one chat id whichever appears first), when they last wrote (the 24-hour
 * window), when they were last invited by template, and notifications for
 * numbers this gateway does not serve.
 */
export class CloudStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, FILE);
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS chats (
        chat TEXT PRIMARY KEY, phone TEXT, bsuid TEXT, last_inbound_at INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,
        template_sent_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS chats_by_phone ON chats (phone);
      CREATE INDEX IF NOT EXISTS chats_by_bsuid ON chats (bsuid);
      CREATE TABLE IF NOT EXISTS foreign_notifications (
        id INTEGER PRIMARY KEY, phone_number_id TEXT NOT NULL, display TEXT NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL
      );
    `);
    this.statements = {
      byChat: this.db.prepare('SELECT * FROM chats WHERE chat = ?'),
      byPhone: this.db.prepare('SELECT * FROM chats WHERE phone = ? ORDER BY last_inbound_at DESC LIMIT 1'),
      byBsuid: this.db.prepare('SELECT * FROM chats WHERE bsuid = ? ORDER BY last_inbound_at DESC LIMIT 1'),
      upsert: this.db.prepare(
        `INSERT INTO chats (chat, phone, bsuid, last_inbound_at) VALUES (@chat, @phone, @bsuid, @at)
         ON CONFLICT (chat) DO UPDATE SET phone = COALESCE(@phone, phone), bsuid = COALESCE(@bsuid, bsuid),
           last_inbound_at = MAX(last_inbound_at, @at), closed = 0`,
      ),
      invite: this.db.prepare(
        `INSERT INTO chats (chat, phone, bsuid, template_sent_at) VALUES (@chat, @phone, @bsuid, @at)
         ON CONFLICT (chat) DO UPDATE SET template_sent_at = @at`,
      ),
      close: this.db.prepare('UPDATE chats SET closed = 1 WHERE chat = ?'),
      forget: this.db.prepare('DELETE FROM chats WHERE chat = ?'),
      keepForeign: this.db.prepare('INSERT INTO foreign_notifications (phone_number_id, display, body, received_at) VALUES (?, ?, ?, ?)'),
      foreign: this.db.prepare(
        'SELECT phone_number_id, display, COUNT(*) AS count, MAX(received_at) AS last FROM foreign_notifications GROUP BY phone_number_id, display',
      ),
    };
  }

  /**
   * The chat id of a customer: the one already known for their BSUID or phone, else their phone,
   * else `bsuid:<id>`. A customer first known by BSUID keeps that chat when the phone appears.
   */
  chatOf(phone: string | null, bsuid: string | null): string | null {
    const known = (bsuid && (this.statements.byBsuid.get(bsuid) as CloudChat | undefined)) || (phone && (this.statements.byPhone.get(phone) as CloudChat | undefined));
    if (known) return known.chat;
    return phone ?? (bsuid ? `bsuid:${bsuid}` : null);
  }

  /** The customer wrote (at `at`): their window is open for 24 hours. */
  wrote(chat: string, phone: string | null, bsuid: string | null, at: number): void {
    this.statements.upsert.run({ chat, phone, bsuid, at });
  }

  get(chat: string): CloudChat | undefined {
    return this.statements.byChat.get(chat) as CloudChat | undefined;
  }

  /**
   * Whether a free-form message may go to the chat now, as far as we know: a chat we never saw
   * (a number moved here from Baileys, a customer who wrote elsewhere) is tried, and WhatsApp says.
   */
  windowOpen(chat: string, now: number): boolean {
    const known = this.get(chat);
    if (!known || (known.last_inbound_at === 0 && known.closed === 0)) return true;
    return known.closed === 0 && now - known.last_inbound_at < WINDOW_MS;
  }

  /** WhatsApp says the window is closed (131047), whatever we thought. */
  closeWindow(chat: string): void {
    this.statements.close.run(chat);
  }

  /** Whether the customer was invited by template since they last wrote. */
  invitedSinceLastMessage(chat: string): boolean {
    const known = this.get(chat);
    return known?.template_sent_at != null && known.template_sent_at >= known.last_inbound_at;
  }

  invited(chat: string, now: number): void {
    this.statements.invite.run({ chat, phone: /^\d+$/.test(chat) ? chat : null, bsuid: chat.startsWith('bsuid:') ? chat.slice(6) : null, at: now });
  }

  forget(chat: string): void {
    this.statements.forget.run(chat);
  }

  keepForeign(phoneNumberId: string, display: string, body: unknown, now: number): void {
    this.statements.keepForeign.run(phoneNumberId, display, JSON.stringify(body), now);
  }

  foreign(): Array<{ phone_number_id: string; display: string; count: number; last: number }> {
    return this.statements.foreign.all() as Array<{ phone_number_id: string; display: string; count: number; last: number }>;
  }

  close(): void {
    this.db.close();
  }
}
