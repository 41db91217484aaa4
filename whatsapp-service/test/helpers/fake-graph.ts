import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Meta's Graph API for the WhatsApp Cloud API, played on loopback: real HTTP,
 * the documented shapes (developers.facebook.com/documentation/business-messaging/whatsapp/ = …/):
 * - GET /<phone-number-id>: the number (…/business-phone-numbers/phone-numbers).
 * - POST /<phone-number-id>/messages → `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`
 *   (…/messages/text-messages); a BSUID send has `recipient` instead of `to` and its contact has `user_id`, no `wa_id`
 *   (…/business-scoped-user-ids).
 * - POST /<phone-number-id>/media (multipart: messaging_product, type, file) → `{"id"}`; GET /<media-id> →
 *   `{"messaging_product", "url", "mime_type", "sha256", "file_size", "id"}`; the url needs the bearer token
 *   (…/business-phone-numbers/media).
 * - errors: `{"error": {"message": "(#code) title", "type", "code", "error_data": {"messaging_product", "details"}, "fbtrace_id"}}`
 *   with the HTTP status of …/support/error-codes (401 for 190, 400 for 131026/131047/130429, 500 for 131000);
 *   a token it cannot use is named in the message ("Malformed access token <token>", as Graph answers one).
 */
export class FakeGraph {
  private server: Server | null = null;
  base = '';
  readonly phoneNumberId = '109876543210987';
  token = 'EAAG-test-token-0123456789';
  /** Messages sent to /messages, in order (the JSON bodies). */
  readonly sent: Array<Record<string, any> & { wamid: string }> = [];
  /** Files uploaded to /media. */
  readonly uploads = new Map<string, { data: Buffer; type: string; filename: string }>();
  /** Customer files on Meta's side (id → bytes), for inbound media. */
  readonly files = new Map<string, { data: Buffer; mime: string }>();
  /** The next /messages calls answer these errors, one each. */
  failures: Array<{ code: number; title: string; status: number; details?: string }> = [];
  /**
   * Runs before /messages answers (Meta promises no order: its status webhook may come first, botpress#15029,
   * chatwoot#14529); `lose` then drops the answer as a timed-out connection would, after Meta took the message.
   */
  beforeAnswer: ((message: Record<string, any> & { wamid: string }) => Promise<void | 'lose'>) | null = null;
  /** WhatsApp's own form of a number sent to (`contacts[].wa_id`): Mexico's mobiles are 521…, whatever was sent. */
  waIdOf: (to: string) => string = (to) => to.replace(/^\+/, '').replace(/^52(\d{10})$/, '521$1');
  /** Media URLs answer with a redirect to the bytes. */
  redirectMedia = false;
  /** Media URL answers that are damaged (bytes changed), one each. */
  damagedDownloads = 0;
  requests: string[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body, type, location }) => (status === 0 ? res.destroy() : res.writeHead(status, { 'Content-Type': type ?? 'application/json', ...(location ? { Location: location } : {}) }).end(body)),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return `${this.base}/v26.0`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections(); // a test that failed half-way may leave a request open: never wait for it
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string | Buffer; type?: string; location?: string }> {
    const url = new URL(req.url!, this.base);
    this.requests.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      // Graph names the token it got when it cannot parse it ("Malformed access token EAAG…", code 190).
      const given = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      return error(401, 190, `Malformed access token ${given}`, 'OAuthException');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = url.pathname.replace(/^\/v26\.0\//, '');
    if (req.method === 'GET' && path === this.phoneNumberId) {
      return json(200, { display_phone_number: '+49 30 1234567', verified_name: 'Support', id: this.phoneNumberId });
    }
    if (req.method === 'POST' && path === `${this.phoneNumberId}/messages`) {
      const failure = this.failures.shift();
      if (failure) return error(failure.status, failure.code, failure.title, 'OAuthException', failure.details);
      const message = JSON.parse(body.toString('utf8')) as Record<string, any>;
      // Meta's limits (…/cloud-api/reference/messages): a text body up to 4,096 characters, a caption up to 1,024,
      // a picture up to 5 MB.
      if ([...String(message.text?.body ?? '')].length > 4096) return error(400, 100, 'Invalid parameter', 'OAuthException', 'Param text[\'body\'] must be at most 4096 characters long.');
      const media = message.image ?? message.document ?? message.video ?? message.audio;
      if ([...String(media?.caption ?? '')].length > 1024) return error(400, 100, 'Invalid parameter', 'OAuthException', 'Param caption must be at most 1024 characters long.');
      if (message.image && (this.uploads.get(String(message.image.id))?.data.length ?? 0) > 5 * 1024 * 1024) return error(400, 131053, 'Media upload error', 'OAuthException', 'Image file size exceeds 5 MB.');
      const wamid = `wamid.${randomBytes(12).toString('hex').toUpperCase()}`;
      this.sent.push({ ...message, wamid });
      const contact = message.recipient ? { input: message.recipient, user_id: message.recipient } : { input: message.to, wa_id: this.waIdOf(String(message.to)) };
      if (this.beforeAnswer && (await this.beforeAnswer({ ...message, wamid })) === 'lose') return { status: 0, body: '' };
      return json(200, { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id: wamid }] });
    }
    if (req.method === 'POST' && path === `${this.phoneNumberId}/media`) {
      const form = await new Request(url, { method: 'POST', headers: { 'Content-Type': req.headers['content-type'] ?? '' }, body }).formData();
      const file = form.get('file');
      if (form.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob)) return error(400, 100, 'Invalid parameter', 'OAuthException');
      if (!UPLOAD_TYPES.includes(String(form.get('type')))) return error(400, 100, `Param file must be a file with one of the following types: ${UPLOAD_TYPES.join(', ')}. Received file of type '${String(form.get('type'))}'.`, 'OAuthException');
      const id = String(1_000_000_000_000 + this.uploads.size);
      this.uploads.set(id, { data: Buffer.from(await file.arrayBuffer()), type: String(form.get('type')), filename: (file as File).name });
      return json(200, { id });
    }
    if (req.method === 'GET' && path.startsWith('moved/')) {
      // Meta's media URLs may answer with a redirect to where the bytes are (the token still needed there).
      return { status: 302, body: '', type: 'text/plain', location: `${this.base}/v26.0/bytes/${path.slice('moved/'.length)}` };
    }
    if (req.method === 'GET' && path.startsWith('bytes/')) {
      const stored = this.files.get(path.slice('bytes/'.length));
      if (!stored) return { status: 404, body: '' };
      if (this.damagedDownloads > 0) {
        this.damagedDownloads--;
        return { status: 200, body: Buffer.concat([stored.data, Buffer.from('x')]), type: stored.mime };
      }
      return { status: 200, body: stored.data, type: stored.mime };
    }
    if (req.method === 'GET' && this.files.has(path)) {
      const stored = this.files.get(path)!;
      return json(200, {
        messaging_product: 'whatsapp', url: `${this.base}/v26.0/${this.redirectMedia ? 'moved' : 'bytes'}/${path}`, mime_type: stored.mime,
        sha256: createHash('sha256').update(stored.data).digest('hex'), file_size: String(stored.data.length), id: path,
      });
    }
    return error(400, 100, 'Unsupported get request. Object does not exist', 'GraphMethodException');
  }

  /** A customer's file as Meta holds it; the webhook's `image`/`document` object for it (sha256 in base64). */
  addFile(data: Buffer, mime: string): { id: string; mime_type: string; sha256: string } {
    const id = String(2_000_000_000_000 + this.files.size);
    this.files.set(id, { data, mime });
    return { id, mime_type: mime, sha256: createHash('sha256').update(data).digest('base64') };
  }
}

