import type { Gateway } from '../../gateway.js';
import type { Transport } from '../../transport/transport.js';
import { sendJson } from '../respond.js';
import type { Route } from '../route.js';

export function statusRoute(gateway: Gateway, transport: Transport): Route {
  return {
    method: 'GET',
    path: '/status',
    access: 'api-key',
    handle({ res }) {
      const state = gateway.state;
      const webhook = gateway.webhook;
      sendJson(res, 200, {
        connection: state.status,
        me: state.me,
        qr_available: state.qr !== null,
        pairing_code: state.pairingCode,
        last_disconnect: state.lastDisconnect,
        since: state.since,
        transport: transport.name,
        ...(transport.describe ? { [transport.name]: transport.describe().details } : {}),
        webhook: { state: webhook.state, problem: webhook.problem, since: webhook.since },
        limits: { reachout: state.limits.reachout, capping: state.limits.capping },
      });
    },
  };
}
