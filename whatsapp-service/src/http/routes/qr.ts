import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';
import type { Gateway } from '../../gateway.js';
import type { Transport } from '../../transport/transport.js';
import { HttpError, send, sendJson } from '../respond.js';
import type { Route } from '../route.js';

/** The longest GET /qr waits for a fresh code (documented in docs/contract.md). */
export const QR_WAIT_MS = 10_000;

/**
 * GET /qr: the code to scan, as terminal text (default), svg, png or json.
 * When the last codes ran out, asking starts a new linking attempt and waits
 * (at most QR_WAIT_MS) for its first code.
 */
export function qrRoute(gateway: Gateway, transport: Transport): Route {
  return {
    method: 'GET',
    path: '/qr',
    access: 'api-key',
    async handle({ res, url }) {
      const format = url.searchParams.get('format') ?? 'text';
      if (!['text', 'svg', 'png', 'json'].includes(format)) {
        throw new HttpError(400, 'bad_request', 'format must be text, svg, png or json');
      }
      let { qr, status, me } = gateway.state;
      if (qr === null && (status === 'waiting_for_scan' || status === 'logged_out') && transport.relink) {
        transport.relink();
        const fresh = await gateway.waitForState((state) => state.qr !== null || state.status === 'connected', QR_WAIT_MS);
        if (!fresh) throw new HttpError(503, 'qr_pending', 'a new QR code is being prepared; ask again in a few seconds', { 'Retry-After': '5' });
        ({ qr, status, me } = fresh);
      }
      if (qr === null) {
        const why = status === 'connected' ? `already linked${me ? ` to ${me}` : ''}` : `no QR code right now (connection: ${status})`;
        throw new HttpError(404, 'no_qr', why);
      }
      if (format === 'json') return sendJson(res, 200, { qr, connection: status });
      if (format === 'svg') return send(res, 200, 'image/svg+xml', await QRCode.toString(qr, { type: 'svg', margin: 2 }));
      if (format === 'png') return send(res, 200, 'image/png', await QRCode.toBuffer(qr, { type: 'png', margin: 2, scale: 6 }));
      return send(res, 200, 'text/plain; charset=utf-8', await terminalQr(qr));
    },
  };
}

export function terminalQr(qr: string): Promise<string> {
  return new Promise((resolve) => qrcodeTerminal.generate(qr, { small: true }, resolve));
}
