/*
 * playwright-core has no test runner and no `expect`; this is the small subset of
 * web-first assertions the journeys use, each retrying until its timeout like Playwright's.
 */
import type { Browser, Locator, Page } from 'playwright-core';
export type { Browser, Page };

const DEFAULT_TIMEOUT_MS = 15_000;

async function poll(describe: string, check: () => Promise<boolean>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${describe} within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

function assertions(locator: Locator, negate: boolean) {
  const label = `${locator}`;
  const want = (ok: boolean) => (negate ? !ok : ok);
  const not = negate ? 'not ' : '';
  return {
    toBeVisible: () => poll(`${label} ${not}to be visible`, async () => want(await locator.first().isVisible())),
    toBeChecked: () => poll(`${label} ${not}to be checked`, async () => want(await locator.isChecked())),
    toHaveCount: (n: number) => poll(`${label} ${not}to have count ${n}`, async () => want((await locator.count()) === n)),
  };
}

export function expect(locator: Locator) {
  return { ...assertions(locator, false), not: assertions(locator, true) };
}
