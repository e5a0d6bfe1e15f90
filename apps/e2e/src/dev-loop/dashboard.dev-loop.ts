/*
 * The dashboard of `nx run todo:dev-local` (tools/dashboard) against a real dev loop on the dev-loop
 * suite's cluster "todo-dev-e2e" (made by inner-loop.dev-loop.ts, which runs first, or here by
 * deploy-local when this file runs alone; deleted by the suite's teardown), driven by Debian's Chromium
 * at a laptop's width:
 *   both services listed Ready; an action without the session token refused, and a page on another
 *   origin unable to trigger a rebuild; a backend edit shown as a new pass with "synced" and the file's
 *   name; a syntax error shown as a failure with its output, then the recovery; the rebuild button
 *   rebuilding the backend alone (the frontend's pod UIDs kept); a line the test caused in the log view.
 * Every view is checked with axe-core (0 serious or critical violations) and saved as a screenshot under
 * reports/dashboard/ (a CI artifact). Figures: save -> pass on the page, the page's weight on first load,
 * the dev-local process's CPU and memory while the loop runs with the page open.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually } from '@todo/test-utils';
import { launchBrowser } from '../browser';
import { KUBECTL_OUTPUT_BYTES, WORKSPACE, copyEnv, copyWorkspace, editFile, lastLine, sh } from '../cluster/workspace';

const CLUSTER = 'todo-dev-e2e';
const HTTP_PORT = 18480;
const CONTEXT = `kind-${CLUSTER}`;
const UI_PORT = 18490;
const EVIL_PORT = 18491;
const UI = `http://127.0.0.1:${UI_PORT}/`;
const SHOTS = join(WORKSPACE, 'reports', 'dashboard');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ws = '';
let state = '';
let env: NodeJS.ProcessEnv = {};
let kubectlBin = '';
let dev: ChildProcess | undefined;
let out = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let evil: Server | undefined;
const figures: Record<string, number | string> = {};

/** As inner-loop.dev-loop.ts: --offline runs resolve their stand-ins themselves. */
function userEnv(): NodeJS.ProcessEnv {
  const { KIND_BIN: _kind, HELM_BIN: _helm, KUBECTL_BIN: _kubectl, ...user } = env;
  return user;
}
function nx(args: string[]): string {
  const r = spawnSync('npx', ['nx', ...args, '--output-style=stream'], { cwd: ws, env: userEnv(), encoding: 'utf8', timeout: 1_200_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')}: exit ${r.status}\n${`${r.stdout}${r.stderr}`.slice(-6000)}`);
  return r.stdout;
}
const k = (args: string[]) => execFileSync(kubectlBin, ['--context', CONTEXT, '-n', 'todo-local', ...args], { env, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: KUBECTL_OUTPUT_BYTES });
const podUids = (component: string) =>
  (JSON.parse(k(['get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json'])).items as { metadata: { uid: string; deletionTimestamp?: string } }[])
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.uid)
    .sort();

const edit = (file: string, from: string | RegExp, to: string) => editFile(ws, file, from, to);

function http(port: number, o: { method?: string; path?: string; headers?: Record<string, string>; body?: string; host?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers: { host: o.host ?? `127.0.0.1:${port}`, ...o.headers }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    // The timeout option only emits 'timeout': without this the request would hang until Jest's own limit.
    req.on('timeout', () => req.destroy(new Error(`timeout: ${o.method ?? 'GET'} ${o.path ?? '/'} on port ${port}`)));
    req.end(o.body);
  });
}

/** axe-core injected into the page (bypassCSP: the page's policy allows only its own scripts): serious and critical violations. */
async function axe(view: string): Promise<string[]> {
  await page.evaluate(readFileSync(require.resolve('axe-core'), 'utf8'));
  const result = (await page.evaluate(() => (window as unknown as { axe: { run: () => Promise<unknown> } }).axe.run())) as { violations: { id: string; impact: string; nodes: { html: string }[] }[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${view}: ${v.impact} ${v.id} (${v.nodes[0]?.html})`);
}

async function view(name: 'services' | 'passes' | 'logs'): Promise<void> {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#view-${name}:not([hidden])`);
}

async function shoot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the page's progress line (an action's) matches. */
const progress = (re: RegExp, seconds: number) =>
  eventually(`progress ${re}`, async () => {
    const text = (await page.textContent('#progress')) ?? '';
    if (!re.test(text)) throw new Error(text);
  }, seconds * 1000, 100);

