import type { Gateway } from '../../gateway.js';
import { parseSendRequest } from '../../outbound/send-request.js';
import { bodyLimitWithFile, readJsonBody } from '../body.js';
import { HttpError, sendJson } from '../respond.js';
import type { Access, Route } from '../route.js';

/** POST /send and /send-secure (docs/contract.md 3.1). */
export function sendRoute(gateway: Gateway, path: '/send' | '/send-secure', access: Access, defaultCountryCode: string | null, mediaMaxBytes: number): Route {
  return {
    method: 'POST',
    path,
    access,
    async handle({ req, res }) {
      const header = req.headers['idempotency-key'];
      const body = await readJsonBody(req, bodyLimitWithFile(mediaMaxBytes));
      const parsed = parseSendRequest(body, typeof header === 'string' ? header : undefined, defaultCountryCode, mediaMaxBytes);
      if (!parsed.ok) throw new HttpError(parsed.code === 'file_too_large' ? 413 : 400, parsed.code, parsed.message);
      const { row, created } = gateway.send(parsed.request);
      sendJson(res, created ? 202 : 200, { id: row.id, key: row.idempotency_key, state: row.state });
    },
  };
}
