export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Retry pace while the webhook is misconfigured: fast enough to notice the fix, capped. */
export const CONFIGURATION_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 60_000 };

/**
 * Delay before retry number `attempt` (1 = first retry): exponential with
 * "equal jitter", so it never collapses to zero yet spreads retries out.
 * `random` is injectable to make it a pure function in tests.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