/** The newest pass card on the page: its title, status and text. */
const newestPass = () =>
  page.evaluate(() => {
    const card = document.querySelector('#passes .pass');
    return card ? { title: card.querySelector('h3')?.textContent ?? '', status: card.getAttribute('data-status') ?? '', text: card.textContent ?? '', id: Number(card.getAttribute('data-pass')) } : undefined;
  });

/** Ctrl-C to a session's process group, as a terminal sends it; resolves when it exited. */
async function interrupt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(-child.pid!, 'SIGINT');
  await eventually('the session stopped', async () => {
    if (child.exitCode === null && child.signalCode === null) throw new Error('running');
  }, 30_000, 200);
}

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function usage(pid: number): { cpu: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { cpu: (Number(stat[11]) + Number(stat[12])) / 100, rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024 };
}

/** The process listening on the dashboard's port: the executor's own Node process. */
function dashboardPid(): number {
  const r = sh('ss', ['-ltnpH', 'sport', '=', `:${UI_PORT}`]);
  const m = /pid=(\d+)/.exec(r);
  if (!m) throw new Error(`nothing listens on ${UI_PORT}: ${r}`);
  return Number(m[1]);
}

beforeAll(async () => {
  sh('bash', ['.ci/start-docker.sh']);
  const kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  ({ ws, state } = copyWorkspace('dev-ui-e2e'));
  env = { ...copyEnv(ws, state, CLUSTER, [HTTP_PORT, 18843]), KIND_BIN: kindBin, KUBECTL_BIN: kubectlBin, HELM_BIN: lastLine(sh('bash', ['scripts/go-tool.sh', 'helm3'])) };
  for (const v of ['HELM', 'KUBECTL', 'KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'TODO_BASE_IMAGES', 'TODO_OFFLINE', 'FORCE_COLOR']) delete env[v];
  // The suite's cluster, when inner-loop.dev-loop.ts left it: this copy's kubeconfig gets its context.
  if (spawnSync(kindBin, ['get', 'clusters'], { env, encoding: 'utf8' }).stdout.split('\n').includes(CLUSTER)) sh(kindBin, ['export', 'kubeconfig', '--name', CLUSTER, '--kubeconfig', env.KUBECONFIG!]);
  const t0 = Date.now();
  nx(['run', 'todo:deploy-local', '--offline']); // skips what the cluster has; creates it when this file runs alone
  figures['deploy-local before the session s'] = (Date.now() - t0) / 1000;

  dev = spawn('npx', ['nx', 'run', 'todo:dev-local', '--offline', `--uiPort=${UI_PORT}`, '--output-style=stream'], { cwd: ws, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const echo = (d: Buffer) => {
    out += stripVTControlCharacters(d.toString('utf8'));
    if (process.env.DEV_E2E_LOG) appendFileSync(process.env.DEV_E2E_LOG, d);
  };
  dev.stdout!.on('data', echo);
  dev.stderr!.on('data', echo);
  await eventually('dev-local watching', async () => {
    if (dev!.exitCode !== null) throw new Error(`dev-local exited ${dev!.exitCode}:\n${out.slice(-4000)}`);
    if (!/dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(out)) throw new Error(`not yet:\n${out.slice(-1500)}`);
  }, 600_000, 500);
  browser = await launchBrowser();
  // A laptop's width; bypassCSP only so that the test can inject axe-core.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  page = await context.newPage();
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  evil?.close();
  if (dev) await interrupt(dev).catch(() => process.kill(-dev!.pid!, 'SIGKILL'));
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
  process.stderr.write(`dashboard e2e figures: ${JSON.stringify(figures, null, 1)}\n`);
}, 120_000);

test('the URL is printed once; the page lists both services Ready; its weight on first load', async () => {
  expect(out.match(/dashboard: http:\/\/127\.0\.0\.1:\d+\//g)).toEqual([`dashboard: ${UI}`]);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Per request: the total once it finished (HTML, script, style), else what arrived so far (the event stream's state).
  const received = new Map<string, number>();
  const finished = new Map<string, number>();
  cdp.on('Network.dataReceived', (e: { requestId: string; dataLength: number; encodedDataLength: number }) => received.set(e.requestId, (received.get(e.requestId) ?? 0) + (e.encodedDataLength || e.dataLength)));
  cdp.on('Network.loadingFinished', (e: { requestId: string; encodedDataLength: number }) => finished.set(e.requestId, e.encodedDataLength));
  await page.goto(UI);
  await page.waitForSelector('#connection.ok');
  await eventually('both services Ready on the page', async () => {
    const states = await page.$$eval('#services article', (cards) => cards.map((c) => `${c.getAttribute('data-service')}: ${c.querySelector('.service-state')?.textContent}`));
    if (!(states.length === 2 && states.every((s) => /: Ready (\d+)\/\1$/.test(s)))) throw new Error(states.join(', '));
  }, 120_000, 500);
  await sleep(500);
  figures['page weight on first load (bytes: page, script, style and the state over SSE)'] = [...new Set([...received.keys(), ...finished.keys()])].reduce((sum, id) => sum + (finished.get(id) ?? received.get(id) ?? 0), 0);
  figures['requests on first load'] = new Set([...received.keys(), ...finished.keys()]).size;
  await cdp.detach();
  // Colour and text: the state is words in a coloured badge.
  expect(await page.textContent('#services article[data-service=backend] .service-state')).toMatch(/^Ready (\d+)\/\1$/);
  expect(await page.getAttribute('#services article[data-service=backend] .service-state .badge', 'class')).toContain('ok');
  expect(await page.textContent('#services article[data-service=backend]')).toMatch(/todo-backend-dev:content-\w+/);
  // Keyboard: the tabs and the actions are reachable with Tab.
  const reached: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
  }
  expect(reached).toEqual(expect.arrayContaining(['Services', 'Passes', 'Logs', 'Run the deploy', 'Rebuild backend', 'Restart backend pods']));
  expect(await axe('services')).toEqual([]);
  await shoot('services');
}, 300_000);

test('an action without the session token is refused; a page on another origin cannot trigger a rebuild', async () => {
  const frontend = podUids('frontend');
  const body = JSON.stringify({ kind: 'rebuild', service: 'frontend' });
  expect((await http(UI_PORT, { method: 'POST', path: '/api/actions', headers: { 'content-type': 'application/json' }, body })).status).toBe(403);
  // Another site open in the same browser: a form post and fetches, with and without CORS.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>other site</title>
      <form id="f" method="POST" action="${UI}api/actions" enctype="text/plain"><input name='{"kind":"rebuild","service":"frontend","x":"' value='"}'><button id="go">go</button></form>
      <script>
        window.results = [];
        fetch('${UI}api/actions', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '${body}' }).then((r) => results.push('no-cors ' + r.type), (e) => results.push('no-cors ' + e));
        fetch('${UI}api/actions', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Dashboard-Token': 'guess' }, body: '${body}' }).then((r) => results.push('cors ' + r.status), (e) => results.push('cors refused: ' + e.message));
        fetch('${UI}').then((r) => r.text()).then((t) => results.push('read page ' + t.length), (e) => results.push('read page refused: ' + e.message));
      </script>`);
  });
  await new Promise<void>((r) => evil!.listen(EVIL_PORT, '127.0.0.1', () => r()));
  const other = await context.newPage();
  try {
    await other.goto(`http://localhost:${EVIL_PORT}/`);
    await other.waitForFunction(() => (window as unknown as { results: string[] }).results.length === 3, undefined, { timeout: 20_000 });
    const results = await other.evaluate(() => (window as unknown as { results: string[] }).results);
    expect(results).toEqual(expect.arrayContaining(['no-cors opaque', expect.stringMatching(/^cors refused: /), expect.stringMatching(/^read page refused: /)]));
    await Promise.all([other.waitForURL(`${UI}api/actions`), other.click('#go')]);
    expect(await other.textContent('body')).toMatch(/cross-site request refused|X-Dashboard-Token/);
  } finally {
    await other.close();
  }
  await sleep(3000);
  expect(out).not.toMatch(/rebuild frontend \(from the dashboard\)/);
  expect(podUids('frontend')).toEqual(frontend);
}, 120_000);

test('a backend edit shows a new pass with "synced" and the file name; a syntax error shows the failure, then the recovery', async () => {
  await view('passes');
  const before = (await newestPass())?.id ?? 0;
  const t0 = Date.now();
  edit('apps/backend/todo_api/deps.py', /Not authenticated[^:"]*: send/, 'Not authenticated (dashboard-e2e-1): send');
  await page.waitForFunction((n) => {
    const card = document.querySelector('#passes .pass');
    return !!card && Number(card.getAttribute('data-pass')) > n && card.getAttribute('data-status') === 'ok' && /synced/.test(card.textContent ?? '');
  }, before, { timeout: 60_000, polling: 50 });
  figures['save -> pass on the page s'] = (Date.now() - t0) / 1000;
  const synced = (await newestPass())!;
  expect(synced.text).toContain('apps/backend/todo_api/deps.py');
  expect(synced.text).toMatch(/backend: synced 1 file/);
  expect(await axe('passes')).toEqual([]);
  await shoot('passes');

  edit('apps/backend/todo_api/deps.py', /\n$/, '\ndef broken(:\n');
  await eventually('the failure on the page', async () => {
    const p = (await newestPass())!;
    if (!(p.id > synced.id && p.status === 'failed' && p.text.includes('SyntaxError'))) throw new Error(JSON.stringify(p).slice(0, 400));
  }, 90_000, 250);
  const failed = (await newestPass())!;
  expect(failed.text).toMatch(/failed/);
  expect(failed.text).toContain('backend: the server failed to load the change');
  await shoot('passes-failure');
  edit('apps/backend/todo_api/deps.py', '\ndef broken(:\n', '\n');
  await eventually('the recovery on the page', async () => {
    const p = (await newestPass())!;
    if (!(p.id > failed.id && p.status === 'ok' && /synced/.test(p.text))) throw new Error(JSON.stringify(p).slice(0, 400));
  }, 90_000, 250);
  await eventually('the fixed backend answers', async () => {
    const r = await http(HTTP_PORT, { path: '/api/tasks', host: 'todo.localhost' });
    if (!r.body.includes('dashboard-e2e-1')) throw new Error(`${r.status} ${r.body}`);
  }, 60_000, 250);
}, 300_000);

test('the rebuild button rebuilds the backend alone: new backend pods, the frontend pods keep their UIDs', async () => {
  const frontend = podUids('frontend');
  const backend = podUids('backend');
  await view('services');
  await page.click('#services article[data-service=backend] button[data-action=rebuild]');
  await progress(/^rebuild backend: (queued|running)/, 30);
  await view('passes');
  await eventually('the rebuild pass done', async () => {
    const p = (await newestPass())!;
    if (!(p.title === 'rebuild backend (from the dashboard)' && p.status === 'ok')) throw new Error(JSON.stringify(p).slice(0, 600));
  }, 600_000, 1000);
  const pass = (await newestPass())!;
  expect(pass.text).toMatch(/build backend\s*ran/);
  expect(pass.text).not.toMatch(/build frontend|load frontend/);
  await progress(/^rebuild backend: done$/, 10);
  expect(podUids('frontend')).toEqual(frontend);
  const after = podUids('backend');
  expect(after.some((u) => backend.includes(u))).toBe(false);
  await view('services');
  await eventually('the new backend pod on the page, Ready, image-built', async () => {
    const text = (await page.textContent('#services article[data-service=backend]')) ?? '';
    if (!(/Ready (\d+)\/\1/.test(text) && text.includes('image-built'))) throw new Error(text);
  }, 120_000, 500);
}, 900_000);

test('the log view shows a line the test caused; CPU and memory of the process serving the page', async () => {
  const pid = dashboardPid();
  const u0 = usage(pid);
  const t0 = Date.now();
  const id = `dashboard-e2e-${Date.now()}`;
  await view('logs');
  await page.selectOption('#log-service', 'backend');
  await page.fill('#log-filter', id);
  await eventually('a request answered', async () => {
    const r = await http(HTTP_PORT, { path: '/api/tasks', host: 'todo.localhost', headers: { 'x-request-id': id } });
    if (r.status !== 401) throw new Error(`${r.status}`);
  }, 30_000);
  await page.waitForFunction((needle) => (document.getElementById('log-lines')?.textContent ?? '').includes(needle), id, { timeout: 60_000 });
  expect(await page.textContent('#log-lines')).toMatch(new RegExp(`\\[backend\\] .*${id}`));
  expect(await axe('logs')).toEqual([]);
  // A busy minute for the page: requests that log lines, the page following them.
  await page.fill('#log-filter', '');
  for (let i = 0; i < 40; i++) {
    await http(HTTP_PORT, { path: '/api/tasks', host: 'todo.localhost', headers: { 'x-request-id': `${id}-${i}` } });
    await sleep(250);
  }
  const u1 = usage(pid);
  figures['dev-local process CPU % while the loop runs, page open, ~4 log lines/s'] = Math.round(((u1.cpu - u0.cpu) / ((Date.now() - t0) / 1000)) * 1000) / 10;
  figures['dev-local process RSS MB (loop + dashboard)'] = Math.round(u1.rssMb);
  await shoot('logs');
}, 300_000);

test('ui-local serves the page alone for the deployed environment: services, the last deploy, open the app, restart one service', async () => {
  await interrupt(dev!);
  // The record the page shows under "Last deploy" (written by every deploy-<env>).
  nx(['run', 'todo:deploy-local', '--offline']);
  const ui = spawn('npx', ['nx', 'run', 'todo:ui-local', `--uiPort=${UI_PORT}`, '--output-style=stream'], { cwd: ws, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let uiOut = '';
  ui.stdout!.on('data', (d: Buffer) => (uiOut += d.toString()));
  ui.stderr!.on('data', (d: Buffer) => (uiOut += d.toString()));
  try {
    await eventually('ui-local serving', async () => {
      if (ui.exitCode !== null) throw new Error(`ui-local exited ${ui.exitCode}:\n${uiOut.slice(-3000)}`);
      if (!uiOut.includes(`Dashboard of local (todo-local): ${UI}`)) throw new Error(uiOut.slice(-1000));
    }, 180_000, 500);
    await page.goto(UI);
    await page.waitForSelector('#connection.ok');
    expect(await page.textContent('#title')).toBe('ui-local');
    expect(await page.getAttribute('#open-app', 'href')).toBe(`http://todo.localhost:${HTTP_PORT}/`);
    expect(await page.$$eval('#services button', (b) => b.map((x) => x.textContent))).toEqual(['Restart backend pods', 'Restart frontend pods']);
    await view('passes');
    expect(await page.textContent('#last-deploy')).toMatch(/deploy-local\s*succeeded/);
    expect(await page.textContent('#last-deploy')).toMatch(/helm release\s*(ran|skipped)/);
    const backend = podUids('backend');
    const frontend = podUids('frontend');
    await view('services');
    await page.click('#services article[data-service=frontend] button[data-action=restart]');
    await progress(/^restart frontend: done$/, 300);
    expect(podUids('backend')).toEqual(backend);
    expect(podUids('frontend').some((u) => frontend.includes(u))).toBe(false);
  } finally {
    await interrupt(ui);
  }
}, 600_000);
