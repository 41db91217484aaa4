import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  initialState, MediaError, SendError,
  type ConnectionState, type InboundWebhook, type OutboundMedia, type Receipt, type SendContext, type SendResult, type Transport, type TransportDetails, type TransportHandlers,
} from '../transport.js';
import { CloudStore } from './cloud-store.js';
import { backoffDelay } from '../../backoff.js';
import { classify, PAIR_RATE_LIMIT } from './errors.js';
import { asGraphError, GraphClient, GraphError } from './graph.js';
import { mediaKind, MAX_CAPTION_CHARS, TAKEN_TYPES, textParts } from './limits.js';
import { normalizeCloudMessage } from './normalize.js';
import { answerSubscription, readNotification, signatureMatches, type CloudMessageIn, type CloudStatusIn } from './notification.js';

export interface CloudConfig {
  /** Graph API base URL with its version, e.g. https://graph.facebook.com/v26.0 */
  apiUrl: string;
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  /** The approved template that invites a customer to answer once the 24-hour window is closed. */
  template: { name: string; language: string } | null;
}

export interface CloudTransportOptions {
  config: CloudConfig;
  /** Where the transport keeps its own file (cloud.sqlite). */
  dataDir: string;
  log: Logger;
  /** How long notifications for other numbers are kept (RETENTION_DAYS). */
  retentionMs: number;
  /** How often the token is checked again while it is refused (default 60 s). */
  recheckMs?: number;
  /** How long sending pauses after Meta refused a message for the account (locked, payment, permission) before one more try (default 15 min). */
  accountRecheckMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The most Meta sends in one POST (…/webhooks/overview#payload-size: 3 MB); read, unauthenticated, before the HMAC check. */
const WEBHOOK_BODY_BYTES = 3 * 1024 * 1024;
/** Pauses before an invitation that failed for a passing reason is tried again: 1 minute, doubling to 1 hour. */
const INVITATION_BACKOFF = { baseMs: 60_000, maxMs: 3_600_000 };
/** How long a send whose answer was lost waits for a status saying Meta took it. */
const LOST_ANSWER_WAIT_MS = 3_000;
/** Signed WhatsApp notifications refused in a row before /health calls it CLOUD_APP_SECRET (one could be anyone's). */
const REFUSED_NOTIFICATIONS_ALARM = 3;
/** A file transfer is given 2 minutes plus what a 50 kB/s link needs for it. */
const transferTimeout = (bytes: number) => 120_000 + Math.ceil(bytes / 50);

/**
 * The official WhatsApp Business Cloud API. Meta calls us (its webhook, on
 * /cloud/webhook, checked by signature) and we call the Graph API. Only this
 * folder speaks Graph; the gateway sees the same messages, receipts and
 * send errors as from Baileys. What the Cloud API adds is the customer-service
 * window: a reply that may not go now is held by the gateway, and the
 * customer is invited by the configured template to write again.
 */
export class CloudTransport implements Transport {
  readonly name = 'cloud';
  private handlers: TransportHandlers | null = null;
  private store: CloudStore | null = null;
  private current: ConnectionState = initialState('connecting');
  private readonly graph: GraphClient;
  private recheck: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly seen = { verifiedAt: null as string | null, signedPostAt: null as string | null, badSignatureAt: null as string | null, refusedNotifications: 0 };
  /** WhatsApp's last refusal of the invitation template, for /health. */
  private templateProblem: string | null = null;
  /** After an account refusal: the one message tried, until its status comes (`wamid` null: not sent yet). */
  private probe: { wamid: string | null; at: number } | null = null;
  /** Invitations that failed for a passing reason, by chat: how often in a row. */
  private readonly invitationRetries = new Map<string, number>();
  /** Sends whose answer was lost (timeout, reset) with no status to say Meta took them: sent again, perhaps twice. */
  private lostAnswers = 0;

  constructor(private readonly options: CloudTransportOptions) {
    this.now = options.now ?? Date.now;
    this.graph = new GraphClient({ baseUrl: options.config.apiUrl, accessToken: options.config.accessToken, fetch: options.fetch });
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    const store = new CloudStore(this.options.dataDir);
    this.store = store;
    const purge = () => store.purge(this.now(), this.options.retentionMs);
    purge();
    this.housekeeping = setInterval(purge, 3_600_000);
    this.housekeeping.unref();
    this.setState({ status: 'connecting' });
    await this.checkToken();
  }

  async stop(): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    this.setState({ status: 'stopped' });
    this.handlers = null;
    this.store?.close();
    this.store = null;
  }

  /** Asks Graph for our number: the token works (connected), is refused (misconfigured), or Graph is away (reconnecting). */
  private async checkToken(): Promise<void> {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    try {
      const number = await this.graph.json<{ display_phone_number?: string }>('GET', `${this.options.config.phoneNumberId}?fields=display_phone_number,verified_name`);
      const me = String(number.display_phone_number ?? '').replace(/\D/g, '') || null;
      if (this.current.status !== 'connected') this.options.log.info({ me }, 'WhatsApp Cloud API: access token and number accepted');
      this.setState({ status: 'connected', me, lastDisconnect: this.current.lastDisconnect });
    } catch (error) {
      // Whatever Graph refuses here (a wrong number id: 100) is the configuration; only passing trouble is not.
      this.refused(error, true);
    }
  }

  /**
   * A configuration refusal pauses sending (not connected); the gateway keeps everything. The token (190, 0, 401)
   * is checked again every minute by asking for our number. A refusal of the account (locked 131031, payment
   * 131042, policy 368, not registered 133010, permissions) that question does not see: after a longer pause one
   * message is tried, and only that shows it fixed.
   */
  private refused(error: unknown, checkingToken = false): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.probe = null;
    const graph = asGraphError(error);
    const classified = classify(graph.code, graph.status);
    const kind = checkingToken && classified !== 'retry' ? 'configuration' : classified;
    const status = kind === 'configuration' ? 'misconfigured' : 'reconnecting';
    const token = checkingToken || kind !== 'configuration' || graph.code === 190 || graph.code === 0 || (graph.code === null && graph.status === 401);
    const reason = kind !== 'configuration'
      ? `the Cloud API cannot be reached (${graph.reason})`
      : token
        ? `the Cloud API refused the access token or its permissions (${graph.reason}): check CLOUD_ACCESS_TOKEN and CLOUD_PHONE_NUMBER_ID`
        : `the Cloud API refused messages for this account (${graph.reason}): see WhatsApp Manager (account status, payment method, permissions); one message is tried again every ${Math.round((this.options.accountRecheckMs ?? 900_000) / 60_000)} minutes`;
    if (this.current.status !== status) this.options.log.error({ code: graph.code, status: graph.status }, reason);
    this.setState({ status, lastDisconnect: { code: graph.code ?? graph.status, reason, at: new Date(this.now()).toISOString() } });
    if (!this.handlers) return;
    this.recheck = token
      ? setTimeout(() => void this.checkToken(), this.options.recheckMs ?? 60_000)
      : setTimeout(() => {
          // One message only, until its status says whether the account takes messages again (refusals may come by status).
          this.options.log.info('trying one message to see whether the Cloud API takes messages for this account again');
          this.probe = { wamid: null, at: this.now() };
          this.setState({ status: 'connected' });
        }, this.options.accountRecheckMs ?? 900_000);
    this.recheck.unref();
  }

