import { messageSeconds, type BaileysMessage } from './normalize.js';

/**
 * Of a history sync (rc14's `messaging-history.set`, sent to a newly linked device), the customers'
 * messages that may be new to the service: not ours, sent at or after `cutoff` (seconds; see
 * SessionStore.historyCutoff) and at or after `notBefore` (seconds; DELIVERY_MAX_AGE_HOURS), each id
 * once, oldest first. What the service has already is skipped by id when stored.
 */
export function missedWhileUnlinked(messages: readonly BaileysMessage[], cutoff: number, notBefore: number): BaileysMessage[] {
  const seen = new Set<string>();
  return messages
    .filter((message) => {
      const id = message.key.id;
      const at = messageSeconds(message.messageTimestamp);
      if (!id || message.key.fromMe || at === null || at < cutoff || at < notBefore || seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => messageSeconds(a.messageTimestamp)! - messageSeconds(b.messageTimestamp)!);
}
