/*
 * The whole application on this machine: the production backend (SQLite) and the
 * standalone Next.js server, driven through the browser as a user would.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';
import { RunningServer, startBackend, startFrontend } from './processes';
import { firstUserJourney, secondUserSeesNothing } from './user-journey';

describe('todo app on loopback', () => {
  let backend: RunningServer;
  let frontend: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    backend = await startBackend();
    frontend = await startFrontend(backend.url);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await frontend?.stop();
    await backend?.stop();
  });

  it('keeps a user’s tasks across reloads and hides them from other users', async () => {
    try {
      const { titles } = await firstUserJourney(browser, frontend.url);
      await secondUserSeesNothing(browser, frontend.url, titles);
    } catch (err) {
      // The servers' own output is the fastest way to see why a journey failed.
      console.error(`backend output:\n${backend.output()}\n\nfrontend output:\n${frontend.output()}`);
      throw err;
    }
  });
});
