/**
 * Meta's error codes (…/whatsapp/support/error-codes) in the gateway's
 * failure taxonomy (docs/contract.md 2.3, 3.1). Pure.
 */
export type CloudErrorKind =
  /** Passing: try this message again later. */
  | 'retry'
  /** The token, its permissions or the account: keep everything, pause sending, tell the operator. */
  | 'configuration'
  /** Outside the customer-service window: only a template may go until the customer writes. */
  | 'window'
  /** This one message will never go. */
  | 'final';

export const RETRY = new Set([1, 2, 4, 130429, 131000, 131016, 131048, 131056, 131057, 133004, 80007]);
export const CONFIGURATION = new Set([0, 3, 10, 190, 368, 131005, 131031, 131042, 131045, 133010]);
export const WINDOW = new Set([131047]);

export function classify(code: number | null, httpStatus: number | null): CloudErrorKind {
  if (code !== null) {
    if (WINDOW.has(code)) return 'window';
    if (RETRY.has(code)) return 'retry';
    if (CONFIGURATION.has(code) || (code >= 200 && code <= 299)) return 'configuration';
    return 'final'; // 100, 131026, 131049, 131051-131053, 130472, 132xxx (templates), ...
  }
  if (httpStatus === null || httpStatus >= 500 || httpStatus === 408 || httpStatus === 429) return 'retry';
  if (httpStatus === 401 || httpStatus === 403) return 'configuration';
  return 'final';
}

/** 131056: too many messages to this one customer in a short time: only they wait (pair rate limit). */
export const PAIR_RATE_LIMIT = 131056;
