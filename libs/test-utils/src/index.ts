/** @todo/test-utils: helpers the real-cluster tests share (apps/e2e, tools/offline-kind). */

/**
 * Retries `fn` until it returns without throwing (a pod restarting, a Service getting endpoints, an
 * ingress route appearing), every `everyMs`, for at most `timeoutMs`; then fails with what was being
 * waited for and the last error.
 */
export async function eventually<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000, everyMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: still failing after ${timeoutMs / 1000}s: ${String((last as Error)?.message ?? last)}`);
}