  private setState(change: Partial<ConnectionState>): void {
    const statusChanged = change.status !== undefined && change.status !== this.current.status;
    this.current = { ...this.current, ...change, ...(statusChanged ? { since: new Date(this.now()).toISOString() } : {}) };
    this.handlers?.state(this.current);
  }

  // ---- Meta calls us ----

  readonly webhook: InboundWebhook = {
    verify: (query) => {
      const answer = answerSubscription(query, this.options.config.verifyToken);
      if (answer.status === 200) this.seen.verifiedAt = new Date(this.now()).toISOString();
      else this.options.log.warn('a webhook verification with a wrong verify token (CLOUD_VERIFY_TOKEN differs from the Meta app\'s)');
      return answer;
    },
    maxBodyBytes: WEBHOOK_BODY_BYTES,
    receive: async (body, signature) => {
      if (!signatureMatches(this.options.config.appSecret, body, signature)) {
        // Anyone can post here: logged at most once a minute. Signed WhatsApp notifications refused again and again
        // are Meta's (after an App Secret reset): a /health problem, since Meta gives up on them after 7 days.
        const last = this.seen.badSignatureAt ? Date.parse(this.seen.badSignatureAt) : 0;
        if (this.now() - last > 60_000) this.options.log.warn('a webhook POST without a valid X-Hub-Signature-256 was refused (is CLOUD_APP_SECRET the Meta app\'s secret?)');
        this.seen.badSignatureAt = new Date(this.now()).toISOString();
        if (signature && looksLikeMeta(body, this.options.config.phoneNumberId)) this.seen.refusedNotifications++;
        return { status: 401, body: 'bad signature' };
      }
      this.seen.signedPostAt = new Date(this.now()).toISOString();
      this.seen.refusedNotifications = 0;
      let notification;
      try {
        notification = readNotification(JSON.parse(body.toString('utf8')), this.options.config.phoneNumberId);
      } catch (error) {
        this.options.log.warn({ err: error }, 'a signed webhook POST that is not a WhatsApp notification');
        return { status: 400, body: 'not a whatsapp_business_account notification' };
      }
      const store = this.store;
      if (!store) return { status: 503, body: 'not running' };
      for (const foreign of notification.foreign) {
        // Not ours (another number on the same Meta app): kept, named on /health, never dropped.
        store.keepForeign(foreign.phoneNumberId, foreign.display, foreign.value, this.now());
        this.options.log.warn({ phoneNumberId: foreign.phoneNumberId }, 'a notification for a number this gateway does not serve was kept');
      }
      // Stored before Meta hears 200: a failure answers 500 and Meta sends the POST again (ids deduplicate).
      for (const error of notification.errors) this.options.log.warn({ code: error.code }, `the Cloud API reported a problem with a notification: ${error.title}`);
      for (const message of notification.messages) await this.onMessage(store, message);
      for (const status of notification.statuses) this.onStatus(store, status);
      return { status: 200, body: 'ok' };
    },
  };

