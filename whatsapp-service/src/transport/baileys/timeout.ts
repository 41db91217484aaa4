/**
 * `work`, or `expired()`'s error after `ms`: Baileys' sends and downloads have
 * no time limit of their own. The timer never outlives the race.
 */
export function within<T>(work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
