import { messageSeconds, type BaileysMessage } from './normalize.js';

/**
 * Of a history sync (rc14's `messaging-history.set`, sent to a newly linked device), the customers'
 * messages this number missed while it was unlinked: not ours, newer than the newest message the
 * service stored (`lastStoredAt`, seconds), sent at or after `notBefore` (seconds; DELIVERY_MAX_AGE_HOURS),
 * each id once, oldest first. Nothing when nothing was ever stored: on a first link the history is
 * old chats, never tickets.
 */
export function missedWhileUnlinked(messages: readonly BaileysMessage[], lastStoredAt: number | null, notBefore: number): BaileysMessage[] {
  if (lastStoredAt === null) return [];
  const seen = new Set<string>();
  return messages
    .filter((message) => {
      const id = message.key.id;
      const at = messageSeconds(message.messageTimestamp);
      if (!id || message.key.fromMe || at === null || at <= lastStoredAt || at < notBefore || seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => messageSeconds(a.messageTimestamp)! - messageSeconds(b.messageTimestamp)!);
}
