import { isPhoneChat, parseChatId } from '../../chat-id.js';
import type { SendError, Transport } from '../../transport/transport.js';
import { readJsonBody } from '../body.js';
import { HttpError, sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** POST /pair {"phone"}: a pairing code to type into WhatsApp, for servers without a screen. Answers within 30 s. */
export function pairRoute(transport: Transport, defaultCountryCode: string | null): Route {
  return {
    method: 'POST',
    path: '/pair',
    access: 'api-key',
    async handle({ req, res }) {
      const body = (await readJsonBody(req, 4096)) as { phone?: unknown } | null;
      const phone = parseChatId(body?.phone, defaultCountryCode);
      if (!phone.ok || !isPhoneChat(phone.chat)) {
        throw new HttpError(400, 'invalid_phone', phone.ok ? 'phone must be a phone number, not a LID' : phone.reason);
      }
      if (!transport.requestPairingCode) throw new HttpError(404, 'not_found', `the ${transport.name} transport does not pair`);
      try {
        sendJson(res, 200, { code: await transport.requestPairingCode(phone.chat) });
      } catch (error) {
        const { code, retryable, message } = error as SendError;
        if (code === 'already_linked') throw new HttpError(409, code, message);
        if (retryable) throw new HttpError(503, code ?? 'unavailable', message);
        throw error;
      }
    },
  };
}
