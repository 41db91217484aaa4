/** What to do after WhatsApp closed the connection. Pure. */
export type DisconnectAction =
  | { kind: 'restart' }
  | { kind: 'reconnect'; loud?: boolean }
  | { kind: 'logged_out' }
  | { kind: 'replaced' }
  | { kind: 'banned' }
  | { kind: 'wait_for_operator' };

/**
 * Codes from Baileys' DisconnectReason. 515 is normal right after pairing.
 * 408 "QR refs attempts ended" while no phone is linked means nobody scanned the
 * codes: we wait for the operator instead of showing codes forever. Any other
 * 408 (a network timeout) is retried.
 */
export function disconnectAction(code: number | null, linked: boolean, message = ''): DisconnectAction {
  switch (code) {
    case 515:
      return { kind: 'restart' };
    case 401:
      return { kind: 'logged_out' };
    case 440:
      return { kind: 'replaced' };
    case 403:
      return { kind: 'banned' };
    case 405:
      // The WhatsApp Web version this Baileys bundles is refused: only an update helps; keep trying loudly.
      return { kind: 'reconnect', loud: true };
    case 408:
      return !linked && /QR refs attempts ended/i.test(message) ? { kind: 'wait_for_operator' } : { kind: 'reconnect' };
    default:
      // 428, 500, 503, 411 and anything unknown: a fresh connection usually helps.
      return { kind: 'reconnect' };
  }
}

export function describeDisconnect(code: number | null, message: string | undefined): string {
  const known: Record<number, string> = {
    401: 'logged out from the phone',
    403: 'forbidden (the number may be banned)',
    405: 'WhatsApp Web version outdated, update the service',
    408: 'connection timed out',
    411: 'multi-device mismatch',
    428: 'connection closed',
    440: 'replaced by another WhatsApp Web session',
    500: 'bad session',
    503: 'WhatsApp unavailable',
    515: 'restart required',
  };
  return (code !== null ? known[code] : undefined) ?? message ?? 'unknown reason';
}