  private async onMessage(store: CloudStore, { message, contact }: CloudMessageIn): Promise<void> {
    if (store.seen(String(message.id))) return; // Meta sends a POST again for up to 7 days
    const normalized = normalizeCloudMessage(message, Math.floor(this.now() / 1000));
    // A user id change names the old one (system.previous_user_id, 2026): that is the chat, whatever `from` says.
    const chat = store.chatOf(contact.phone, (normalized.kind === 'changed' && normalized.previousBsuid) || contact.bsuid);
    if (normalized.kind === 'changed' && chat) {
      // The customer's new number or user id: the same chat, replies go there.
      store.changed(chat, normalized.phone, normalized.bsuid);
      this.options.log.info('a customer changed their WhatsApp number or user id; their chat stays');
      return store.noteSeen(String(message.id), this.now());
    }
    if (normalized.kind !== 'message' || !chat || !this.handlers) {
      this.options.log.debug({ id: message.id, reason: normalized.kind === 'ignore' ? normalized.reason : 'no sender' }, 'message not forwarded');
      return;
    }
    this.invitationRetries.delete(chat);
    // The window runs from when they wrote (Meta may deliver late, after an outage), never from the future.
    store.wrote(chat, contact.phone, contact.bsuid, Math.min(this.now(), normalized.timestamp * 1000));
    const { id, timestamp, type, text, ref, media } = normalized;
    await this.handlers.message({
      id, chat, phone: contact.phone, name: contact.name, timestamp, type, text, edited: false, ref,
      media: media ? { mimetype: media.mimetype, filename: media.filename, size: null, source: JSON.stringify({ id: media.mediaId, sha256: media.sha256 }) } : null,
    });
    store.noteSeen(id, this.now());
  }

