import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import type { Outcome } from './outcome.js';
import type { TargetHealth } from './target-health.js';

export interface GreeterOptions {
  /** One signed `hello` to the webhook (docs/contract.md 2.5). */
  hello(): Promise<Outcome>;
  health: TargetHealth;
  /** The hello ended an outage: what waits for the webhook may go now. */
  recovered(): void;
  backoff: BackoffPolicy;
  random?: () => number;
}

/**
 * Says hello to the plugin at start and after every reconnect: a wrong URL,
 * secret or instance shows within seconds, before any customer writes, and
 * the plugin hands over the replies that waited for the service. A hello that
 * does not reach the plugin is tried again (configuration pace) until one does,
 * or until a delivered message has shown the webhook works.
 */
export class Greeter {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** Asked again while one was in flight: one more follows it. */
  private again = false;
  private attempts = 0;
  private stopped = false;

  constructor(private readonly options: GreeterOptions) {}

  greet(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempts = 0;
    this.inFlight = this.attempt();
  }

  /** Waits for a hello in flight (bounded by the webhook's timeout), then sends no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  private async attempt(): Promise<void> {
    const outcome = await this.options.hello().catch((error: unknown): Outcome => ({ kind: 'retry', reason: String(error), retryAfterMs: null }));
    if (this.options.health.record(outcome)) this.options.recovered();
    this.inFlight = null;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      return this.greet();
    }
    // Delivered, or the plugin itself answered (an older one refuses the unknown event): it is there.
    if (outcome.kind === 'delivered' || outcome.kind === 'final') return;
    this.attempts += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A message got through meanwhile: the webhook works, no hello needed to show it.
      if (this.options.health.status.state === 'ok') return;
      this.inFlight = this.attempt();
    }, backoffDelay(this.attempts, this.options.backoff, this.options.random));
    this.timer.unref();
  }
}
