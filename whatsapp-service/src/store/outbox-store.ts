import type { DeliveryState } from '../transport/transport.js';
import type { Db } from './database.js';

export type OutboxState = 'queued' | DeliveryState;

export interface OutboxRow {
  id: number;
  idempotency_key: string;
  chat: string;
  body: string;
  state: OutboxState;
  whatsapp_id: string | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** A file to send (MediaStore id), with `body` as its caption. */
  media_id: string | null;
  /** 1 while the message waits for the customer to write (it may not go now); it goes when they do. */
  held: number;
  /** The ticket number the message belongs to, when the plugin said. */
  ticket: string | null;
  /** The message as the transport sent it (SendResult.sent), for WhatsApp's retry requests. */
  sent_message: Uint8Array | null;
}

export interface NewOutboxMessage {
  key: string;
  chat: string;
  text: string;
  mediaId?: string | null;
  ticket?: string | null;
}

/** Attempts after which a file that keeps failing stops holding its chat's later messages back. */
export const MEDIA_ATTEMPTS_IN_ORDER = 2;

/** Order in which a message's state may only move forward. */
const RANK: Record<OutboxState, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** Messages to send to WhatsApp, and what became of them. */
export class OutboxStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO outbox (idempotency_key, chat, body, media_id, ticket, next_attempt_at, created_at, updated_at)
         VALUES (@key, @chat, @text, @mediaId, @ticket, @now, @now, @now)
         ON CONFLICT (idempotency_key) DO NOTHING`,
      ),
      byKey: db.prepare('SELECT * FROM outbox WHERE idempotency_key = ?'),
      byId: db.prepare('SELECT * FROM outbox WHERE id = ?'),
      byWhatsappId: db.prepare('SELECT * FROM outbox WHERE whatsapp_id = ?'),
      // The oldest due message whose chat has no older message still queued: keeps each chat in order.
      // A file that failed twice no longer holds the chat's later messages back (it is retried on its own).
      nextDue: db.prepare(
        `SELECT * FROM outbox o WHERE o.state = 'queued' AND o.held = 0 AND o.next_attempt_at <= ?
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat = o.chat AND p.state = 'queued' AND p.id < o.id
                           AND (p.media_id IS NULL OR p.attempts < ${MEDIA_ATTEMPTS_IN_ORDER}))
         ORDER BY o.id LIMIT 1`,
      ),
      queuedBefore: db.prepare(`SELECT * FROM outbox WHERE state = 'queued' AND created_at < ? ORDER BY id LIMIT 100`),
      nextAttemptAt: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'queued' AND held = 0`),
      hold: db.prepare(`UPDATE outbox SET held = 1, last_error = ?, updated_at = ? WHERE id = ? AND state = 'queued' AND held = 0`),
      release: db.prepare(`UPDATE outbox SET held = 0, next_attempt_at = ?, updated_at = ? WHERE chat = ? AND held = 1 AND state = 'queued'`),
      requeue: db.prepare(`UPDATE outbox SET state = 'queued', whatsapp_id = NULL, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND state IN ('sent', 'delivered')`),
      claimId: db.prepare(`UPDATE outbox SET whatsapp_id = ? WHERE id = ? AND whatsapp_id IS NULL`),
      heldCount: db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued' AND held = 1`),
      heldOf: db.prepare(`SELECT * FROM outbox WHERE chat = ? AND state = 'queued' AND held = 1 ORDER BY id`),
      sent: db.prepare(`UPDATE outbox SET state = 'sent', whatsapp_id = ?, sent_message = ?, attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ? AND state = 'queued'`),
      retry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'queued'`),
      setState: db.prepare('UPDATE outbox SET state = ?, last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?'),
      note: db.prepare('UPDATE outbox SET last_error = ?, updated_at = ? WHERE id = ?'),
      counts: db.prepare('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state'),
      purge: db.prepare(`DELETE FROM outbox WHERE state <> 'queued' AND updated_at < ?`),
      ofChat: db.prepare('SELECT id, media_id FROM outbox WHERE chat = ?'),
      finishedBefore: db.prepare(`SELECT id, media_id FROM outbox WHERE state <> 'queued' AND updated_at < ?`),
      delete: db.prepare('DELETE FROM outbox WHERE id = ?'),
    };
  }

  /**
   * Forgets messages — queued ones are then never sent: all of a chat, those with some
   * idempotency keys, and finished ones before a time. Returns their ids and media ids.
   */
  forget(what: { chat?: string; keys?: string[]; finishedBefore?: number }): { ids: number[]; mediaIds: string[] } {
    const rows: Array<{ id: number; media_id: string | null }> = [];
    if (what.chat !== undefined) rows.push(...(this.statements.ofChat.all(what.chat) as typeof rows));
    for (const key of what.keys ?? []) {
      const row = this.byKey(key);
      if (row) rows.push(row);
    }
    if (what.finishedBefore !== undefined) rows.push(...(this.statements.finishedBefore.all(what.finishedBefore) as typeof rows));
    const unique = new Map(rows.map((row) => [row.id, row]));
    this.db.transaction(() => {
      for (const id of unique.keys()) this.statements.delete.run(id);
    })();
    return { ids: [...unique.keys()], mediaIds: [...unique.values()].flatMap((row) => (row.media_id ? [row.media_id] : [])) };
  }

  /** Queues a message once per key. `created` is false when the key was known. */
  enqueue(message: NewOutboxMessage, now: number): { row: OutboxRow; created: boolean } {
    const created = this.statements.insert.run({ mediaId: null, ticket: null, ...message, now }).changes === 1;
    return { row: this.statements.byKey.get(message.key) as OutboxRow, created };
  }

  byKey(key: string): OutboxRow | undefined {
    return this.statements.byKey.get(key) as OutboxRow | undefined;
  }

  get(id: number): OutboxRow | undefined {
    return this.statements.byId.get(id) as OutboxRow | undefined;
  }

  byWhatsappId(whatsappId: string): OutboxRow | undefined {
    return this.statements.byWhatsappId.get(whatsappId) as OutboxRow | undefined;
  }

  nextDue(now: number): OutboxRow | undefined {
    return this.statements.nextDue.get(now) as OutboxRow | undefined;
  }

  /** Queued messages created before `before`: too old to be sent any more. */
  queuedBefore(before: number): OutboxRow[] {
    return this.statements.queuedBefore.all(before) as OutboxRow[];
  }

  /** When the earliest queued message becomes due, or null if none is queued. */
  nextAttemptAt(): number | null {
    return (this.statements.nextAttemptAt.get() as { at: number | null }).at;
  }

  markSent(id: number, whatsappId: string, now: number, sentMessage: Uint8Array | null = null): boolean {
    return this.statements.sent.run(whatsappId, sentMessage, now, id).changes === 1;
  }

  /** The message may not go now: it waits until the customer writes (release). False if it was not queued. */
  hold(id: number, reason: string, now: number): boolean {
    return this.statements.hold.run(reason, now, id).changes === 1;
  }

  /** The customer wrote: the chat's held messages may go now, in order. Returns how many. */
  release(chat: string, now: number): number {
    return this.statements.release.run(now, now, chat).changes;
  }

  /** WhatsApp took a message and then refused it for now: it is queued again (to be held), due at `dueAt`. */
  requeue(id: number, reason: string, now: number, dueAt = now): boolean {
    return this.statements.requeue.run(dueAt, reason, now, id).changes === 1;
  }

  /**
   * Records the id a message is about to be sent under, before it goes: a receipt or a retry request for it
   * (after a stalled send that did go out) then finds its row, whatever became of the attempt.
   */
  claimId(id: number, whatsappId: string): void {
    this.statements.claimId.run(whatsappId, id);
  }

  /** The chat's messages waiting for the customer, oldest first. */
  heldOf(chat: string): OutboxRow[] {
    return this.statements.heldOf.all(chat) as OutboxRow[];
  }

  heldCount(): number {
    return (this.statements.heldCount.get() as { n: number }).n;
  }

  markRetry(id: number, nextAttemptAt: number, error: string, now: number): void {
    this.statements.retry.run(nextAttemptAt, error, now, id);
  }

  /** Moves a message forward (never back); returns false if that would not be progress. */
  advance(id: number, state: OutboxState, error: string | null, now: number): boolean {
    const row = this.get(id);
    if (!row || row.state === 'failed' || RANK[state] <= RANK[row.state]) return false;
    this.statements.setState.run(state, error, now, id);
    return true;
  }

  /** Notes something about a message without moving it (e.g. how it was sent again). */
  note(id: number, note: string, now: number): void {
    this.statements.note.run(note, now, id);
  }

  counts(): Record<OutboxState, number> {
    const counts: Record<OutboxState, number> = { queued: 0, sent: 0, delivered: 0, read: 0, failed: 0 };
    for (const row of this.statements.counts.all() as Array<{ state: OutboxState; n: number }>) counts[row.state] = row.n;
    return counts;
  }

  purgeFinished(before: number): number {
    return this.statements.purge.run(before).changes;
  }
}
