import type { Logger } from 'pino';
import type { Outcome } from './outcome.js';

/** How the webhook as a whole is doing, as opposed to one event. */
export type TargetState = 'ok' | 'failing' | 'misconfigured';

export interface TargetStatus {
  state: TargetState;
  /** Why it is not ok, without secrets or message text. */
  problem: string | null;
  since: string;
}

/**
 * Follows the webhook's state from delivery outcomes and logs each change
 * once, so a wrong secret is one warning, not one per message.
 */
export class TargetHealth {
  private current: TargetStatus;

  constructor(private readonly log: Logger, initial: Outcome | null = null, private readonly now: () => number = Date.now) {
    this.current = { state: 'ok', problem: null, since: new Date(this.now()).toISOString() };
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
    if (state === previous.state && (state !== 'misconfigured' || problem === previous.problem)) return false;
    this.current = { state, problem, since: new Date(this.now()).toISOString() };
    if (state === 'ok') this.log.info({ after: previous.problem }, 'webhook reachable again; delivering what waited');
    else if (state === 'misconfigured') this.log.error({ problem }, 'webhook configuration problem: messages are kept and retried until it is fixed');
    else this.log.warn({ problem }, 'webhook unreachable: messages are kept and retried');
    return previous.state !== 'ok' && state === 'ok';
  }
}
