import { parseChatId } from '../../chat-id.js';
import type { Transport } from '../../transport/transport.js';
import { readJsonBody } from '../body.js';
import { HttpError, sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** POST /pair {"phone"}: a pairing code to type into WhatsApp, for servers without a screen. */
export function pairRoute(transport: Transport): Route {
  return {
    method: 'POST',
    path: '/pair',
    access: 'api-key',
    async handle({ req, res }) {
      const body = (await readJsonBody(req, 4096)) as { phone?: unknown } | null;
      const phone = parseChatId(body?.phone);
      if (!phone.ok || phone.chat.startsWith('lid:')) {
        throw new HttpError(400, 'invalid_phone', 'phone must be the number to link, with country code');
      }
      if (!transport.requestPairingCode) throw new HttpError(404, 'not_found', `the ${transport.name} transport does not pair`);
      sendJson(res, 200, { code: await transport.requestPairingCode(phone.chat) });
    },
  };
}
