import type { Gateway } from '../../gateway.js';
import { sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** Liveness for monitors: open, and free of anything secret. */
export function healthRoute(gateway: Gateway, startedAt: number): Route {
  return {
    method: 'GET',
    path: '/health',
    access: 'open',
    handle({ res }) {
      try {
        const queues = gateway.queueDepths();
        sendJson(res, 200, {
          ok: true,
          connection: gateway.state.status,
          last_disconnect: gateway.state.lastDisconnect,
          queues: {
            webhook: { pending: queues.events.pending ?? 0, dead: queues.events.dead ?? 0 },
            outbox: { queued: queues.outbox.queued, failed: queues.outbox.failed },
          },
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        });
      } catch {
        sendJson(res, 503, { ok: false, error: { code: 'unavailable', message: 'the database cannot be read' } });
      }
    },
  };
}
