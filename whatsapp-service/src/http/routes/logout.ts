import type { Transport } from '../../transport/transport.js';
import { readJsonBody } from '../body.js';
import { HttpError, sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** POST /logout: unlink the device from WhatsApp and forget the session; a new QR code follows. */
export function logoutRoute(transport: Transport): Route {
  return {
    method: 'POST',
    path: '/logout',
    access: 'api-key',
    async handle({ req, res }) {
      await readJsonBody(req, 1024); // "{}": a web page cannot send JSON cross-site without asking first
      if (!transport.logout) throw new HttpError(404, 'not_found', `the ${transport.name} transport cannot be unlinked`);
      await transport.logout();
      sendJson(res, 200, { ok: true });
    },
  };
}
