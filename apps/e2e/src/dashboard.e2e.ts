/*
 * The dashboard's page (tools/dashboard) in Debian's Chromium at a laptop's width, on loopback, fed a
 * scripted state through the real server (no cluster: the page against a real dev-local is
 * src/dev-loop/dashboard.dev-loop.ts): every view renders state as colour and text, is reachable with
 * the keyboard and has no serious or critical axe-core violation; changes arrive without a reload; an
 * action carries the session token and shows its progress; a page on another origin cannot trigger one.
 * Screenshots of each view go to reports/dashboard/ (a CI artifact).
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ActionRequest, DashboardServer, DashboardState, startDashboardServer } from '@todo/dashboard';
import { launchBrowser } from './browser';

const SHOTS = join(__dirname, '../../../reports/dashboard');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

let state: DashboardState;
let server: DashboardServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let evil: Server;
const asked: ActionRequest[] = [];

/** What the loop would do for a rebuild: a pass with its step lines, then done. */
function act(r: ActionRequest): number {
  asked.push(r);
  const action = state.actionQueued(r.kind, r.service);
  setTimeout(() => {
    const pass = state.passStarted(`${r.kind} ${r.service} (from the dashboard)`, 'action');
    state.actionUpdate(action.id, { status: 'running', passId: pass });
    state.passLine(pass, `[1/4] build ${r.service}: todo-${r.service}-dev:content-9f8e7d is not in the Docker daemon`);
    setTimeout(() => {
      state.passLine(pass, `[1/4] build ${r.service}: done in 7.5s`);
      state.passEnded(pass);
      state.actionUpdate(action.id, { status: 'ok' });
    }, 1500);
  }, 200);
  return action.id;
}

beforeAll(async () => {
  state = new DashboardState({ mode: 'dev', environment: 'local', namespace: 'todo-local', cluster: 'kind todo', appUrl: 'http://todo.localhost/', actions: ['rebuild', 'restart', 'deploy'] }, ['backend', 'frontend']);
  state.setPods([
    { component: 'backend', name: 'todo-backend-7d9c5b7f9-x2xkq', uid: 'b1', ready: true, phase: 'Running', deleting: false, restarts: 0, node: 'todo-control-plane', createdAt: minutesAgo(12), image: 'todo-backend-dev:content-1a2b3c', syncedAt: minutesAgo(3) },
    { component: 'frontend', name: 'todo-frontend-5c8d9-abcde', uid: 'f1', ready: false, phase: 'Running', deleting: false, restarts: 3, waiting: 'CrashLoopBackOff', lastExit: 'Error (exit 1)', node: 'todo-control-plane', createdAt: minutesAgo(2) },
  ]);
  state.setService('backend', { image: { ref: 'todo-backend-dev:content-1a2b3c', contentTag: 'content-1a2b3c', builtAt: minutesAgo(60), size: 110e6 }, portForward: '127.0.0.1:18000 -> port 8000' });
  state.setService('frontend', { url: 'http://todo.localhost/' });
  state.setLastDeploy({ environment: 'local', success: true, seconds: 41.2, at: minutesAgo(30), steps: [{ name: 'helm release', outcome: 'ran', reason: 'revision 2 was made from other values', seconds: 9.3 }, { name: 'smoke check', outcome: 'ran', reason: 'GET /login (200)', seconds: 0.4 }] });
  const p = state.passStarted('pass 3', 'pass', ['apps/backend/todo_api/deps.py']);
  state.passLine(p, 'backend: synced 1 file (apps/backend/todo_api/deps.py) into todo-backend-7d9c5b7f9-x2xkq in 0.3s; the server reloads (no build, no upgrade)');
  state.passSynced(p, 'backend');
  state.passEnded(p);
  state.logLine('backend', 'Traceback (most recent call last):');
  state.logLine('backend', 'SyntaxError: invalid syntax');
  server = await startDashboardServer({ state, port: 0, act });
  browser = await launchBrowser();
  // A laptop's width; bypassCSP only so that the test can inject axe-core.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  page = await context.newPage();
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  evil?.close();
});

