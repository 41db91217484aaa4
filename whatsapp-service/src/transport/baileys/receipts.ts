import type { DeliveryState } from '../transport.js';

/**
 * proto.WebMessageInfo.Status -> our delivery state. 1 (pending) says
 * nothing new; 5 (played) counts as read.
 */
export function receiptState(status: number | null | undefined): DeliveryState | null {
  switch (status) {
    case 0:
      return 'failed';
    case 2:
      return 'sent';
    case 3:
      return 'delivered';
    case 4:
    case 5:
      return 'read';
    default:
      return null;
  }
}