  private onStatus(store: CloudStore, received: CloudStatusIn): void {
    const handlers = this.handlers;
    if (!handlers) return;
    // A part of a long reply: its refusal is the reply's; its receipts say less than the last part's.
    const whole = store.wholeOf(received.id);
    if (whole && received.status !== 'failed') return;
    const status = whole ? { ...received, id: whole } : received;
    // Meta promises no order: a status for an id nobody knows yet waits for the send's answer to name it.
    const filed = (receipt: Receipt): { chat: string } | null => {
      const row = handlers.receipt(receipt);
      if (!row && !store.isTemplate(status.id)) store.keepOrphan(received, this.now());
      return row;
    };
    const state = status.status === 'played' ? 'read' : status.status;
    if (this.probe?.wamid === status.id && state !== 'failed') {
      this.probe = null; // the account takes messages again
      this.options.log.info('the Cloud API takes messages for this account again');
    }
    if (state === 'failed') {
      store.partRefused(received.id); // sent again, it goes again
      const error = status.errors[0];
      const reason = error ? `${error.code ?? '?'}: ${error.title}${error.details && error.details !== error.title ? ` (${error.details})` : ''}` : 'WhatsApp reported an error';
      const invited = store.templateRefused(status.id);
      if (invited) return this.invitationFailed(invited.chat, error?.code ?? null, reason);
      switch (error ? classify(error.code, null) : 'final') {
        case 'window': {
          // Taken, then refused: the window had closed — for the chat the reply is filed under, whatever address Meta
          // names. The gateway sends it again, which invites the customer first; twice refused, the chat's replies wait.
          const row = filed({ whatsappId: status.id, state: 'held', error: `outside WhatsApp's 24-hour window (${reason})` });
          if (!row) return;
          store.closeWindow(row.chat, status.at);
          return store.windowRefused(row.chat, status.id);
        }
        case 'retry':
          return void filed({ whatsappId: status.id, state: 'retry', error: `WhatsApp could not deliver it for now (${reason}); sending it again` });
        case 'configuration':
          this.refused(new GraphError(error!.title, null, error!.code, error!.details));
          return void filed({ whatsappId: status.id, state: 'retry', error: `WhatsApp refused it for this account (${reason}); sending it again once that is fixed` });
        default:
          return void filed({ whatsappId: status.id, state: 'failed', error: `WhatsApp refused the message (${reason})` });
      }
    }
    if (state === 'sent' || state === 'delivered' || state === 'read') filed({ whatsappId: status.id, state });
  }

  /** Statuses that came before their ids were known, handled once the gateway recorded the send (after its settle). */
  private replayOrphans(store: CloudStore, wamids: string[]): void {
    setImmediate(() => {
      if (this.store !== store) return;
      for (const wamid of wamids) for (const status of store.takeOrphans<CloudStatusIn>(wamid)) this.onStatus(store, status);
    });
  }

  /**
   * WhatsApp refused the template that was to invite the customer (at once or later by status). Passing trouble:
   * what waits is tried again (inviting anew). Otherwise what waits fails with the reason, unless the customer
   * wrote meanwhile (then it went already); the operator hears of it only when it is our template, not the customer.
   */
  private invitationFailed(chat: string, code: number | null, reason: string): void {
    const kind = classify(code, null);
    if (kind === 'retry' || kind === 'configuration') {
      // Tried again (inviting anew) after a pause that grows while it keeps failing: never a loop of invitations.
      const tries = (this.invitationRetries.get(chat) ?? 0) + 1;
      this.invitationRetries.set(chat, tries);
      const timer = setTimeout(() => this.handlers?.releaseHeld(chat), backoffDelay(tries, INVITATION_BACKOFF));
      timer.unref();
      return;
    }
    this.invitationRetries.delete(chat);
    const name = this.options.config.template?.name;
    const ours = code === null || code === 100 || code === 131008 || code === 131009 || (code >= 132000 && code < 133000);
    if (ours) {
      this.templateProblem = `WhatsApp refused the template "${name}" (${reason}) at ${new Date(this.now()).toISOString()}: check it, its language (CLOUD_TEMPLATE_LANGUAGE) and its one body parameter in WhatsApp Manager`;
      this.options.log.error({ code, template: name }, 'WhatsApp refused the invitation template: check CLOUD_TEMPLATE and CLOUD_TEMPLATE_LANGUAGE');
    } else {
      this.options.log.warn({ code, template: name }, 'WhatsApp did not deliver the invitation template to this customer');
    }
    const why = ours
      ? `WhatsApp refused the template "${name}" that was to invite the customer to answer (${reason})`
      : `WhatsApp did not deliver the template "${name}" inviting the customer to answer (${reason}: on the customer's side)`;
    this.handlers?.failHeld(chat, `outside WhatsApp's 24-hour window, and ${why}; the reply was not delivered`);
  }

  // ---- we call Meta ----

