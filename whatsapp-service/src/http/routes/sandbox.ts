import { parseChatId } from '../../chat-id.js';
import { isSendableText } from '../../outbound/text-limits.js';
import type { SandboxTransport } from '../../transport/sandbox/sandbox-transport.js';
import { MESSAGE_TYPES, type MessageType } from '../../transport/transport.js';
import { parseFileUpload, type FileUpload } from '../../media/file-upload.js';
import { bodyLimitWithFile, readJsonBody } from '../body.js';
import { HttpError, send, sendJson } from '../respond.js';
import type { Route } from '../route.js';
import { SANDBOX_PAGE } from './sandbox-page.js';

/** What a customer can send; "unreadable" is the gateway's own. */
const CUSTOMER_TYPES: readonly MessageType[] = MESSAGE_TYPES.filter((type) => type !== 'unreadable');

/** The message type a file arrives as when the caller does not say. */
function typeOfFile(mimetype: string): MessageType {
  if (mimetype.startsWith('image/')) return 'image';
  if (mimetype.startsWith('video/')) return 'video';
  if (mimetype.startsWith('audio/')) return 'audio';
  return 'document';
}

/** `media` of POST /sandbox/inbound: a file the customer sends, if any. */
function parseMedia(raw: unknown): FileUpload | undefined {
  if (raw === undefined || raw === null) return undefined;
  const file = parseFileUpload(raw, { customer: true });
  if (!file) throw new HttpError(400, 'bad_request', 'media must be {"filename", "mimetype", "data": base64}');
  return file;
}

/** Only mounted with TRANSPORT=sandbox: play a customer without a phone. */
/**
 * `storedMediaOf`: the service's file id of a customer's message, so that the page shows the
 * customer's own pictures again after a reload (from `/media/<id>`, as an agent's).
 */
export function sandboxRoutes(sandbox: SandboxTransport, defaultCountryCode: string | null, mediaMaxBytes: number, storedMediaOf: (whatsappId: string) => string | null = () => null): Route[] {
  return [
    {
      method: 'GET',
      path: '/sandbox',
      // The page itself holds nothing; it asks for the API key and sends it with each call.
      access: 'open',
      handle({ res }) {
        send(res, 200, 'text/html; charset=utf-8', SANDBOX_PAGE);
      },
    },
    {
      method: 'POST',
      path: '/sandbox/inbound',
      access: 'api-key',
      async handle({ req, res }) {
        // The gateway (not this route) says when the file is over MEDIA_MAX_MB.
        const body = ((await readJsonBody(req, bodyLimitWithFile(mediaMaxBytes))) ?? {}) as Record<string, unknown>;
        const chat = parseChatId(body.phone, defaultCountryCode);
        if (!chat.ok) throw new HttpError(400, 'invalid_phone', chat.reason);
        const media = parseMedia(body.media);
        const type = (body.type ?? (media ? typeOfFile(media.mimetype) : 'text')) as MessageType;
        if (!CUSTOMER_TYPES.includes(type)) throw new HttpError(400, 'bad_request', `type must be one of ${CUSTOMER_TYPES.join(', ')}`);
        const text = body.text ?? '';
        if (typeof text !== 'string' || (type === 'text' && !isSendableText(text))) {
          throw new HttpError(400, 'invalid_message', 'text must be non-empty for a text message');
        }
        if (body.id !== undefined && (typeof body.id !== 'string' || !/^[A-Za-z0-9:_-]{1,128}$/.test(body.id))) {
          throw new HttpError(400, 'bad_request', 'id must be 1 to 128 letters, digits, ":", "_" or "-"');
        }
        const ref = body.ref ?? null;
        if (['edit', 'delete', 'reaction'].includes(type) !== (typeof ref === 'string' && ref !== '')) {
          throw new HttpError(400, 'bad_request', 'ref (the WhatsApp id of the message it is about) goes with, and only with, type edit, delete or reaction');
        }
        const late = body.media_late_seconds ?? 0;
        if (typeof late !== 'number' || !(late >= 0 && late <= 3600)) throw new HttpError(400, 'bad_request', 'media_late_seconds must be 0 to 3600');
        const name = typeof body.name === 'string' ? body.name.slice(0, 100) : '';
        const message = await sandbox.receive({ chat: chat.chat, name, text, type, id: body.id as string | undefined, media, mediaLateSeconds: late, ref: ref as string | null });
        sendJson(res, 202, { id: message.id, chat: message.chat });
      },
    },
    {
      method: 'POST',
      path: '/sandbox/contacts',
      access: 'api-key',
      async handle({ req, res }) {
        const body = ((await readJsonBody(req)) ?? {}) as Record<string, unknown>;
        const chat = parseChatId(body.phone, defaultCountryCode);
        if (!chat.ok) throw new HttpError(400, 'invalid_phone', chat.reason);
        const { on_whatsapp: onWhatsApp, phone_online: phoneOnline } = body;
        if (onWhatsApp === undefined && phoneOnline === undefined) throw new HttpError(400, 'bad_request', 'give on_whatsapp or phone_online (true or false)');
        if (onWhatsApp !== undefined && typeof onWhatsApp !== 'boolean') throw new HttpError(400, 'bad_request', 'on_whatsapp must be true or false');
        if (phoneOnline !== undefined && typeof phoneOnline !== 'boolean') throw new HttpError(400, 'bad_request', 'phone_online must be true or false');
        if (onWhatsApp !== undefined) sandbox.setOnWhatsApp(chat.chat, onWhatsApp);
        if (phoneOnline !== undefined) sandbox.setPhoneOnline(chat.chat, phoneOnline);
        sendJson(res, 200, { phone: chat.chat, ...(onWhatsApp !== undefined ? { on_whatsapp: onWhatsApp } : {}), ...(phoneOnline !== undefined ? { phone_online: phoneOnline } : {}) });
      },
    },
    {
      method: 'GET',
      path: '/sandbox/conversation',
      access: 'api-key',
      handle({ res, url }) {
        const chat = parseChatId(url.searchParams.get('phone') ?? '', defaultCountryCode);
        if (!chat.ok) throw new HttpError(400, 'invalid_phone', chat.reason);
        const messages = sandbox.conversation(chat.chat, url.searchParams.get('read') === '1').map((m) => {
          if (m.direction !== 'in' || !m.media) return m;
          const id = storedMediaOf(m.id);
          return id ? { ...m, media: { ...m.media, url: `/media/${id}` } } : m;
        });
        sendJson(res, 200, { messages });
      },
    },
    {
      method: 'GET',
      path: '/sandbox/outbound',
      access: 'api-key',
      handle({ res, url }) {
        const chat = parseChatId(url.searchParams.get('phone') ?? '', defaultCountryCode);
        if (!chat.ok) throw new HttpError(400, 'invalid_phone', chat.reason);
        sendJson(res, 200, { messages: sandbox.outbound(chat.chat, url.searchParams.get('read') === '1') });
      },
    },
  ];
}
