import type { Gateway } from '../../gateway.js';
import { sendJson } from '../respond.js';
import type { Route } from '../route.js';

/**
 * For monitors: open, free of anything secret. `ok` is false (503) while
 * something needs the operator: the webhook misconfigured or unreachable,
 * inbound messages not being stored, or the database unreadable.
 */
export function healthRoute(gateway: Gateway, startedAt: number): Route {
  return {
    method: 'GET',
    path: '/health',
    access: 'open',
    handle({ res }) {
      try {
        const queues = gateway.queueDepths();
        const webhook = gateway.webhook;
        const storage = gateway.storageProblem;
        const problems = [
          ...(webhook.problem ? [`webhook: ${webhook.problem}`] : []),
          ...(storage ? [`storage: inbound messages cannot be stored (${storage.reason})`] : []),
        ];
        sendJson(res, problems.length === 0 ? 200 : 503, {
          ok: problems.length === 0,
          problems,
          connection: gateway.state.status,
          last_disconnect: gateway.state.lastDisconnect,
          webhook: { state: webhook.state, problem: webhook.problem, since: webhook.since },
          queues: {
            webhook: { pending: queues.events.pending ?? 0, dead: queues.events.dead ?? 0 },
            outbox: { queued: queues.outbox.queued, failed: queues.outbox.failed },
          },
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        });
      } catch {
        sendJson(res, 503, { ok: false, problems: ['storage: the database cannot be read'], error: { code: 'unavailable', message: 'the database cannot be read' } });
      }
    },
  };
}