  async send(chat: string, text: string, messageId: string, media?: OutboundMedia, context?: SendContext): Promise<SendResult> {
    const store = this.store;
    if (!store || this.current.status !== 'connected') {
      throw new SendError(`the Cloud API is not usable now (${this.current.status})`, 'not_connected', true);
    }
    // Its status is waited for 10 minutes at most: no word then is no refusal.
    if (this.probe?.wamid && this.now() - this.probe.at < 600_000) throw new SendError('waiting for WhatsApp\'s word on the one message tried after the account was refused', 'not_connected', true);
    // Refused for the window twice since the customer last wrote: held, whatever the window looks like from here.
    const refusedTwice = store.windowRefusals(chat) >= 2;
    if (refusedTwice || !store.windowOpen(chat, this.now())) return this.outsideWindow(store, chat, messageId, context?.ticket ?? null, refusedTwice);
    const parts = this.partsOf(text, media); // refuses a file type the Cloud API takes in no message, before any upload
    const startedAt = this.now();
    try {
      const wamids: string[] = [];
      for (const [index, part] of parts.entries()) {
        const callback = callbackOf(parts.length > 1 ? `${messageId}#${index + 1}` : messageId, chat);
        // Sent before (the rest failed, or the answer was lost but a status says Meta took it): not again.
        const wamid = store.partSent(callback) ?? store.takenUnder(callback) ?? (await this.post(store, chat, await part(), callback));
        store.notePart(callback, wamid, this.now());
        wamids.push(wamid);
      }
      // The reply is known by its last part; a refusal of an earlier one is a refusal of the reply.
      const whatsappId = wamids[wamids.length - 1]!;
      store.rememberParts(wamids.slice(0, -1), whatsappId);
      this.replayOrphans(store, wamids);
      if (this.probe) this.probe = { wamid: whatsappId, at: this.now() };
      return { whatsappId };
    } catch (error) {
      const graph = error instanceof GraphError ? error : null;
      if (!graph) throw error;
      switch (classify(graph.code, graph.status)) {
        case 'window':
          store.closeWindow(chat, startedAt);
          return this.outsideWindow(store, chat, messageId, context?.ticket ?? null);
        case 'configuration':
          this.refused(graph);
          throw new SendError(`the Cloud API refused it for the access token or this account (${graph.reason}); sent once that is fixed`, 'configuration', true);
        case 'retry':
          throw new SendError(`the Cloud API asked to try again later (${graph.reason})`, graph.code === PAIR_RATE_LIMIT ? 'pair_rate_limit' : 'cloud_retry', true);
        default:
          throw new SendError(`the Cloud API refused the message (${graph.reason})`, 'cloud_refused', false);
      }
    }
  }

