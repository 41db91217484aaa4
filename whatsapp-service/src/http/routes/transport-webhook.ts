import type { InboundWebhook } from '../../transport/transport.js';
import { readRawBody } from '../body.js';
import { send } from '../respond.js';
import type { Route } from '../route.js';

/**
 * GET and POST /<transport>/webhook: where WhatsApp itself calls (the Cloud
 * API). Open to anyone, as Meta must reach it; the transport checks the
 * verify token and the signature over the exact bytes.
 */
export function transportWebhookRoutes(name: string, webhook: InboundWebhook): Route[] {
  const path = `/${name}/webhook`;
  return [
    {
      method: 'GET',
      path,
      access: 'signed',
      handle({ res, url }) {
        const answer = webhook.verify(url.searchParams);
        send(res, answer.status, 'text/plain; charset=utf-8', answer.body);
      },
    },
    {
      method: 'POST',
      path,
      access: 'signed',
      async handle({ req, res }) {
        const body = await readRawBody(req, webhook.maxBodyBytes);
        const signature = req.headers['x-hub-signature-256'];
        const answer = await webhook.receive(body, typeof signature === 'string' ? signature : undefined);
        send(res, answer.status, 'text/plain; charset=utf-8', answer.body);
      },
    },
  ];
}
