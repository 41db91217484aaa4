import { parseForgetRequest } from '../../forget-request.js';
import type { Gateway } from '../../gateway.js';
import { readJsonBody } from '../body.js';
import { HttpError, sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** POST /forget (docs/contract.md 3.6): the plugin's data protection reaches the gateway's copies. */
export function forgetRoute(gateway: Gateway, defaultCountryCode: string | null): Route {
  return {
    method: 'POST',
    path: '/forget',
    access: 'api-key',
    async handle({ req, res }) {
      const parsed = parseForgetRequest(await readJsonBody(req), defaultCountryCode);
      if (!parsed.ok) throw new HttpError(400, 'bad_request', parsed.message);
      sendJson(res, 200, { forgotten: gateway.forget(parsed.request) });
    },
  };
}
