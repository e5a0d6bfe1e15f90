/*
 * `nx run todo:dev-local` on a real kind cluster (nx run e2e:dev-loop; minutes), as a developer runs it:
 * a child process in a temporary copy of the workspace, on its own cluster "todo-dev-e2e" (ports
 * 18480/18843). No registry is reachable here, so deploy-local and dev-local run with --offline, as a
 * user without a container registry would (the offline kind node and Traefik, kind/kubectl/helm from the
 * Go proxy, the local base images, the PostgreSQL stand-in); logs-local and port-forward-local have no
 * --offline and are given kubectl as KUBECTL_BIN.
 *
 * In order, sharing the cluster: bad input; deploy-local makes the cluster; dev-local's first start
 * (dev images, dev mode) and Ctrl-C; a restart with nothing changed (no build, load or upgrade); a save
 * during start-up served once the loop watches; then,
 * in one session: a backend edit answered through the ingress (no build, no new revision), a package.json
 * change served by the running frontend pods first and then rolled, a frontend edit seen by Chromium, a syntax error survived, 20 files in one pass, requirements.txt rebuilding the
 * backend alone, a values change upgrading alone, log prefixes after a rollout, port-forward across a
 * rollout, Ctrl-C with nothing left behind; last, deploy-local replacing the synced pods, then a no-op.
 * The cluster is left to the suite's next file (dashboard.dev-loop.ts) and deleted by its teardown.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { launchBrowser } from '../browser';
import { eventually } from '@todo/test-utils';
import { KUBECTL_OUTPUT_BYTES, copyEnv, copyWorkspace, editFile, lastLine, releaseRevision, sh } from '../cluster/workspace';

const CLUSTER = 'todo-dev-e2e';
const HTTP_PORT = 18480;
const CONTEXT = `kind-${CLUSTER}`;
const PORT_OFFSET = 20000;

let ws = '';
let state = '';
let env: NodeJS.ProcessEnv = {};
let kubectlBin = '';
let kindBin = '';
const figures: Record<string, number | string> = {};

/** The Docker CLI the image builds use (images/docker.ts dockerBin: the one with buildx here). */
const DOCKER = process.env.DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const offline = () => '--offline';

/**
 * The environment of an nx run: with --offline, as a user's (the stand-ins resolve themselves, and
 * their resolution is reused on the next run, which only happens when no stand-in variable is given);
 * logs-local and port-forward-local have no --offline and get kubectl as KUBECTL_BIN.
 */
function envFor(args: string[]): NodeJS.ProcessEnv {
  if (!args.includes('--offline')) return env;
  const { KIND_BIN: _kind, HELM_BIN: _helm, KUBECTL_BIN: _kubectl, ...user } = env;
  return user;
}

function nx(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('npx', ['nx', ...args, '--output-style=stream'], { cwd: ws, env: envFor(args), encoding: 'utf8', timeout: 1_200_000, maxBuffer: 64 * 1024 * 1024 });
  if (process.env.DEV_E2E_LOG) appendFileSync(process.env.DEV_E2E_LOG, `\n$ nx ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
function ok(r: { status: number | null; out: string }) {
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.out.slice(-6000)}`);
  return r;
}
const k = (args: string[]) => execFileSync(kubectlBin, ['--context', CONTEXT, '-n', 'todo-local', ...args], { env, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: KUBECTL_OUTPUT_BYTES });

const helmRevision = () => releaseRevision(k);

function pods(component: string): { name: string; uid: string; synced: boolean }[] {
  const items = JSON.parse(k(['get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json'])).items as {
    metadata: { name: string; uid: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  }[];
  return items.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, synced: 'todo.dev/synced-at' in (p.metadata.annotations ?? {}) }));
}