async function axe(): Promise<string[]> {
  await page.evaluate(readFileSync(require.resolve('axe-core'), 'utf8'));
  const r = (await page.evaluate(() => (window as unknown as { axe: { run: () => Promise<unknown> } }).axe.run())) as { violations: { id: string; impact: string; nodes: { html: string }[] }[] };
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.nodes[0]?.html}`);
}

test('each view: state as colour and text, keyboard reachable, no serious or critical axe violation; its weight', async () => {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));
  await page.goto(server.url);
  await page.waitForSelector('#connection.ok');
  expect(await page.textContent('#services article[data-service=backend] .service-state')).toBe('Ready 1/1');
  expect(await page.getAttribute('#services article[data-service=backend] .service-state .badge', 'class')).toBe('badge ok');
  expect(await page.textContent('#services article[data-service=frontend] .service-state')).toBe('CrashLoopBackOff (0/1 ready)');
  expect(await page.getAttribute('#services article[data-service=frontend] .service-state .badge', 'class')).toBe('badge bad');
  expect(await page.textContent('#services article[data-service=backend] .sync-state')).toMatch(/^synced files since/);
  expect(await page.textContent('#services article[data-service=frontend] .sync-state')).toBe('image-built (no synced files)');
  expect(await page.$$eval('#services th', (t) => t.map((x) => x.textContent))).not.toContain('CPU'); // no metrics API yet
  await cdp.detach();
  process.stderr.write(`dashboard page: ${bytes} bytes on first load (page, script, style; the state stream not included)\n`);
  const reached: string[] = [];
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
  }
  expect(reached).toEqual(expect.arrayContaining(['Services', 'Passes', 'Logs', 'Open the app', 'Run the deploy', 'Rebuild backend', 'Restart backend pods']));
  expect(await axe()).toEqual([]);
  await page.screenshot({ path: join(SHOTS, 'loopback-services.png'), fullPage: true });
  for (const view of ['passes', 'logs'] as const) {
    await page.click(`#tab-${view}`);
    await page.waitForSelector(`#view-${view}:not([hidden])`);
    expect(await page.getAttribute(`#tab-${view}`, 'aria-current')).toBe('page');
    expect(await axe()).toEqual([]);
    await page.screenshot({ path: join(SHOTS, `loopback-${view}.png`), fullPage: true });
  }
  await page.click('#tab-passes');
  const pass = page.locator('#passes .pass').first();
  expect(await pass.getAttribute('data-status')).toBe('failed');
  expect(await pass.textContent()).toMatch(/pass 3failed.*1 changed file: apps\/backend\/todo_api\/deps\.py.*backend: synced 1 file.*backend: the server failed to load the change.*SyntaxError/s);
}, 120_000);

test('changes arrive without a reload: a new pod, a metrics reading, a log line under the filter', async () => {
  await page.click('#tab-services');
  state.setPods([
    { component: 'backend', name: 'todo-backend-7d9c5b7f9-x2xkq', uid: 'b1', ready: true, phase: 'Running', deleting: true, restarts: 0 },
    { component: 'backend', name: 'todo-backend-6b5a4-zzzzz', uid: 'b2', ready: false, phase: 'Pending', deleting: false, restarts: 0, waiting: 'ContainerCreating', createdAt: new Date().toISOString() },
  ]);
  state.setMetrics(new Map([['todo-backend-6b5a4-zzzzz', { cpu: '4m', memory: '96Mi' }]]));
  await page.waitForSelector('#services tr[data-uid=b2]');
  expect(await page.textContent('#services tr[data-uid=b2]')).toMatch(/ContainerCreating.*4m.*96Mi/);
  expect(await page.textContent('#services tr[data-uid=b1]')).toContain('Terminating');
  await page.click('#tab-logs');
  await page.selectOption('#log-service', 'backend');
  await page.fill('#log-filter', 'needle-42');
  state.logLine('frontend', 'GET /login needle-42'); // another service: filtered out
  state.logLine('backend', 'GET /api/tasks 401 needle-42');
  state.logLine('backend', 'GET /api/tasks 200 other');
  await page.waitForFunction(() => (document.getElementById('log-lines')?.textContent ?? '').includes('needle-42'));
  expect(await page.textContent('#log-lines')).toBe('[backend] GET /api/tasks 401 needle-42\n');
}, 60_000);

test('the rebuild button sends the action with the token and shows its progress', async () => {
  await page.click('#tab-services');
  await page.click('#services article[data-service=backend] button[data-action=rebuild]');
  await page.waitForFunction(() => /^rebuild backend: running: build backend/.test(document.getElementById('progress')?.textContent ?? ''));
  await page.waitForFunction(() => document.getElementById('progress')?.textContent === 'rebuild backend: done', undefined, { timeout: 10_000 });
  expect(asked).toEqual([{ kind: 'rebuild', service: 'backend' }]);
}, 60_000);

test('a page on another origin cannot trigger an action: no-cors fetch, CORS fetch, form post', async () => {
  const ui = server.url;
  const body = JSON.stringify({ kind: 'deploy' });
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>other site</title>
      <form method="POST" action="${ui}api/actions" enctype="text/plain"><input name='{"kind":"deploy","x":"' value='"}'><button id="go">go</button></form>
      <script>
        window.results = [];
        fetch('${ui}api/actions', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '${body}' }).then((r) => results.push('no-cors ' + r.type), (e) => results.push('no-cors ' + e));
        fetch('${ui}api/actions', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Dashboard-Token': 'guess' }, body: '${body}' }).then((r) => results.push('cors ' + r.status), (e) => results.push('cors refused: ' + e.message));
        fetch('${ui}').then((r) => r.text()).then((t) => results.push('read page ' + t.length), (e) => results.push('read page refused: ' + e.message));
      </script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  const other = await context.newPage();
  try {
    await other.goto(`http://localhost:${(evil.address() as { port: number }).port}/`);
    await other.waitForFunction(() => (window as unknown as { results: string[] }).results.length === 3);
    expect(await other.evaluate(() => (window as unknown as { results: string[] }).results.sort())).toEqual(['cors refused: Failed to fetch', 'no-cors opaque', 'read page refused: Failed to fetch']);
    await Promise.all([other.waitForURL(`${ui}api/actions`), other.click('#go')]);
    expect(await other.textContent('body')).toMatch(/cross-site request refused/);
  } finally {
    await other.close();
  }
  expect(asked).toEqual([{ kind: 'rebuild', service: 'backend' }]); // only the page's own, from the test before
}, 60_000);
