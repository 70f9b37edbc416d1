/**
 * Retries `check` (which throws, e.g. a failed `expect`, while the condition does not hold) until it returns,
 * or fails after `timeoutMs` with the last error. Every wait in the suite goes through here, so none is unbounded.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs);
  }
  const detail = last instanceof Error ? last.message : String(last);
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${detail}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
