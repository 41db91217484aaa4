import type { DeliveryState, Receipt } from '../transport.js';

/**
 * proto.WebMessageInfo.Status -> our delivery state. 1 (pending) says
 * nothing new; 5 (played) counts as read; 0 (ERROR) is WhatsApp refusing it.
 */
export function receiptState(status: number | null | undefined): DeliveryState | null {
  switch (status) {
    case 0:
      return 'failed';
    case 2:
      return 'sent';
    case 3:
      return 'delivered';
    case 4:
    case 5:
      return 'read';
    default:
      return null;
  }
}

/** WhatsApp's codes in a bad ack (messages-recv.js handleBadAck). */
const REFUSALS: Record<string, string> = {
  '463': 'account restricted or no privacy token for this contact; not retried, retrying makes it worse',
  '479': 'rejected by WhatsApp (stale device session or addressing)',
};

/**
 * Codes with which WhatsApp refuses the address rather than the message: sent to a LID, such
 * a message is tried once more at the phone's own JID. 479 (SMAX_INVALID, "stale device session
 * or malformed addressing") rc14 only logs (Socket/messages-recv.js:1547-1548). Never 463: rc14
 * says "No retry — retrying counts as another reach out and worsens the restriction" and issues
 * the missing privacy token itself (messages-recv.js:1513-1545).
 */
export const ADDRESSING_REFUSALS = new Set(['479']);

/** The code of a bad ack, or null. */
export function refusalCode(update: { messageStubParameters?: Array<string | null | undefined> | null }): string | null {
  return update.messageStubParameters?.[0] ?? null;
}

/**
 * A `messages.update` of a message we sent, as a receipt. For ERROR,
 * handleBadAck puts WhatsApp's code in messageStubParameters[0].
 */
export function receiptOf(whatsappId: string, update: { status?: number | null; messageStubParameters?: Array<string | null | undefined> | null }): Receipt | null {
  const state = receiptState(update.status);
  if (!state) return null;
  if (state !== 'failed') return { whatsappId, state };
  const code = update.messageStubParameters?.[0] ?? null;
  const error = code ? `WhatsApp refused the message (${code}: ${REFUSALS[code] ?? update.messageStubParameters?.[1] ?? 'error in the acknowledgement'})` : 'WhatsApp reported an error';
  return { whatsappId, state, error };
}
