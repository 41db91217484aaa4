import type { Gateway } from '../../gateway.js';
import type { ConnectionState, Transport } from '../../transport/transport.js';
import type { TargetStatus } from '../../webhook/target-health.js';
import { sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** How long linking may wait for a scan before monitors hear of it. */
export const SCAN_GRACE_MS = 5 * 60_000;

/** What about the WhatsApp connection needs the operator, or null: nothing comes in while it lasts. Pure. */
export function whatsappProblem(state: ConnectionState, nowMs: number): string | null {
  switch (state.status) {
    case 'logged_out':
      return 'logged out from the phone: scan the new QR code (plugin settings page or GET /qr)';
    case 'banned':
      return 'WhatsApp refused this number (403)';
    case 'misconfigured':
      return state.lastDisconnect?.reason ?? 'the Cloud API refused the access token';
    case 'replaced':
      return 'another WhatsApp Web session took over: close it and restart the service';
    case 'waiting_for_scan':
      return nowMs - Date.parse(state.since) > SCAN_GRACE_MS ? `waiting for a QR code scan since ${state.since}` : null;
    default:
      return null;
  }
}

/** What dead letters need from the operator. Pure. */
export function deadLetters(count: number): string {
  return `${count} message(s) the plugin refused were given up (dead letters): see them with \`npm run dead-letters\`, deliver them again with \`npm run dead-letters -- replay --all\` or delete them with \`npm run dead-letters -- drop --all\``;
}

/** The webhook's state as /health and /status show it. */
export function webhookStatus(webhook: TargetStatus): Record<string, unknown> {
  return { state: webhook.state, problem: webhook.problem, since: webhook.since, last_ok_at: webhook.lastOkAt };
}

/**
 * For monitors: open, free of anything secret. `ok` is false (503) while
 * something needs the operator: WhatsApp logged out, banned, replaced or
 * waiting long for a scan, the webhook misconfigured, unreachable or not yet
 * confirmed, messages given up (dead letters), messages
 * not being stored, or the database unreadable.
 */
export function healthRoute(gateway: Gateway, transport: Transport, startedAt: number): Route {
  return {
    method: 'GET',
    path: '/health',
    access: 'open',
    handle({ res }) {
      try {
        const queues = gateway.queueDepths();
        const webhook = gateway.webhook;
        const storage = gateway.storageProblems;
        const whatsapp = whatsappProblem(gateway.state, Date.now());
        const dead = queues.events.dead ?? 0;
        const problems = [
          ...(whatsapp ? [`whatsapp: ${whatsapp}`] : []),
          ...(webhook.problem ? [`webhook: ${webhook.problem}`] : []),
          ...(dead > 0 ? [`webhook: ${deadLetters(dead)}`] : []),
          ...storage.map((problem) => `storage: ${problem.reason}`),
          ...(transport.describe?.().problems ?? []).map((problem) => `${transport.name}: ${problem}`),
        ];
        sendJson(res, problems.length === 0 ? 200 : 503, {
          ok: problems.length === 0,
          problems,
          connection: gateway.state.status,
          last_disconnect: gateway.state.lastDisconnect,
          webhook: webhookStatus(webhook),
          queues: {
            webhook: { pending: queues.events.pending ?? 0, dead },
            outbox: { queued: queues.outbox.queued, held: queues.held, failed: queues.outbox.failed },
          },
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        });
      } catch {
        sendJson(res, 503, { ok: false, problems: ['storage: the database cannot be read'], error: { code: 'unavailable', message: 'the database cannot be read' } });
      }
    },
  };
}
