import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isPhoneChat } from '../../chat-id.js';

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
  /** The WhatsApp id of that template, to hear if WhatsApp refuses it later. */
  template_wamid: string | null;
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
        template_sent_at INTEGER, template_wamid TEXT
      );
      CREATE INDEX IF NOT EXISTS chats_by_template ON chats (template_wamid);
      CREATE INDEX IF NOT EXISTS chats_by_phone ON chats (phone);
      CREATE INDEX IF NOT EXISTS chats_by_bsuid ON chats (bsuid);
      CREATE TABLE IF NOT EXISTS addresses (address TEXT PRIMARY KEY, chat TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS seen_by_at ON seen (at);
      CREATE TABLE IF NOT EXISTS window_refusals (chat TEXT NOT NULL, wamid TEXT NOT NULL, PRIMARY KEY (chat, wamid));
      CREATE TABLE IF NOT EXISTS sent_parts (callback TEXT PRIMARY KEY, wamid TEXT NOT NULL, whole TEXT, refused INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS sent_parts_by_wamid ON sent_parts (wamid);
      CREATE TABLE IF NOT EXISTS orphans (id INTEGER PRIMARY KEY, wamid TEXT NOT NULL, callback TEXT, status TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS orphans_by_wamid ON orphans (wamid);
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
        `INSERT INTO chats (chat, phone, bsuid, template_sent_at, template_wamid) VALUES (@chat, @phone, @bsuid, @at, @wamid)
         ON CONFLICT (chat) DO UPDATE SET template_sent_at = @at, template_wamid = @wamid`,
      ),
      // Closed unless the customer wrote after `before` (a late 131047 must not shut a window they just opened).
      close: this.db.prepare(
        `INSERT INTO chats (chat, phone, bsuid, closed) VALUES (@chat, @phone, @bsuid, 1)
         ON CONFLICT (chat) DO UPDATE SET closed = 1 WHERE last_inbound_at <= @before`,
      ),
      byTemplate: this.db.prepare('SELECT * FROM chats WHERE template_wamid = ?'),
      byAddress: this.db.prepare('SELECT chat FROM addresses WHERE address = ?'),
      address: this.db.prepare('INSERT INTO addresses (address, chat) VALUES (?, ?) ON CONFLICT (address) DO NOTHING'),
      windowRefused: this.db.prepare('INSERT OR IGNORE INTO window_refusals (chat, wamid) VALUES (?, ?)'),
      refusals: this.db.prepare('SELECT COUNT(*) AS n FROM window_refusals WHERE chat = ?'),
      wroteAgain: this.db.prepare('DELETE FROM window_refusals WHERE chat = ?'),
      uninvite: this.db.prepare('UPDATE chats SET template_sent_at = NULL, template_wamid = NULL WHERE chat = ?'),
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
    // WhatsApp's own form of a number we sent to in another (Mexico's 521…, the wa_id of Meta's answer).
    const aliased = phone ? (this.statements.byAddress.get(phone) as { chat: string } | undefined) : undefined;
    if (aliased) return aliased.chat;
    const known = (bsuid && (this.statements.byBsuid.get(bsuid) as CloudChat | undefined)) || (phone && (this.statements.byPhone.get(phone) as CloudChat | undefined));
    if (known) return known.chat;
    return phone ?? (bsuid ? bsuidChat(bsuid) : null);
  }

  /** Where to send: the phone (`to`) or the business-scoped user id (`recipient`). */
  addressOf(chat: string): { to: string } | { recipient: string } {
    if (!chat.startsWith('bsuid:')) return { to: this.get(chat)?.phone ?? chat }; // a changed number: the new one
    return { recipient: this.get(chat)?.bsuid ?? chat.slice('bsuid:'.length) };
  }

  /** The customer wrote (at `at`, when they sent it): their window is open for 24 hours from then. */
  wrote(chat: string, phone: string | null, bsuid: string | null, at: number): void {
    this.db.transaction(() => {
      this.statements.upsert.run({ chat, phone, bsuid, at });
      this.statements.wroteAgain.run(chat);
    })();
  }

  /** Meta answered a send to `chat` with another form of the number (`contacts[].wa_id`): both are that chat from now on. */
  rememberAddress(chat: string, waId: string): void {
    if (waId !== chat) this.statements.address.run(waId, chat);
  }

  /** Whether a customer message with this id was taken already (remembered 8 days: Meta retries for 7). */
  seen(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM seen WHERE id = ?').get(id) !== undefined;
  }

  noteSeen(id: string, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)').run(id, now);
  }

  /** The customer of `chat` changed their number or user id: both now lead to this chat, and replies go to the new number. */
  changed(chat: string, phone: string | null, bsuid: string | null): void {
    this.db.transaction(() => {
      if (phone) {
        this.statements.address.run(phone, chat);
        this.db.prepare('UPDATE chats SET phone = ? WHERE chat = ?').run(phone, chat);
      }
      if (bsuid) this.db.prepare('UPDATE chats SET bsuid = ? WHERE chat = ?').run(bsuid, chat);
    })();
  }

  /** The earlier parts of a reply sent in parts are known by its last part's id. */
  rememberParts(wamids: string[], whole: string): void {
    this.db.transaction(() => {
      for (const wamid of wamids) this.db.prepare('UPDATE sent_parts SET whole = ? WHERE wamid = ?').run(whole, wamid);
    })();
  }

  /** The reply a part belongs to (its last part's id), or undefined. */
  wholeOf(wamid: string): string | undefined {
    return (this.db.prepare('SELECT whole FROM sent_parts WHERE wamid = ? AND whole IS NOT NULL').get(wamid) as { whole: string } | undefined)?.whole;
  }

  /** WhatsApp refused a message (`wamid`) to the chat for the window (131047); the same status delivered again counts once. */
  windowRefused(chat: string, wamid: string): void {
    this.statements.windowRefused.run(chat, wamid);
  }

  /** How many messages WhatsApp refused for the window in this chat since the customer last wrote. */
  windowRefusals(chat: string): number {
    return (this.statements.refusals.get(chat) as { n: number }).n;
  }

  /** The message id Meta gave a part (or a whole reply) we sent under `callback`, unless WhatsApp refused it since. */
  partSent(callback: string): string | undefined {
    return (this.db.prepare('SELECT wamid FROM sent_parts WHERE callback = ? AND refused = 0').get(callback) as { wamid: string } | undefined)?.wamid;
  }

  notePart(callback: string, wamid: string, now: number): void {
    this.db.prepare('INSERT OR REPLACE INTO sent_parts (callback, wamid, at) VALUES (?, ?, ?)').run(callback, wamid, now);
  }

  /** WhatsApp refused what it had taken: sent again, it goes again. */
  partRefused(wamid: string): void {
    this.db.prepare('UPDATE sent_parts SET refused = 1 WHERE wamid = ?').run(wamid);
  }

  /**
   * A status for a message id nobody knows yet, kept (a day, see purge): Meta may send it before the send's answer, and
   * failed statuses carry no `biz_opaque_callback_data`. Handled when the send's answer names the id.
   */
  keepOrphan(status: { id: string; status: string; callback: string | null }, now: number): void {
    this.db.prepare('INSERT INTO orphans (wamid, callback, status, body, at) VALUES (?, ?, ?, ?, ?)').run(status.id, status.callback, status.status, JSON.stringify(status), now);
  }

  /** The kept statuses of a message id, oldest first, forgotten as they are handed out. */
  takeOrphans<T>(wamid: string): T[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare('SELECT body FROM orphans WHERE wamid = ? ORDER BY id').all(wamid) as Array<{ body: string }>;
      this.db.prepare('DELETE FROM orphans WHERE wamid = ?').run(wamid);
      return rows.map((row) => JSON.parse(row.body) as T);
    })();
  }

  /** The message id of a kept status that says Meta took what we sent under `callback` (its answer was lost). */
  takenUnder(callback: string): string | undefined {
    return (this.db.prepare("SELECT wamid FROM orphans WHERE callback = ? AND status <> 'failed' ORDER BY id LIMIT 1").get(callback) as { wamid: string } | undefined)?.wamid;
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

  /** WhatsApp says the window is closed (131047) for what was sent at `before`, unless the customer wrote since. */
  closeWindow(chat: string, before: number): void {
    this.statements.close.run({ ...identity(chat), before });
  }

  /** Whether the customer was invited by template since they last wrote, within the last 24 hours (else: again). */
  invitedSinceLastMessage(chat: string, now: number): boolean {
    const known = this.get(chat);
    return known?.template_sent_at != null && known.template_sent_at >= known.last_inbound_at && now - known.template_sent_at < WINDOW_MS;
  }

  invited(chat: string, wamid: string, now: number): void {
    this.statements.invite.run({ ...identity(chat), at: now, wamid });
  }

  /** Whether a message id is one of our invitation templates. */
  isTemplate(wamid: string): boolean {
    return this.statements.byTemplate.get(wamid) !== undefined;
  }

  /** WhatsApp refused a template it had taken: the chat it invited, which counts as not invited. */
  templateRefused(wamid: string): CloudChat | undefined {
    const chat = this.statements.byTemplate.get(wamid) as CloudChat | undefined;
    if (chat) this.statements.uninvite.run(chat.chat);
    return chat;
  }

  forget(chat: string): void {
    this.db.transaction(() => {
      this.statements.forget.run(chat);
      this.db.prepare('DELETE FROM addresses WHERE chat = ?').run(chat);
      this.statements.wroteAgain.run(chat);
    })();
  }

  /** Keeps a notification for another number (purged after RETENTION_DAYS, like everything else). */
  keepForeign(phoneNumberId: string, display: string, body: unknown, now: number): void {
    this.statements.keepForeign.run(phoneNumberId, display, JSON.stringify(body), now);
  }

  /**
   * Forgets what has served its time: notifications for other numbers after RETENTION_DAYS, message ids after
   * 8 days (Meta retries for 7), the parts we sent after 30 days (their statuses come within days), statuses
   * nobody claimed after a day.
   */
  purge(now: number, retentionMs: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM foreign_notifications WHERE received_at < ?').run(now - retentionMs);
      this.db.prepare('DELETE FROM seen WHERE at < ?').run(now - 8 * 86_400_000);
      this.db.prepare('DELETE FROM sent_parts WHERE at < ?').run(now - 30 * 86_400_000);
      this.db.prepare('DELETE FROM orphans WHERE at < ?').run(now - 86_400_000);
    })();
  }

  foreign(): Array<{ phone_number_id: string; display: string; count: number; last: number }> {
    return this.statements.foreign.all() as Array<{ phone_number_id: string; display: string; count: number; last: number }>;
  }

  close(): void {
    this.db.close();
  }
}

/** A BSUID chat id that fits the plugin's 64-character columns: long BSUIDs are shortened by hash (the store keeps the whole one). */
function bsuidChat(bsuid: string): string {
  return bsuid.length <= 58 ? `bsuid:${bsuid}` : `bsuid:${bsuid.slice(0, 3)}${createHash('sha256').update(bsuid).digest('hex').slice(0, 40)}`;
}

function identity(chat: string): { chat: string; phone: string | null; bsuid: string | null } {
  return { chat, phone: isPhoneChat(chat) ? chat : null, bsuid: null };
}
