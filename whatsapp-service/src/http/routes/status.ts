import type { Gateway } from '../../gateway.js';
import type { Transport } from '../../transport/transport.js';
import { sendJson } from '../respond.js';
import { webhookStatus } from './health.js';
import type { Route } from '../route.js';

export function statusRoute(gateway: Gateway, transport: Transport): Route {
  return {
    method: 'GET',
    path: '/status',
    access: 'api-key',
    handle({ res }) {
      const state = gateway.state;
      sendJson(res, 200, {
        connection: state.status,
        me: state.me,
        qr_available: state.qr !== null,
        pairing_code: state.pairingCode,
        last_disconnect: state.lastDisconnect,
        since: state.since,
        transport: transport.name,
        ...(transport.describe ? { [transport.name]: transport.describe().details } : {}),
        webhook: { ...webhookStatus(gateway.webhook), dead_letters: gateway.queueDepths().events.dead ?? 0 },
        limits: { reachout: state.limits.reachout, capping: state.limits.capping },
      });
    },
  };
}
