import type { Db } from './database.js';
import type { InboundMessage } from '../transport/transport.js';

/**
 * Messages WhatsApp could not decrypt. The real message often follows under
 * the same id after a retry request; only if it does not is the customer's
 * ticket told that something could not be read.
 */
export class UnreadableStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      hold: db.prepare('INSERT INTO unreadable (whatsapp_id, chat, message, due_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      forget: db.prepare('DELETE FROM unreadable WHERE whatsapp_id = ?'),
      due: db.prepare('SELECT message FROM unreadable WHERE due_at <= ? ORDER BY due_at LIMIT 100'),
      forgetChat: db.prepare('DELETE FROM unreadable WHERE chat = ?'),
    };
  }

  /** Forgets everything held for a chat; returns how many. */
  forgetChat(chat: string): number {
    return this.statements.forgetChat.run(chat).changes;
  }

  hold(message: InboundMessage, dueAt: number): void {
    this.statements.hold.run(message.id, message.chat, JSON.stringify(message), dueAt);
  }

  /** The real message arrived (or the notice was queued). */
  forget(whatsappId: string): void {
    this.statements.forget.run(whatsappId);
  }

  due(now: number): InboundMessage[] {
    return (this.statements.due.all(now) as Array<{ message: string }>).map((row) => JSON.parse(row.message) as InboundMessage);
  }
}