  /**
   * What one reply becomes within Meta's limits: a text over 4,096 characters in marked parts; a file with
   * its caption, or without it and the caption as text when it is over 1,024 characters.
   */
  private partsOf(text: string, media?: OutboundMedia): Array<() => Promise<Record<string, unknown>>> {
    const texts = (body: string) => textParts(body).map((part) => async () => ({ type: 'text', text: { body: part, preview_url: /https?:\/\//.test(part) } }));
    if (!media) return texts(text);
    const kind = mediaKind(media.mimetype, media.data.length);
    if (!kind) {
      throw new SendError(
        `the Cloud API does not take this file: "${media.filename}" (${media.mimetype}, ${Math.ceil(media.data.length / 1024)} kB); it takes ${TAKEN_TYPES}, documents up to 100 MB`,
        'unsupported_file', false,
      );
    }
    const captioned = [...text].length <= MAX_CAPTION_CHARS && kind !== 'audio';
    const file = async () => this.mediaContent(media, kind, captioned ? text : '');
    return captioned || text === '' ? [file] : [file, ...texts(text)];
  }

  /**
   * The customer last wrote more than 24 hours ago: free-form messages may not go. Invite them with the
   * template (once until they answer) and hold the reply; without a template, the reply cannot go at all.
   */
  private async outsideWindow(store: CloudStore, chat: string, messageId: string, ticket: string | null, held = false): Promise<never> {
    const template = this.options.config.template;
    if (!template) {
      throw new SendError(
        'the customer last wrote more than 24 hours ago, and outside that window WhatsApp takes only an approved template; none is configured (CLOUD_TEMPLATE)',
        'window_closed', false,
      );
    }
    if (!store.invitedSinceLastMessage(chat, this.now())) {
      let wamid: string;
      try {
        wamid = await this.post(store, chat, {
          type: 'template',
          template: {
            name: template.name,
            language: { code: template.language },
            components: [{ type: 'body', parameters: [{ type: 'text', text: ticket ?? '-' }] }],
          },
        }, callbackOf(`T${messageId}`, chat));
      } catch (error) {
        const graph = asGraphError(error);
        const kind = classify(graph.code, graph.status);
        if (kind === 'configuration') this.refused(graph);
        if (kind === 'retry' || kind === 'configuration') throw new SendError(`the invitation template could not be sent now (${graph.reason})`, 'cloud_retry', true);
        this.invitationFailed(chat, graph.code, graph.reason);
        throw new SendError(`outside WhatsApp's 24-hour window, and WhatsApp refused the template "${template.name}" (${graph.reason})`, 'template_refused', false);
      }
      store.invited(chat, wamid, this.now());
      this.replayOrphans(store, [wamid]);
      this.templateProblem = null;
      this.options.log.info({ template: template.name }, 'outside the 24-hour window: the customer was invited by template');
    }
    // The customer may have written while the template was on its way: then the reply is due now, not held.
    if (!held && store.windowOpen(chat, this.now())) throw new SendError('the customer wrote meanwhile; sending now', 'window_reopened', true);
    throw new SendError(
      `outside WhatsApp's 24-hour window: the customer was sent the template "${template.name}" inviting them to answer; the reply follows when they do`,
      'window_closed', true, true,
    );
  }

  /**
   * Sends one message to the chat: a phone number in `to`, a business-scoped user id in `recipient`. `callback`
   * rides along as `biz_opaque_callback_data`; Meta echoes it in sent, delivered and read statuses. If the answer
   * is lost (timeout, reset) while such a status says Meta took the message, that is the answer — not a second send.
   */
  private async post(store: CloudStore, chat: string, content: Record<string, unknown>, callback: string): Promise<string> {
    try {
      const to = store.addressOf(chat);
      const answer = await this.graph.json<{ contacts?: Array<{ wa_id?: string }>; messages?: Array<{ id?: string }> }>('POST', `${this.options.config.phoneNumberId}/messages`, {
        messaging_product: 'whatsapp', recipient_type: 'individual', ...to, ...content, biz_opaque_callback_data: callback,
      });
      const id = answer.messages?.[0]?.id;
      // A 200 is not delivery: WhatsApp's refusals come later as a failed status.
      if (!id) throw new GraphError('the Cloud API answered without a message id', 200, null, '');
      const waId = answer.contacts?.[0]?.wa_id;
      if (typeof waId === 'string' && /^\d{6,15}$/.test(waId)) store.rememberAddress(chat, waId);
      return id;
    } catch (error) {
      const lost = asGraphError(error).status === null;
      // Meta's "sent" status often comes within a few hundred ms of its answer (botpress#15029): given that long.
      const taken = lost ? await this.takenWithin(store, callback, LOST_ANSWER_WAIT_MS) : undefined;
      if (taken) return taken;
      // Meta may have taken it: sent again, the customer may see it twice (the Cloud API has no idempotency key).
      if (lost) this.lostAnswers++;
      throw error;
    }
  }

  private async takenWithin(store: CloudStore, callback: string, ms: number): Promise<string | undefined> {
    for (const until = Date.now() + ms; ; ) {
      const taken = this.store === store ? store.takenUnder(callback) : undefined;
      if (taken || Date.now() >= until) return taken;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Uploads an agent's file and describes it by its Cloud media id, as the kind of message its type and size allow. */
  private async mediaContent(media: OutboundMedia, kind: 'image' | 'audio' | 'video' | 'document', caption: string): Promise<Record<string, unknown>> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', media.mimetype);
    form.set('file', new Blob([new Uint8Array(media.data)], { type: media.mimetype }), media.filename);
    const { id } = await this.graph.json<{ id?: string }>('POST', `${this.options.config.phoneNumberId}/media`, form, transferTimeout(media.data.length));
    if (!id) throw new GraphError('the Cloud API answered the upload without a media id', 200, null, '');
    const captioned = caption === '' ? {} : { caption };
    if (kind === 'document') return { type: 'document', document: { id, filename: media.filename, ...captioned } };
    return { type: kind, [kind]: { id, ...(kind === 'audio' ? {} : captioned) } };
  }

  /** A customer's file: its URL from Graph (valid about 5 minutes), then the bytes, checked against the sha256 WhatsApp gave. */
  async downloadMedia(source: string, maxBytes: number): Promise<Buffer> {
    let data: Buffer | null;
    let sha256 = '';
    try {
      const parsed = JSON.parse(source) as { id?: unknown; sha256?: unknown };
      if (typeof parsed.id !== 'string') throw new MediaError('not a Cloud API file', 'download_failed', false);
      const id = parsed.id;
      sha256 = typeof parsed.sha256 === 'string' ? parsed.sha256 : '';
      const meta = await this.graph.json<{ url?: string; file_size?: number | string; sha256?: string }>('GET', encodeURIComponent(id));
      if (Number(meta.file_size ?? 0) > maxBytes) throw new MediaError('the file is larger than MEDIA_MAX_MB', 'too_large', false);
      if (!meta.url) throw new MediaError('the Cloud API gave no URL for the file', 'download_failed', true);
      data = await this.graph.bytes(meta.url, maxBytes, transferTimeout(Number(meta.file_size ?? maxBytes)));
    } catch (error) {
      if (error instanceof MediaError) throw error;
      if (error instanceof SyntaxError) throw new MediaError('not a Cloud API file', 'download_failed', false);
      const graph = asGraphError(error);
      const kind = classify(graph.code, graph.status);
      if (graph.status === 404 || kind === 'final') throw new MediaError(`the file is no longer available at WhatsApp (${graph.reason})`, 'expired', false);
      throw new MediaError(`download failed (${graph.reason})`, 'download_failed', true);
    }
    if (data === null) throw new MediaError('the file is larger than MEDIA_MAX_MB', 'too_large', false);
    if (sha256 && !hashMatches(data, sha256)) throw new MediaError('the file arrived damaged (its sha256 differs from what WhatsApp announced)', 'download_failed', true);
    return data;
  }

  forget(chat: string): void {
    this.store?.forget(chat);
  }

  /** For /status and /health: the template, what Meta's webhook did last, numbers that are not ours. */
  describe(): TransportDetails {
    const foreign = this.store?.foreign() ?? [];
    const template = this.options.config.template;
    const problems = foreign.map((f) => `notifications for number ${f.display || '?'} (phone_number_id ${f.phone_number_id}) arrive here (${f.count} kept): point that number's webhook at its own gateway`);
    if (this.templateProblem) problems.push(this.templateProblem);
    if (this.seen.refusedNotifications >= REFUSED_NOTIFICATIONS_ALARM) {
      problems.push(
        `Meta's webhook signature does not match CLOUD_APP_SECRET: ${this.seen.refusedNotifications} signed WhatsApp notifications refused since ${this.seen.signedPostAt ? `the last good one at ${this.seen.signedPostAt}` : 'the start'}; ` +
          'set CLOUD_APP_SECRET to the Meta app\'s secret (App settings › Basic) — Meta sends them again for up to 7 days',
      );
    }
    return {
      details: {
        phone_number_id: this.options.config.phoneNumberId,
        template: template ? { name: template.name, language: template.language } : null,
        webhook: {
          verified_at: this.seen.verifiedAt, last_signed_post_at: this.seen.signedPostAt, last_bad_signature_at: this.seen.badSignatureAt,
          refused_notifications: this.seen.refusedNotifications,
        },
        foreign_numbers: foreign.map((f) => ({ phone_number_id: f.phone_number_id, display: f.display, kept: f.count })),
        lost_answers: this.lostAnswers,
      },
      problems,
    };
  }
}

/** Whether a body is shaped like Meta's notifications for our number (its phone_number_id, which strangers rarely know). */
function looksLikeMeta(body: Buffer, phoneNumberId: string): boolean {
  if (!body.includes(phoneNumberId)) return false; // cheap before parsing what anyone may post
  try {
    const value = JSON.parse(body.toString('utf8')) as { object?: unknown; entry?: Array<{ changes?: Array<{ value?: { metadata?: { phone_number_id?: unknown } } }> }> };
    return value.object === 'whatsapp_business_account' && !!value.entry?.some((entry) => entry.changes?.some((change) => change.value?.metadata?.phone_number_id === phoneNumberId));
  } catch {
    return false;
  }
}

/** `biz_opaque_callback_data` of a send (at most 512 characters): our message id (and part) and the chat. */
function callbackOf(messageId: string, chat: string): string {
  return `${messageId} ${chat}`;
}


/** WhatsApp gives the sha256 in base64 in webhooks and (by third-party accounts) in hex from Graph: either is accepted. */
function hashMatches(data: Buffer, announced: string): boolean {
  const digest = createHash('sha256').update(data).digest();
  return announced.toLowerCase() === digest.toString('hex') || announced === digest.toString('base64');
}
