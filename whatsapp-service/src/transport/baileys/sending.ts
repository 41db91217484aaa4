import { proto } from 'baileys';
import { SendError, type OutboundMedia, type SendResult } from '../transport.js';
import { chatToJid, isLidJid, isPhoneJid, jidUser } from './contacts.js';
import type { SessionStore } from './session-store.js';
import { within } from './timeout.js';
import { statusCodeOf, type MessageContent, type WhatsAppSocket } from './socket.js';

export interface SendContext {
  socket: WhatsAppSocket;
  store: SessionStore;
  /** Phone JIDs already confirmed to be on WhatsApp. */
  onWhatsApp: Set<string>;
  timeoutMs: number;
  /** The send did not settle in time: the connection is stuck and must be rebuilt. */
  stalled(): void;
  /** Told where the message goes just before it is written: WhatsApp's refusal can come with its ack, before the send returns. */
  addressed?(jid: string): void;
  /** Settles when the socket emitted "close": an ack will not come any more. */
  closed: Promise<void>;
}

/**
 * Sends one text. Only what is certain never to succeed is final (the number
 * is not on WhatsApp); whatever Baileys throws is its own connection trouble
 * (Boom 428 "Connection Closed", 408) and is retried. WhatsApp's refusals of
 * a message (463, 479) come later as a receipt with status ERROR.
 */
export async function sendTo(context: SendContext, chat: string, text: string, messageId: string, media?: OutboundMedia, jidOverride?: string): Promise<SendResult> {
  const jid = jidOverride ?? (await recipientJid(context, chatToJid(chat)));
  const ack = serverAck(context.socket, messageId);
  context.addressed?.(jid);
  const closed = context.closed.then(() => {
    throw new SendError('the connection closed before WhatsApp acknowledged the message', 'send_failed', true);
  });
  closed.catch(() => {}); // awaited only while the send waits for its ack
  const sent = await withTimeout(
    context,
    (async () => {
      const answer = await context.socket.sendMessage(jid, content(text, media), { messageId });
      await Promise.race([ack.promise, closed]);
      return answer;
    })(),
  )
    .catch((error: unknown) => {
      if (error instanceof SendError) throw error;
      const code = statusCodeOf(error);
      throw new SendError(`WhatsApp send failed${code ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`, 'send_failed', true);
    })
    .finally(ack.cancel);
  const whatsappId = sent?.key.id;
  if (!whatsappId) throw new SendError('WhatsApp returned no message id', 'send_failed', true);
  // rc14 answers with the full message it relayed (messages-send.js:1068-1140): kept, a retry request later gets it again, file and all.
  return { whatsappId, ...(sent.message ? { sent: proto.Message.encode(sent.message).finish() } : {}) };
}

/**
 * WhatsApp's server acknowledgement of the message stanza (`<ack class="message" id=…>`, which rc14
 * reads only for errors, Socket/messages-recv.js:1494-1511, 1624). sendMessage resolves when the
 * websocket write is done (Socket/socket.js:58-72); on a half-open connection that is no sign WhatsApp
 * has it. Only the ack is: without it the send fails (retryable) and goes again under the same id,
 * which the recipient's phone shows once. A refusal comes in the ack too (rc14 emits it as a receipt).
 */
function serverAck(socket: WhatsAppSocket, messageId: string): { promise: Promise<void>; cancel(): void } {
  let onAck: (node: { attrs?: Record<string, string | undefined> }) => void = () => {};
  const promise = new Promise<void>((resolve) => {
    onAck = (node) => {
      if (node.attrs?.id === messageId) resolve();
    };
  });
  socket.ws.on('CB:ack,class:message', onAck);
  return { promise, cancel: () => socket.ws.off('CB:ack,class:message', onAck) };
}

/** Pictures WhatsApp shows as pictures; everything else goes as a document with its name. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

function content(text: string, media?: OutboundMedia): MessageContent {
  if (!media) return { text };
  const caption = text === '' ? undefined : text;
  return IMAGE_TYPES.has(media.mimetype)
    ? { image: media.data, mimetype: media.mimetype, ...(caption ? { caption } : {}) }
    : { document: media.data, mimetype: media.mimetype, fileName: media.filename, ...(caption ? { caption } : {}) };
}

/**
 * Where to send: since WhatsApp's move to LIDs, a 1:1 message to
 * `<phone>@s.whatsapp.net` of a migrated contact is acked with 463 and never
 * delivered, so a phone with a known LID is addressed by its LID.
 */
async function recipientJid(context: SendContext, jid: string): Promise<string> {
  if (!isPhoneJid(jid)) return jid;
  const phone = jidUser(jid);
  const mapped = await context.socket.signalRepository.lidMapping.getLIDForPN(jid).catch(() => null);
  const lid = isLidJid(mapped) ? jidUser(mapped) : context.store.lidForPhone(phone);
  if (lid) {
    context.store.rememberContact(lid, phone, context.store.contact(lid)?.chat ?? phone);
    return `${lid}@lid`;
  }
  if (context.onWhatsApp.has(jid)) return jid;
  const found = await withTimeout(context, context.socket.onWhatsApp(jid)).catch((error: unknown) => {
    throw new SendError(`could not check the number with WhatsApp: ${error instanceof Error ? error.message : String(error)}`, 'lookup_failed', true);
  });
  // rc14 returns only the numbers that exist; undefined when WhatsApp sent no list (then the send decides).
  if (Array.isArray(found)) {
    if (!found.some((entry) => entry.exists)) throw new SendError('the number is not on WhatsApp', 'not_on_whatsapp', false);
    context.onWhatsApp.add(jid);
  }
  return jid;
}

/** A send or lookup that does not settle in time means a stuck connection: rebuild it, retry the message. */
function withTimeout<T>(context: SendContext, work: Promise<T>): Promise<T> {
  return within(work, context.timeoutMs, () => {
    context.stalled();
    return new SendError(`WhatsApp did not answer within ${Math.round(context.timeoutMs / 1000)} s; reconnecting`, 'send_timeout', true);
  });
}
