/*
 * nx run dashboard:bench: what the dashboard costs the loop's process and how fast a pass reaches the page,
 * with Debian's Chromium on the page: the state's size with a full log buffer (what a page loads first),
 * 10 passes from the state to the rendered card, then 60 s of a busy loop (4 log lines/s, a pod listing
 * every 1.5 s, a pass every 10 s) with the page open: CPU of this process (server and state), heap and RSS.
 * Prints one JSON line; no cluster.
 */
import { chromium } from 'playwright-core';
import { startDashboardServer } from './server';
import { DashboardState, MAX_LOG_LINES } from './state';

void (async () => {
  const state = new DashboardState({ mode: 'dev', environment: 'local', namespace: 'todo-local', cluster: 'kind todo', appUrl: 'http://todo.localhost/', actions: ['rebuild', 'restart', 'deploy'] }, ['backend', 'frontend']);
  const server = await startDashboardServer({ state, port: 0, act: () => 1 });
  const pods = (n: number) => [
    { component: 'backend', name: 'todo-backend-1', uid: 'b1', ready: true, phase: 'Running', deleting: false, restarts: n % 3, node: 'n', createdAt: new Date().toISOString() },
    { component: 'frontend', name: 'todo-frontend-1', uid: 'f1', ready: true, phase: 'Running', deleting: false, restarts: 0, node: 'n', createdAt: new Date().toISOString() },
  ];
  for (let i = 0; i < MAX_LOG_LINES; i++) state.logLine(i % 2 ? 'backend' : 'frontend', `{"level":"info","msg":"request","method":"GET","path":"/api/tasks","status":200,"request_id":"r${i}"}`);
  const snap = JSON.stringify(state.snapshot()).length;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url + '#passes'); await page.waitForSelector('#connection.ok');
  // save -> card: from the pass's end in the state to the card on the page, 10 passes
  const lat: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const id = state.passStarted(`pass ${i}`, 'pass', ['apps/backend/todo_api/deps.py']); state.passLine(id, 'backend: synced 1 file'); state.passSynced(id, 'backend'); state.passEnded(id);
    await page.waitForFunction(
      (n) => {
        // This project's TypeScript has no DOM types (and the page's CSP refuses a string to evaluate).
        const card = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } }).document.querySelector('#passes .pass');
        return card?.getAttribute('data-pass') === String(n) && card?.getAttribute('data-status') === 'ok';
      },
      id,
      { polling: 'raf' },
    );
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 300));
  }
  const rss0 = process.memoryUsage().rss; const heap0 = process.memoryUsage().heapUsed; const c0 = process.cpuUsage(); const t0 = Date.now();
  // 60 s of a running loop: 4 log lines/s, a pod listing every 1.5 s (restarts changing), a pass every 10 s
  let n = 0;
  const a = setInterval(() => state.logLine(n % 2 ? 'backend' : 'frontend', `{"level":"info","msg":"request","path":"/api/tasks","status":200,"request_id":"x${n++}"}`), 250);
  const b = setInterval(() => state.setPods(pods(Math.floor(n / 20))), 1500);
  const c = setInterval(() => { const id = state.passStarted('pass', 'pass', ['a.py']); state.passLine(id, 'backend: synced'); state.passEnded(id); }, 10000);
  await new Promise((r) => setTimeout(r, 60000));
  clearInterval(a); clearInterval(b); clearInterval(c);
  const cu = process.cpuUsage(c0); const secs = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ stateBytesWithFullLogBuffer: snap, passToPageMs: lat.map((x) => Math.round(x)), cpuPercentOfOneCore: Math.round(((cu.user + cu.system) / 1e6 / secs) * 1000) / 10, rssMB: Math.round(process.memoryUsage().rss / 1048576), rssDeltaMB: Math.round((process.memoryUsage().rss - rss0) / 1048576), heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1048576), heapDeltaMB: Math.round((process.memoryUsage().heapUsed - heap0) / 1048576) }));
  await browser.close(); await server.close();
})();
