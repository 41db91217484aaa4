import type { Logger } from 'pino';
import type { Outcome } from './outcome.js';

/** How the webhook as a whole is doing, as opposed to one event; `unconfirmed`: nothing reached the plugin since the start yet. */
export type TargetState = 'ok' | 'unconfirmed' | 'failing' | 'misconfigured';

export const UNCONFIRMED = 'not yet confirmed: no hello or delivery has reached the plugin since the service started';

export interface TargetStatus {
  state: TargetState;
  /** Why it is not ok, without secrets or message text. */
  problem: string | null;
  since: string;
  /** When a hello or a delivery last reached the plugin, or null. */
  lastOkAt: string | null;
}

/**
 * Follows the webhook's state from delivery outcomes and logs each change
 * once, so a wrong secret is one warning, not one per message.
 */
export class TargetHealth {
  private current: TargetStatus;

  /** `initial`: what is known before anything was sent (no WEBHOOK_URL), else the webhook is unconfirmed. */
  constructor(private readonly log: Logger, initial: Outcome | null = null, private readonly now: () => number = Date.now) {
    this.current = { state: 'unconfirmed', problem: UNCONFIRMED, since: new Date(this.now()).toISOString(), lastOkAt: null };
    if (initial) this.record(initial);
  }

  get status(): TargetStatus {
    return this.current;
  }

  get healthy(): boolean {
    return this.current.state === 'ok';
  }

  /** Returns true when this outcome ended a failure: waiting events may go now. */
  record(outcome: Outcome): boolean {
    // A final refusal is an answer from a working plugin: the target is fine.
    const state: TargetState = outcome.kind === 'retry' ? 'failing' : outcome.kind === 'configuration' ? 'misconfigured' : 'ok';
    const problem = outcome.kind === 'retry' || outcome.kind === 'configuration' ? outcome.reason : null;
    const previous = this.current;
    const lastOkAt = state === 'ok' ? new Date(this.now()).toISOString() : previous.lastOkAt;
    if (state === previous.state && (state !== 'misconfigured' || problem === previous.problem)) {
      this.current = { ...previous, lastOkAt };
      return false;
    }
    this.current = { state, problem, since: new Date(this.now()).toISOString(), lastOkAt };
    if (state === 'ok') this.log.info({ after: previous.problem }, previous.state === 'unconfirmed' ? 'webhook confirmed: the plugin answers' : 'webhook reachable again; delivering what waited');
    else if (state === 'misconfigured') this.log.error({ problem }, 'webhook configuration problem: messages are kept and retried until it is fixed');
    else this.log.warn({ problem }, 'webhook unreachable: messages are kept and retried');
    return previous.state !== 'ok' && state === 'ok';
  }
}