/** The types the media upload takes (…/business-phone-numbers/media#supported-media-types). */
const UPLOAD_TYPES = [
  'audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg', 'text/plain', 'application/pdf', 'application/vnd.ms-powerpoint', 'application/msword',
  'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'image/jpeg', 'image/png', 'image/webp', 'video/3gpp', 'video/mp4',
];

function json(status: number, value: unknown) {
  return { status, body: JSON.stringify(value) };
}

function error(status: number, code: number, title: string, type: string, details = title) {
  return json(status, { error: { message: `(#${code}) ${title}`, type, code, error_data: { messaging_product: 'whatsapp', details }, fbtrace_id: 'AbCdEfGh' } });
}

/**
 * A webhook notification as Meta posts it (…/webhooks/reference/messages):
 * `{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages", "value": {...}}]}]}`.
 */
export function notification(...values: Array<Record<string, unknown>>): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: values.map((value, i) => ({ id: `WABA${i}`, changes: [{ field: 'messages', value }] })) };
}

/** A `value` with messages from one customer (phone and/or BSUID, `from`/`from_user_id` as of 2026). */
export function customerWrites(
  phoneNumberId: string,
  customer: { phone?: string | null; bsuid?: string; name?: string },
  ...messages: Array<Record<string, unknown>>
): Record<string, unknown> {
  const phone = customer.phone ?? null;
  return {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '49301234567', phone_number_id: phoneNumberId },
    contacts: [{ profile: { name: customer.name ?? 'Max Mustermann' }, ...(phone ? { wa_id: phone } : {}), ...(customer.bsuid ? { user_id: customer.bsuid } : {}) }],
    messages: messages.map((message, i) => ({
      ...(phone ? { from: phone } : {}), ...(customer.bsuid ? { from_user_id: customer.bsuid } : {}),
      id: `wamid.IN${randomBytes(8).toString('hex').toUpperCase()}`, timestamp: String(Math.floor(Date.now() / 1000) - messages.length + i + 1), ...message,
    })),
  };
}