function get(port: number, path: string, host = 'todo.localhost'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${path}`)));
    req.end();
  });
}

/** A long-running nx target (its own process group, as a terminal runs it); output collected. */
class Session {
  out = '';
  readonly child: ChildProcess;
  exited?: { code: number | null; at: number };
  constructor(args: string[]) {
    this.child = spawn('npx', ['nx', ...args, '--output-style=stream'], { cwd: ws, env: envFor(args), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // DEV_E2E_LOG=<file>: every session's output as it comes (to watch a run).
    // The text as a reader sees it: the service prefixes are coloured when Nx sets FORCE_COLOR.
    const echo = (d: Buffer) => (this.out += stripVTControlCharacters(d.toString('utf8'))) && process.env.DEV_E2E_LOG && appendFileSync(process.env.DEV_E2E_LOG, d);
    this.child.stdout!.on('data', echo);
    this.child.stderr!.on('data', echo);
    this.child.once('exit', (code) => (this.exited = { code, at: Date.now() }));
  }
  mark(): number {
    return this.out.length;
  }
  since(mark: number): string {
    return this.out.slice(mark);
  }
  /** Waits for `re` in the output after `from`; fails at once when the process has exited. */
  async waitFor(re: RegExp, from = 0, seconds = 600): Promise<RegExpExecArray> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const m = re.exec(this.since(from));
      if (m) return m;
      if (this.exited) throw new Error(`exited ${this.exited.code} without ${re}:\n${this.out.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${re} not within ${seconds}s; last output:\n${this.out.slice(-4000)}`);
      await sleep(250);
    }
  }
  /** Ctrl-C as a terminal sends it (SIGINT to the process group); seconds until the process exits. */
  async interrupt(): Promise<number> {
    const t0 = Date.now();
    process.kill(-this.child.pid!, 'SIGINT');
    // What is still alive in the group every ~100 ms, kept in `stopping` for a failure message.
    this.stopping = [];
    await eventually('exit after Ctrl-C', async () => {
      if (this.exited) return;
      this.stopping.push(`+${Date.now() - t0} ms: ${groupProcesses(this.child.pid!).join(' | ')}`);
      throw new Error('still running');
    }, 30_000, 100);
    return (this.exited!.at - t0) / 1000;
  }
  stopping: string[] = [];
  kill(): void {
    if (!this.exited) process.kill(-this.child.pid!, 'SIGKILL');
  }
}

/** The processes of a process group (pid and command, shortened). */
function groupProcesses(pgid: number): string[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map((l) => l.trim().slice(0, 100));
}

/** kubectl/docker processes started from the copy (ours), as `ps` lists them. */
function strayProcesses(pgid: number): string[] {
  return sh('ps', ['-eo', 'pid,pgid,args'])
    .split('\n')
    .filter((l) => {
      const [, g] = l.trim().split(/\s+/);
      return Number(g) === pgid || (/kubectl|docker /.test(l) && l.includes(CONTEXT));
    });
}

const edit = (file: string, from: string | RegExp, to: string) => editFile(ws, file, from, to);

// ---------------------------------------------------------------------------------------------- setup

beforeAll(() => {
  sh('bash', ['.ci/start-docker.sh']);
  kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  ({ ws, state } = copyWorkspace('dev-e2e'));
  env = { ...copyEnv(ws, state, CLUSTER, [HTTP_PORT, 18843]), KIND_BIN: kindBin, KUBECTL_BIN: kubectlBin, HELM_BIN: lastLine(sh('bash', ['scripts/go-tool.sh', 'helm3'])) };
  // --offline finds or builds these itself; none may come from the caller's environment.
  for (const v of ['HELM', 'KUBECTL', 'KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'TODO_BASE_IMAGES', 'TODO_OFFLINE', 'FORCE_COLOR']) delete env[v];
  spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER], { env }); // a leftover from an aborted run
  spawnSync(DOCKER, ['rm', '-f', `${CLUSTER}-registry`]);
}, 1_800_000);

const sessions: Session[] = [];
const session = (args: string[]) => {
  const s = new Session(args);
  sessions.push(s);
  return s;
};

afterAll(() => {
  for (const s of sessions) s.kill();
  // The cluster and its local registry stay for dashboard.dev-loop.ts; the suite's teardown deletes both (dev-loop.teardown.js).
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
  const anchor = figures['naive anchor, requirements.txt edit: total s'];
  if (typeof anchor === 'number') figures['requirements change -> importable / naive anchor'] = Number(((figures['requirements change -> importable s'] as number) / anchor).toFixed(2));
  process.stderr.write(`dev-loop e2e figures: ${JSON.stringify(figures, null, 1)}\n`);
}, 300_000);

// ---------------------------------------------------------------------------------------------- tests

test('bad input: an unknown environment, an unknown option, a cluster that is not up', () => {
  const unknownEnv = nx(['run', 'todo:dev-local', '--environment=nope']);
  expect(unknownEnv.status).not.toBe(0);
  expect(unknownEnv.out).toMatch(/nope/);
  expect(unknownEnv.out).toMatch(/[Uu]nknown environment|not an environment|environments\.json/);
  const unknownOption = nx(['run', 'todo:dev-local', '--bogusOption=1']);
  expect(unknownOption.status).not.toBe(0);
  expect(unknownOption.out).toMatch(/bogusOption/);
  // No cluster yet: the loop refuses to start and says how to make one (it never creates clusters).
  const down = nx(['run', 'todo:dev-local', offline()]);
  expect(down.status).not.toBe(0);
  expect(down.out).toContain(`kind cluster ${CLUSTER} does not exist`);
  expect(down.out).toContain('npx nx run todo:deploy-local');
}, 300_000);

test('deploy-local makes the cluster and the production release', () => {
  ok(nx(['run', 'todo:deploy-local', offline()]));
  expect(helmRevision().status).toBe('deployed');
}, 900_000);

let revisionAfterStart = 0;

test('first start: dev images and dev mode through the deploy steps; Ctrl-C; a restart with nothing changed does no work', async () => {
  const first = session(['run', 'todo:dev-local', offline()]);
  await first.waitFor(/watching .* \(ready in ([\d.]+)s\)/);
  expect(first.out).toMatch(/build backend: .*todo-backend-dev:content-/);
  expect(first.out).toMatch(/helm release: revision \d+ was made from other chart files, values or images/);
  for (const p of pods('backend')) expect(k(['get', 'pod', p.name, '-o', 'jsonpath={.spec.initContainers[*].name}'])).toContain('seed-code');
  // Still restricted: the namespace enforces it, and the dev pods were admitted.
  expect(k(['get', 'namespace', 'todo-local', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']).trim()).toBe('restricted');
  expect(JSON.parse(k(['get', 'pods', '-l', 'app.kubernetes.io/component=frontend', '-o', 'json'])).items[0].spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  figures['Ctrl-C (first session) s'] = await first.interrupt();
  revisionAfterStart = helmRevision().revision;

  const again = session(['run', 'todo:dev-local', offline()]);
  const ready = await again.waitFor(/watching .* \(ready in ([\d.]+)s\)/, 0, 300);
  figures['restart, nothing changed: ready in s'] = Number(ready[1]);
  for (const step of ['build backend', 'build frontend', 'load backend', 'load frontend', 'helm release']) expect(again.out).toMatch(new RegExp(`\\] ${step}: skipped`));
  expect(helmRevision().revision).toBe(revisionAfterStart);
  await again.interrupt();
}, 900_000);

test('a save during start-up is served once the loop watches (issue #23: it was lost)', async () => {
  const s = session(['run', 'todo:dev-local', offline()]);
  // After the backend's build step has read the sources (its content tag is computed), before "watching".
  await s.waitFor(/\] load backend: /, 0, 300);
  edit('apps/backend/todo_api/deps.py', 'Not authenticated: send', 'Not authenticated (dev-e2e-startup): send');
  const savedBeforeWatching = !/watching /.test(s.out);
  const ready = await s.waitFor(/watching .* \(ready in ([\d.]+)s\)/, 0, 300);
  expect(savedBeforeWatching).toBe(true);
  expect(s.out).toMatch(/saved during start-up: apps\/backend\/todo_api\/deps\.py/);
  const t0 = Date.now();
  await eventually('the save during start-up is served', async () => {
    const r = await get(HTTP_PORT, '/api/tasks');
    if (!r.body.includes('dev-e2e-startup')) throw new Error(`${r.status} ${r.body}`);
  }, 60_000, 200);
  figures['save during start-up: served s after watching'] = (Date.now() - t0) / 1000;
  figures['save during start-up: ready in s'] = Number(ready[1]);
  // Back to the tree the next tests start from, served, before stopping.
  edit('apps/backend/todo_api/deps.py', 'Not authenticated (dev-e2e-startup): send', 'Not authenticated: send');
  await eventually('the revert is served', async () => {
    const r = await get(HTTP_PORT, '/api/tasks');
    if (r.body.includes('dev-e2e-startup')) throw new Error(`${r.status} ${r.body}`);
  }, 60_000, 200);
  await s.interrupt();
}, 600_000);

describe('one dev session', () => {
  let dev: Session;
  let forward: Session;

  beforeAll(async () => {
    dev = session(['run', 'todo:dev-local', offline()]);
    await dev.waitFor(/watching .* \(ready in/, 0, 300);
  }, 400_000);

  test('a backend edit is answered through the ingress: synced, no build, no new revision (5 edits)', async () => {
    const before = helmRevision().revision;
    const mark = dev.mark();
    const seconds: number[] = [];
    let current = 'Not authenticated: send';
    for (let i = 1; i <= 5; i++) {
      const next = `Not authenticated (dev-e2e-1.${i}): send`;
      await sleep(500);
      const t0 = Date.now();
      edit('apps/backend/todo_api/deps.py', current, next);
      current = next;
      await eventually(`edit ${i} answered`, async () => {
        const r = await get(HTTP_PORT, '/api/tasks');
        if (!r.body.includes(`dev-e2e-1.${i}`)) throw new Error(`${r.status} ${r.body}`);
      }, 60_000, 100);
      seconds.push((Date.now() - t0) / 1000);
    }
    const sorted = [...seconds].sort((a, b) => a - b);
    figures['backend edit -> new answer s (5 edits)'] = seconds.join(', ');
    figures['backend edit p50 s'] = sorted[2];
    figures['backend edit max s'] = sorted[4];
    await dev.waitFor(/backend: synced 1 file \(apps\/backend\/todo_api\/deps\.py\)/, mark, 30);
    expect(dev.since(mark)).not.toMatch(/build backend|helm upgrade/);
    expect(helmRevision().revision).toBe(before);
    expect(pods('backend').every((p) => p.synced)).toBe(true);
    edit('apps/backend/todo_api/deps.py', current, 'Not authenticated (dev-e2e-1): send');
  }, 300_000);

  test('package.json: a new package is installed into the running frontend pods and served by the dev server there first, then the rebuilt frontend alone replaces them; backend pods keep their UIDs', async () => {
    const backend = pods('backend').map((p) => p.uid).sort();
    const frontend = pods('frontend').map((p) => p.uid);
    const route = 'apps/frontend/app/api/dev-e2e-package/route.ts';
    /** Where Node resolves kleur from the app's folder in a pod (the container's working directory). */
    const kleurIn = (pod: string) => k(['exec', pod, '-c', 'frontend', '--', 'node', '-p', 'require.resolve("kleur")']).trim();
    /** The route, asked of that pod's own dev server. */
    const routeIn = (pod: string) => k(['exec', pod, '-c', 'frontend', '--', 'node', '-e', `fetch("http://127.0.0.1:3000/api/dev-e2e-package").then(async (r) => console.log(r.status, await r.text()))`]).trim();
    const [old] = pods('frontend');
    expect(() => kleurIn(old.name)).toThrow(/Cannot find module 'kleur'/); // a package the frontend does not have
    // Code that imports it first (synced): the running server cannot resolve it yet.
    // The route's new folder first (the watcher reports it, then watches it), then the file in it.
    mkdirSync(join(ws, route, '..'), { recursive: true });
    await sleep(1500);
    let mark = dev.mark();
    // Unique per run (the image copies it): the daemon keeps images, and the same content key would (rightly) skip the build.
    writeFileSync(join(ws, route), `// dev-e2e: imports a package the frontend lacks ${Date.now()}\nimport kleur from 'kleur';\n\nexport const dynamic = 'force-dynamic';\n\nexport function GET(): Response {\n  return Response.json({ kleur: typeof kleur.red });\n}\n`);
    await dev.waitFor(/frontend: synced 1 file \(apps\/frontend\/app\/api\/dev-e2e-package\/route\.ts\)/, mark, 60);
    await eventually('the route answers, without kleur', async () => {
      const r = routeIn(old.name);
      if (!/^500 .*kleur/s.test(r)) throw new Error(r.slice(0, 300));
    }, 60_000, 500);
    // What `npm install kleur@4.1.5 --workspace=apps/frontend` writes (package.json and the lockfile), made
    // in a scratch folder with this machine's npm and its configuration, then saved together.
    const scratch = mkdtempSync(join(tmpdir(), 'dev-e2e-npm-'));
    try {
      mkdirSync(join(scratch, 'apps/frontend'), { recursive: true });
      for (const f of ['package.json', 'package-lock.json', 'apps/frontend/package.json']) cpSync(join(ws, f), join(scratch, f));
      // Without the npm_config_local_prefix that npx/nx set for this process: npm honours it over its working directory.
      const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config_local_prefix|package_|lifecycle_|command$)/i.test(key)));
      execFileSync('npm', ['install', '--prefix', scratch, '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', '--workspace=apps/frontend', 'kleur@4.1.5'], { cwd: scratch, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      mark = dev.mark();
      const t0 = Date.now();
      for (const f of ['apps/frontend/package.json', 'package-lock.json']) writeFileSync(join(ws, f), readFileSync(join(scratch, f)));
      let served = '';
      await eventually('kleur imported by the dev server of a frontend pod from before the change', async () => {
        for (const p of pods('frontend').filter((p) => frontend.includes(p.uid))) {
          const r = routeIn(p.name);
          if (r.startsWith('200 ')) {
            served = `${p.name}: ${r}`;
            return;
          }
        }
        throw new Error(`not yet; the loop said:\n${dev.since(mark).slice(-1500)}`);
      }, 180_000, 250);
      figures['package.json change -> served by the running pod s'] = (Date.now() - t0) / 1000;
      expect(served).toMatch(/: 200 \{"kleur":"function"\}$/);
      const servedPod = served.split(':')[0];
      // From the app's node_modules in the code emptyDir, while the pass still rebuilds.
      expect(kleurIn(servedPod)).toBe('/repo/apps/frontend/node_modules/kleur/index.js');
      expect(dev.since(mark)).not.toMatch(/pass \d+ done in/);
      const line = await dev.waitFor(/frontend: installed kleur@4\.1\.5 into todo-frontend-\S+ in ([\d.]+)s \(ask ([\d.]+)s, npm ([\d.]+)s, copy ([\d.]+)s; npm on this machine, for the pods' Node \d+\.\d+\.\d+ linux \w+ (glibc|musl)\): importable now/, mark, 60);
      for (const [i, step] of ['install', 'install: ask the pod', 'install: npm', 'install: copy into the pods'].entries()) figures[`package.json pass: ${step} s`] = Number(line[i + 1]);
      expect(k(['get', 'pod', servedPod, '-o', 'jsonpath={.metadata.annotations.todo\\.dev/synced-at}'])).not.toBe(''); // the sync marker covers it
      // The image is rebuilt in the background: a backend edit saved meanwhile is synced before that pass ends.
      const rebuildPass = /pass (\d+): \d+ changed files? \([^)\n]*package(-lock)?\.json/.exec(dev.since(mark))![1];
      const during = 'apps/backend/todo_api/dev_e2e_during_rebuild.py';
      const tSave = Date.now();
      writeFileSync(join(ws, during), `# dev-e2e: saved while the frontend image is rebuilt ${Date.now()}\n`);
      await dev.waitFor(/backend: synced 1 file \(apps\/backend\/todo_api\/dev_e2e_during_rebuild\.py\) into todo-backend-/, mark, 120);
      figures['backend edit during the frontend rebuild -> synced s'] = (Date.now() - tSave) / 1000;
      await dev.waitFor(new RegExp(`pass ${rebuildPass} done in`), mark, 900);
      const sofar = dev.since(mark);
      expect(sofar.indexOf('dev_e2e_during_rebuild.py) into')).toBeLessThan(sofar.indexOf(`pass ${rebuildPass} done in`));
      // Even during the image's push (a long transfer): the rebuild's commands do not block the loop's process.
      expect(sofar.indexOf('dev_e2e_during_rebuild.py) into')).toBeLessThan(sofar.search(/\] load frontend: done in/));
      expect(sofar).toContain(`(pass ${rebuildPass}'s rebuild goes on in the background)`);
      await dev.waitFor(/pass \d+ done in/, mark, 900);
      figures['package.json change -> rolled s'] = (Date.now() - t0) / 1000;
      const out = dev.since(mark);
      for (const [, step, secs] of out.matchAll(/\[\d+\/\d+\] ([^:\n]+): (?:done in|skipped \(.*\)) ([\d.]+)s/g)) figures[`package.json pass: ${step} s`] = Number(secs);
      expect(out).toMatch(/rebuild frontend \((apps\/frontend\/package\.json|package-lock\.json)\)/);
      expect(out).toMatch(/build frontend: todo-frontend-dev:content-\w+ is not in the Docker daemon/);
      expect(out).not.toMatch(/build backend|load backend/);
      expect(pods('backend').map((p) => p.uid).sort()).toEqual(backend);
      const after = pods('frontend');
      expect(after.some((p) => frontend.includes(p.uid))).toBe(false);
      expect(after.every((p) => !p.synced)).toBe(true);
      // The rebuilt image has the package itself (where its npm ci put it), and serves the route.
      const lock = JSON.parse(readFileSync(join(ws, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
      const where = ['apps/frontend/node_modules/kleur', 'node_modules/kleur'].find((key) => lock.packages[key]?.version === '4.1.5')!;
      for (const p of after) {
        expect(kleurIn(p.name)).toBe(`/repo/${where}/index.js`);
        await eventually(`the route in the rebuilt ${p.name}`, async () => {
          const r = routeIn(p.name);
          if (!r.startsWith('200 ')) throw new Error(r.slice(0, 300));
        }, 60_000, 500);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // The route goes again (a sync: the frontend pods are marked, as the frontend edit below expects); the dependency stays.
    mark = dev.mark();
    rmSync(join(ws, route));
    await dev.waitFor(/frontend: synced 0 files, removed 1/, mark, 60);
  }, 1_200_000);

  test('a frontend edit changes the page Chromium sees', async () => {
    const mark = dev.mark();
    const t0 = Date.now();
    edit('apps/frontend/app/login/page.tsx', '<p className="brand">Todo</p>', '<p className="brand">Todo dev-e2e</p>');
    const browser = await launchBrowser();
    try {
      await eventually('the new brand text', async () => {
        const page = await browser.newPage();
        try {
          await page.goto(`http://todo.localhost:${HTTP_PORT}/login`, { timeout: 30_000 });
          const brand = await page.textContent('.brand');
          if (brand !== 'Todo dev-e2e') throw new Error(`brand is ${brand}`);
        } finally {
          await page.close();
        }
      }, 120_000, 500);
    } finally {
      await browser.close();
    }
    figures['frontend edit -> new page s'] = (Date.now() - t0) / 1000;
    expect(dev.since(mark)).toMatch(/frontend: synced 1 file/);
    expect(dev.since(mark)).not.toMatch(/build frontend|helm upgrade/);
  }, 200_000);

  test('a syntax error is reported, the loop survives, and the fix recovers', async () => {
    const mark = dev.mark();
    edit('apps/backend/todo_api/deps.py', 'Not authenticated (dev-e2e-1): send', 'Not authenticated (dev-e2e-2): send');
    edit('apps/backend/todo_api/deps.py', /\n$/, '\ndef broken(:\n');
    await dev.waitFor(/\[backend\]\s.*SyntaxError/, mark, 60);
    expect(dev.exited).toBeUndefined();
    edit('apps/backend/todo_api/deps.py', '\ndef broken(:\n', '\n');
    await eventually('the fixed backend answers', async () => {
      const r = await get(HTTP_PORT, '/api/tasks');
      if (!r.body.includes('dev-e2e-2')) throw new Error(`${r.status} ${r.body}`);
    }, 90_000);
  }, 200_000);

  test('20 files saved at once make one pass', async () => {
    await sleep(1000);
    const mark = dev.mark();
    for (let i = 0; i < 20; i++) writeFileSync(join(ws, `apps/backend/todo_api/dev_e2e_${i}.py`), `VALUE = ${i}\n`);
    await dev.waitFor(/backend: synced 20 files/, mark, 60);
    await sleep(1500);
    const passes = dev.since(mark).match(/\] pass \d+: \d+ changed files?/g) ?? [];
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatch(/: 20 changed files/);
  }, 120_000);

  test('port-forward answers before and after the backend pods are replaced', async () => {
    forward = session(['run', 'todo:port-forward-local', `--portOffset=${PORT_OFFSET}`]);
    await forward.waitFor(/Forwarding \(kept across rollouts\)/, 0, 120);
    expect(forward.out).toContain(`backend: 127.0.0.1:${PORT_OFFSET + 8000}`);
    expect(forward.out).toContain(`database: 127.0.0.1:${PORT_OFFSET + 5432}`);
    const health = async () => {
      const r = await get(PORT_OFFSET + 8000, '/healthz');
      if (r.status !== 200) throw new Error(`healthz ${r.status}`);
    };
    await eventually('healthz through the port-forward', health, 30_000);
  }, 200_000);

  test('logs-local follows one service with --service and --since, and refuses an unknown one', async () => {
    const logs = session(['run', 'todo:logs-local', '--service=frontend', '--since=10m']);
    await logs.waitFor(/Following frontend in todo-local/, 0, 120);
    await logs.waitFor(/\[frontend\]\s/, 0, 60);
    expect(logs.out).not.toMatch(/\[backend\]/);
    expect(await logs.interrupt()).toBeLessThanOrEqual(2);
    const bad = nx(['run', 'todo:logs-local', '--service=nope']);
    expect(bad.status).not.toBe(0);
    expect(bad.out).toContain('unknown --service nope: the services are backend, frontend');
  }, 200_000);

  test('requirements.txt: the new package is importable in the running pods first, then the rebuilt backend alone replaces them; frontend pods keep their UIDs; log prefixes follow the new pods', async () => {
    const frontend = pods('frontend').map((p) => p.uid).sort();
    const backend = pods('backend').map((p) => p.uid);
    /** Where `python3 -c "import six"` finds it in a pod (the dev image's PYTHONPATH, as the server's). */
    const sixIn = (pod: string) => k(['exec', pod, '-c', 'backend', '--', 'python3', '-c', 'import six; print(six.__file__)']).trim();
    expect(() => sixIn(pods('backend')[0].name)).toThrow(/No module named 'six'/); // a package the backend does not have
    const mark = dev.mark();
    const t0 = Date.now();
    // six: small, pure Python, one wheel for every platform. The comment is unique per run: the daemon
    // keeps images, and the same content key would (rightly) skip the build.
    edit('apps/backend/requirements.txt', /$/, `six==1.17.0\n# dev-e2e: a dependency change ${Date.now()}\n`);
    let importable = '';
    await eventually('six importable in a running backend pod', async () => {
      for (const p of pods('backend').filter((p) => backend.includes(p.uid))) {
        try {
          importable = `${p.name}: ${sixIn(p.name)}`;
          return;
        } catch {
          // not yet
        }
      }
      throw new Error(`not yet; the loop said:\n${dev.since(mark).slice(-1500)}`);
    }, 120_000, 200);
    figures['requirements change -> importable s'] = (Date.now() - t0) / 1000;
    // In a pod from before the change, from the packages folder, while the pass still rebuilds.
    expect(importable).toMatch(/: \/opt\/dev\/packages\/six\.py$/);
    expect(dev.since(mark)).not.toMatch(/pass \d+ done in/);
    // The loop's line comes once the pods are also marked (after the files are in place).
    const line = await dev.waitFor(/backend: installed six==1\.17\.0 into todo-backend-\S+ in ([\d.]+)s \(ask ([\d.]+)s, pip ([\d.]+)s, copy ([\d.]+)s; pip on this machine, for the pods' Python 3\.\d+ \w+ \w+\): importable now/, mark, 60);
    // Where the seconds go: the install's phases (the pods' Python asked, pip here, the copy into the pods and the marker).
    for (const [i, step] of ['install', 'install: ask the pod', 'install: pip', 'install: copy into the pods'].entries()) figures[`requirements pass: ${step} s`] = Number(line[i + 1]);
    const installedPod = importable.split(':')[0];
    expect(k(['get', 'pod', installedPod, '-o', 'jsonpath={.metadata.annotations.todo\\.dev/synced-at}'])).not.toBe(''); // the sync marker covers it
    await dev.waitFor(/pass \d+ done in/, mark, 600);
    figures['requirements change -> rolled s'] = (Date.now() - t0) / 1000;
    const out = dev.since(mark);
    // Where the seconds go: each step's own line ("[1/4] build backend: done in 7.5s").
    for (const [, step, secs] of out.matchAll(/\[\d+\/\d+\] ([^:\n]+): (?:done in|skipped \(.*\)) ([\d.]+)s/g)) figures[`requirements pass: ${step} s`] = Number(secs);
    expect(out).toMatch(/rebuild backend \(apps\/backend\/requirements\.txt\)/);
    expect(out).toMatch(/build backend: todo-backend-dev:content-\w+ is not in the Docker daemon/);
    expect(out).not.toMatch(/build frontend|load frontend/);
    expect(pods('frontend').map((p) => p.uid).sort()).toEqual(frontend);
    const after = pods('backend');
    expect(after.some((p) => backend.includes(p.uid))).toBe(false);
    expect(after.every((p) => !p.synced)).toBe(true); // image-built pods, with the synced files inside
    // The rebuilt image has the package itself; the new pods' packages folder is empty.
    for (const p of after) expect(sixIn(p.name)).toMatch(/^\/opt\/site\/six\.py$/);
    // The new pod's log is followed, under the same prefix.
    await dev.waitFor(new RegExp(`\\[backend\\]\\s.*(Uvicorn running|Application startup complete|Started server process)`), mark + out.indexOf('helm release'), 120);
    expect((await get(HTTP_PORT, '/api/tasks')).body).toContain('dev-e2e-2');
    // The port-forward reaches the replaced pods on the same port.
    await eventually('healthz through the port-forward after the rollout', async () => {
      const r = await get(PORT_OFFSET + 8000, '/healthz');
      if (r.status !== 200) throw new Error(`healthz ${r.status}`);
    }, 60_000);
  }, 700_000);

  test('a values change upgrades only: no image work', async () => {
    const before = helmRevision().revision;
    const mark = dev.mark();
    const t0 = Date.now();
    edit('charts/todo/values-local.yaml', /$/, '\n# dev-e2e\nconfig:\n  logLevel: debug\n');
    await dev.waitFor(/pass \d+ done in/, mark, 300);
    figures['values change -> upgraded s'] = (Date.now() - t0) / 1000;
    const out = dev.since(mark);
    expect(out).toMatch(/helm upgrade \(charts\/todo\/values-local\.yaml\)/);
    expect(out).not.toMatch(/\] build (backend|frontend)|\] load (backend|frontend)/);
    expect(helmRevision().revision).toBe(before + 1);
    expect(out).toMatch(/\[frontend\]|\[backend\]/);
  }, 400_000);

  test('Ctrl-C stops within 2 s, leaves no kubectl or docker process, and the release deployed', async () => {
    const forwardSeconds = await forward.interrupt();
    const seconds = await dev.interrupt();
    figures['Ctrl-C (session with logs) s'] = seconds;
    figures['Ctrl-C (port-forward) s'] = forwardSeconds;
    if (seconds > 2) process.stderr.write(`dev session after Ctrl-C:\n${dev.stopping.join('\n')}\n`);
    expect(seconds).toBeLessThanOrEqual(2);
    expect(forwardSeconds).toBeLessThanOrEqual(2);
    // Said when watching starts (Nx drops what a task prints after Ctrl-C): the release stays, and how to remove it.
    expect(dev.out).toMatch(/Ctrl-C leaves the release todo running in todo-local .*remove it: npx nx run todo:uninstall-local/);
    await sleep(300);
    const stray = [...strayProcesses(dev.child.pid!), ...strayProcesses(forward.child.pid!)];
    expect(stray).toEqual([]);
    expect(helmRevision().status).toBe('deployed');
  }, 60_000);
});

test('a following deploy-local replaces the synced pods; then its no-op run skips', () => {
  expect(pods('frontend').some((p) => p.synced)).toBe(true);
  ok(nx(['run', 'todo:deploy-local', offline()]));
  expect([...pods('frontend'), ...pods('backend')].filter((p) => p.synced)).toEqual([]);
  const again = ok(nx(['run', 'todo:deploy-local', offline()]));
  expect(again.out).toMatch(/helm release: skipped/);
  // A pod marked by hand (as a sync would) is replaced by the next deploy even though nothing else changed.
  const [pod] = pods('backend');
  k(['annotate', 'pod', pod.name, 'todo.dev/synced-at=2026-01-01T00:00:00Z']);
  const marked = ok(nx(['run', 'todo:deploy-local', offline()]));
  expect(marked.out).toMatch(/run files synced by the dev loop: restarting deployment\/todo-backend/);
  expect(pods('backend').map((p) => p.name)).not.toContain(pod.name);
  expect(ok(nx(['run', 'todo:deploy-local', offline()])).out).toMatch(/helm release: skipped/);
}, 900_000);

test("deploy-local pushes to the cluster's local registry, and after a backend edit the node pulls only the changed layer", async () => {
  const registry = `localhost:${env.KIND_REGISTRY_PORT}`;
  const registryName = `${CLUSTER}-registry`;
  const image = () => k(['get', 'deployment', 'todo-backend', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).trim();
  const before = image();
  expect(before.startsWith(`${registry}/todo-backend:content-`)).toBe(true); // the chart got the registry's prefix
  expect(k(['-n', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '-o', 'jsonpath={.data.localRegistryHosting\\.v1}'])).toContain(`host: "${registry}"`);
  /** The layer digests of a pushed image, from the registry's manifest. */
  const layers = async (ref: string): Promise<string[]> => {
    const [repo, tag] = ref.slice(registry.length + 1).split(':');
    const res = await fetch(`http://127.0.0.1:${env.KIND_REGISTRY_PORT}/v2/${repo}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
  };
  const since = new Date().toISOString();
  edit('apps/backend/todo_api/__init__.py', /$/, `# dev-e2e: one backend file ${Date.now()}\n`);
  const r = ok(nx(['run', 'todo:deploy-local', offline()]));
  expect(r.out).toMatch(new RegExp(`load backend: push ${registry}/todo-backend:content-\\w+ to ${registry}`));
  const after = image();
  expect(after).not.toBe(before);
  const [old, now] = [await layers(before), await layers(after)];
  const changed = now.filter((d) => !old.includes(d));
  // The registry's access log: the blobs the node's containerd fetched during that deploy.
  const log = spawnSync(DOCKER, ['logs', '--since', since, registryName], { encoding: 'utf8' });
  const fetched = new Set([...`${log.stdout}${log.stderr}`.matchAll(/"GET \/v2\/todo-backend\/blobs\/(sha256:[0-9a-f]{64})/g)].map((m) => m[1]));
  const pulledLayers = now.filter((d) => fetched.has(d));
  figures['one backend file: image layers / changed / pulled by the node'] = `${now.length} / ${changed.length} / ${pulledLayers.length}`;
  expect(changed).toHaveLength(1); // only the app's own code
  expect(pulledLayers).toEqual(changed);
}, 900_000);

test('the migrate init containers: skipped while the migrations are unchanged, run before the new pods serve when one changes', () => {
  type Pod = { spec: { initContainers?: { name: string }[] }; status: { initContainerStatuses?: { name: string; state: { terminated?: { exitCode: number; finishedAt: string } } }[]; containerStatuses: { state: { running?: { startedAt: string } } }[] } };
  const backendPod = () => JSON.parse(k(['get', 'pod', pods('backend')[0].name, '-o', 'json'])) as Pod;
  const inits = (p: Pod) => (p.spec.initContainers ?? []).map((c) => c.name);
  // The deploy of the test before changed one backend file, not the migrations.
  expect(inits(backendPod())).not.toContain('migrate');
  const dir = 'apps/backend/todo_api/migrations/versions';
  const last = readdirSync(join(ws, dir)).filter((f) => f.endsWith('.py')).sort().pop()!;
  edit(`${dir}/${last}`, /$/, `# dev-e2e: a migration changed ${Date.now()}\n`);
  ok(nx(['run', 'todo:deploy-local', offline()]));
  const p = backendPod();
  expect(inits(p)).toEqual(['wait-for-database', 'migrate']);
  const migrate = p.status.initContainerStatuses!.find((s) => s.name === 'migrate')!.state.terminated!;
  expect(migrate.exitCode).toBe(0);
  expect(Date.parse(migrate.finishedAt)).toBeLessThanOrEqual(Date.parse(p.status.containerStatuses[0].state.running!.startedAt));
}, 900_000);

// The naive anchor of the benchmark (docs/dev-loop.md, "Speed"), in the same run as the loop's figures:
// what a change costs without the loop, for the same two kinds of change the loop was timed on (a
// backend .py edit, a requirements.txt edit). Only with DEV_BENCH=1 (minutes; not in the test command).
if (process.env.DEV_BENCH)
  test('bench anchor: on each change, rebuild both images under a new tag, kind load both, helm upgrade --wait', () => {
    const images = JSON.parse(readFileSync(join(ws, 'dist/base-images/images.json'), 'utf8')) as Record<string, Record<string, string>>;
    const naive = (label: string, change: () => void) => {
      change();
      const tag = `naive-${Date.now()}`;
      // Under the name the pods use: the chart prefixes the cluster's local registry (global.imageRegistry,
      // kept by --reuse-values); kind load puts that name on the node and IfNotPresent pulls nothing.
      const reg = `localhost:${env.KIND_REGISTRY_PORT}`;
      const t0 = Date.now();
      for (const [service, flavor] of [['backend', 'python'], ['frontend', 'node']]) {
        execFileSync(DOCKER, ['build', '-q', '-f', `apps/${service}-image/Dockerfile`, '--secret', `id=ca_bundle,src=${process.env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt'}`,
          '--build-arg', `BASE_IMAGE=${images[flavor].BASE_IMAGE}`, '--build-arg', `BUILDER_IMAGE=${images[flavor].BUILDER_IMAGE}`, '-t', `${reg}/todo-${service}:${tag}`, '.'], { cwd: ws, env: { ...env, DOCKER_BUILDKIT: '1' }, stdio: 'pipe', timeout: 1_200_000 });
      }
      const built = Date.now();
      for (const service of ['backend', 'frontend']) sh(kindBin, ['load', 'docker-image', `${reg}/todo-${service}:${tag}`, '--name', CLUSTER]);
      const loaded = Date.now();
      execFileSync(env.HELM_BIN!, ['upgrade', 'todo', join(ws, 'charts/todo'), '--reuse-values', '--kube-context', CONTEXT, '-n', 'todo-local', '--wait', '--timeout', '10m',
        ...['backend', 'frontend'].flatMap((s) => ['--set', `services.${s}.image.repository=todo-${s}`, '--set', `services.${s}.image.tag=${tag}`])], { env, stdio: 'pipe', timeout: 900_000 });
      figures[`naive anchor, ${label}: build both s`] = (built - t0) / 1000;
      figures[`naive anchor, ${label}: load both s`] = (loaded - built) / 1000;
      figures[`naive anchor, ${label}: total s`] = (Date.now() - t0) / 1000;
      for (const service of ['backend', 'frontend']) spawnSync(DOCKER, ['rmi', `${reg}/todo-${service}:${tag}`]);
    };
    naive('backend .py edit', () => edit('apps/backend/todo_api/deps.py', /Not authenticated( \(dev-e2e-[\d.]+\))?: send/, `Not authenticated (anchor ${Date.now()}): send`));
    naive('requirements.txt edit', () => edit('apps/backend/requirements.txt', /$/, `# dev-e2e anchor: a dependency change ${Date.now()}\n`));
  }, 1_800_000);