/**
 * A `value` with statuses (…/webhooks/reference/messages/status). `recipient` is the wa_id (or, with
 * `bsuid`, `recipient_user_id` only); `callback` is the send's `biz_opaque_callback_data`, which Meta echoes.
 */
export function statuses(
  phoneNumberId: string,
  ...list: Array<{ id: string; status: string; recipient?: string; bsuid?: string; code?: number; title?: string; callback?: string }>
): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '49301234567', phone_number_id: phoneNumberId },
    statuses: list.map((s) => ({
      id: s.id, status: s.status, timestamp: String(Math.floor(Date.now() / 1000)),
      ...(s.recipient ? { recipient_id: s.recipient } : {}), ...(s.bsuid ? { recipient_user_id: s.bsuid } : {}),
      ...(s.callback ? { biz_opaque_callback_data: s.callback } : {}),
      ...(s.code ? { errors: [{ code: s.code, title: s.title ?? 'error', message: s.title ?? 'error', error_data: { details: s.title ?? 'error' } }] } : {}),
    })),
  };
}

/**
 * A status of a message the fake took, as Meta addresses it: the wa_id (or BSUID), and the callback data echoed
 * only in sent, delivered and read statuses (…/cloud-api/reference/messages: `biz_opaque_callback_data`), not in failed ones.
 */
export function statusOf(sent: Record<string, any> & { wamid: string }, status: string, failure?: { code: number; title: string }, waIdOf = (to: string) => to) {
  return {
    id: sent.wamid, status, callback: status === 'failed' ? undefined : (sent.biz_opaque_callback_data as string | undefined),
    ...(sent.recipient ? { bsuid: sent.recipient as string } : { recipient: waIdOf(String(sent.to)) }),
    ...(failure ?? {}),
  };
}

/** `X-Hub-Signature-256` for a body, as Meta computes it with the app secret. */
export function hubSignature(appSecret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}
