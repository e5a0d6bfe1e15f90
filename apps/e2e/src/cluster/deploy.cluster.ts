/*
 * `nx run todo:deploy-local` on a real kind cluster, as a user runs it (nx run e2e:cluster; minutes).
 *
 * Runs in a temporary copy of the workspace (so `nx g env staging`, `nx g service worker` and a changed
 * backend file never touch the checkout) against its own cluster "todo-deploy-e2e" on ports 18280/18643.
 * No registry is reachable here, so every deploy runs with --offline, as a user without a container
 * registry would: it finds or builds the offline kind node image and its Traefik (tools/offline-kind),
 * the local base images and the PostgreSQL stand-in (tools/base-images). kind/kubectl/helm built from
 * the Go proxy are still given as KIND_BIN/KUBECTL_BIN/HELM_BIN (overrides --offline honours) because
 * the other targets (rollback, status, backup, ...) have no --offline and need them.
 *
 * The tests run in order and share the cluster: from nothing to a browser journey through the ingress;
 * a no-op run; repairs from real state; persistence; two replicas and a siege through the ingress at two
 * replicas (shared login throttle, clients apart by address, a quota, sessions that end); the chart's
 * JWT-length refusal; upgrade and rollback; an automatic rollback; network policy, Pod Security and
 * encryption at rest; backup/restore (from a dump of an older schema revision); uninstall/reinstall;
 * a second environment; a generated service beside the others.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../browser';
import { firstUserJourney, secondUserSeesNothing } from '../user-journey';
import { eventually } from '@todo/test-utils';
import { appHttp } from './app-http';
import { KUBECTL_OUTPUT_BYTES, WORKSPACE, copyEnv, copyWorkspace, lastLine, releaseRevision, sh } from './workspace';

const CLUSTER = 'todo-deploy-e2e';
const HTTP_PORT = 18280;
const CONTEXT = `kind-${CLUSTER}`;
/** The cluster's local registry (cluster-up --registry), for the environment that pushes instead of loading. */
const REGISTRY_NAME = `${CLUSTER}-registry`;
const REGISTRY = 'localhost:15002';
const NODE = `${CLUSTER}-control-plane`;

let ws = '';
let state = '';
let env: NodeJS.ProcessEnv = {};
let kubectlBin = '';
let kindBin = '';
let browser: Browser | undefined;
let user: { email: string; password: string };
let titles: string[] = [];
const timings: Record<string, number> = {};


interface NxRun {
  status: number | null;
  out: string;
  seconds: number;
}

function nx(args: string[], extra: NodeJS.ProcessEnv = {}): NxRun {
  const t = Date.now();
  const r = spawnSync('npx', ['nx', ...args, '--output-style=stream'], { cwd: ws, env: { ...env, ...extra }, encoding: 'utf8', timeout: 1_200_000, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (Date.now() - t) / 1000;
  let key = args.join(' ');
  while (key in timings) key += "'";
  timings[key] = seconds;
  return { status: r.status, out: `${r.stdout}${r.stderr}`, seconds };
}

function ok(r: NxRun): NxRun {
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.out.slice(-6000)}`);
  return r;
}

const values = () => `--values=${join(state, 'e2e-values.yaml')}`;
const deploy = (envName = 'local', extra: string[] = [], xenv: NodeJS.ProcessEnv = {}) => nx(['run', `todo:deploy-${envName}`, '--offline', values(), ...extra], xenv);

function k(args: string[], input?: string): string {
  return execFileSync(kubectlBin, ['--context', CONTEXT, ...args], { env, encoding: 'utf8', input, timeout: 300_000, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: KUBECTL_OUTPUT_BYTES });
}
const kTry = (args: string[], input?: string) => spawnSync(kubectlBin, ['--context', CONTEXT, ...args], { env, encoding: 'utf8', input, timeout: 300_000, maxBuffer: KUBECTL_OUTPUT_BYTES });

/** Steps of the last deploy of an environment, from dist/deploy/<env>.json in the copy. */
function steps(envName = 'local'): Record<string, { outcome: string; seconds: number }> {
  const report = JSON.parse(readFileSync(join(ws, 'dist/deploy', `${envName}.json`), 'utf8')) as { steps: { name: string; outcome: string; seconds: number }[] };
  return Object.fromEntries(report.steps.map((s) => [s.name, { outcome: s.outcome, seconds: s.seconds }]));
}

const helmRevision = (ns = 'todo-local') => releaseRevision(k, ['-n', ns]);

function podsOf(component: string, ns = 'todo-local'): { name: string; uid: string; image: string }[] {
  const items = JSON.parse(k(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json'])).items as {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
    spec: { containers: { image: string }[] };
  }[];
  return items.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, image: p.spec.containers[0].image }));
}

const deploymentImage = (name: string, ns = 'todo-local') => k(['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);

// ------------------------------------------------------------------- the app's API through the ingress

const http = (method: string, path: string, opts: { host?: string; body?: unknown; cookie?: string } = {}) => appHttp(HTTP_PORT, method, path, opts);

async function login(u = user, host?: string): Promise<string> {
  const r = await http('POST', '/api/auth/login', { host, body: u });
  if (r.status !== 200 || !r.cookie) throw new Error(`login of ${u.email} on ${host ?? 'todo.localhost'}: ${r.status} ${r.body}`);
  return r.cookie;
}

async function taskTitles(cookie: string, host?: string): Promise<string[]> {
  const r = await http('GET', '/api/tasks?limit=100', { cookie, host });
  if (r.status !== 200) throw new Error(`GET /api/tasks: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { items: { title: string }[] }).items.map((t) => t.title).sort();
}

/** The user's tasks, as the app shows them (retried while pods restart). */
const userTasks = () => eventually('read the tasks', async () => taskTitles(await login()));

// ------------------------------------------------------------------------------------------ the siege

const SIEGE_TASK_QUOTA = 100;

/** The kind network and the node's address on it: where the siege's containers send from and to. */
function kindNetwork(): { network: string; nodeIp: string } {
  const nets = JSON.parse(execFileSync('docker', ['inspect', '-f', '{{json .NetworkSettings.Networks}}', NODE], { encoding: 'utf8' })) as Record<string, { IPAddress: string }>;
  const [network, n] = Object.entries(nets)[0];
  return { network, nodeIp: n.IPAddress };
}

interface Volley {
  statuses: Record<string, number>;
  seconds: number[];
}

/**
 * A client with a source address of its own: a container on the kind network (the backend image, for its
 * Python) that stays up so every volley it sends comes from the same address. Volleys go to the
 * ingress's NodePort on the node, released together (siege-client.py).
 */
function siegeClient(name: string) {
  const { network, nodeIp } = kindNetwork();
  spawnSync('docker', ['rm', '-f', name]);
  execFileSync('docker', [
    'run', '-d', '--name', name, '--network', network,
    '-v', `${join(__dirname, 'siege-client.py')}:/siege.py:ro`,
    '--entrypoint', 'python', deploymentImage('todo-backend'), '-c', 'import time; time.sleep(900)',
  ], { encoding: 'utf8' });
  const address = execFileSync('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name], { encoding: 'utf8' }).trim();
  const volley = (method: string, path: string, count: number, body?: unknown) =>
    new Promise<Volley>((resolve, reject) =>
      execFile(
        'docker',
        ['exec', name, 'python', '/siege.py', nodeIp, '30080', 'todo.localhost', method, path, String(count), ...(body === undefined ? [] : [JSON.stringify(body)])],
        { encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${name}: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Volley)),
      ),
    );
  return { address, volley, remove: () => spawnSync('docker', ['rm', '-f', name]) };
}

/** Password checks that did not match, from every backend pod's log since `since` (h21b: `password checked`). */
function failedPasswordChecks(since: string): number {
  return podsOf('backend')
    .map((p) => k(['-n', 'todo-local', 'logs', p.name, '-c', 'backend', `--since-time=${since}`]))
    .join('\n')
    .split('\n')
    .filter((line) => line.includes('password checked') && line.includes('mismatch')).length;
}

const percentile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))] : NaN;
};

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

// ---------------------------------------------------------------------------------------------- setup

beforeAll(() => {
  sh('bash', ['.ci/start-docker.sh']);
  kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  const helm3 = lastLine(sh('bash', ['scripts/go-tool.sh', 'helm3']));
  const helm4 = lastLine(sh('bash', ['scripts/go-tool.sh', 'helm4']));

  ({ ws, state } = copyWorkspace('deploy-e2e'));
  // The PostgreSQL stand-in comes from --offline (dist/deploy/offline-values.yaml in the copy).
  writeFileSync(join(state, 'e2e-values.yaml'), `backup:\n  enabled: true\n`);
  env = {
    ...copyEnv(ws, state, CLUSTER, [HTTP_PORT, 18643]),
    KIND_BIN: kindBin,
    KUBECTL_BIN: kubectlBin,
    HELM_BIN: helm3,
    HELM4_BIN: helm4,
    KIND_REGISTRY: 'true',
    // deploy-local here is the `kind load` path, chosen explicitly (the local registry is the default:
    // the dev-loop e2e and the bench take that path); the registry serves the "remote" environment of test 13.
    TODO_LOCAL_REGISTRY: 'false',
    KIND_REGISTRY_NAME: REGISTRY_NAME,
    KIND_REGISTRY_PORT: REGISTRY.split(':')[1],
    KIND_REGISTRY_IMAGE: lastLine(sh('bash', ['tools/cluster/scripts/registry-image.sh'])),
  };
  // --offline finds or builds these itself; none may come from the caller's environment.
  for (const v of ['HELM', 'KUBECTL', 'KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'TODO_BASE_IMAGES', 'TODO_OFFLINE']) delete env[v];
  spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER], { env }); // a leftover from an aborted run
  spawnSync('docker', ['rm', '-f', REGISTRY_NAME]);
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  if (kindBin) spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER], { env });
  spawnSync('docker', ['rm', '-f', REGISTRY_NAME]);
  const pushed = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REGISTRY}/*/*`]).stdout?.toString() ?? '';
  const pushed1 = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REGISTRY}/*`]).stdout?.toString() ?? '';
  const tags = `${pushed}\n${pushed1}`.split('\n').filter(Boolean);
  if (tags.length) spawnSync('docker', ['rmi', ...tags]);
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
  process.stderr.write(`deploy e2e timings (s): ${JSON.stringify(timings, null, 1)}\n`);
}, 300_000);

// ---------------------------------------------------------------------------------------------- tests

test('1. from nothing: cluster, images, release, smoke check; a browser journey through the ingress', async () => {
  const r = ok(deploy());
  expect(r.out).toContain(`kind cluster ${CLUSTER} does not exist: creating it`);
  expect(r.out).toMatch(new RegExp(`Ready in [\\d.]+s: http://todo\\.localhost:${HTTP_PORT}/`));
  const s = steps();
  expect(s.cluster.outcome).toBe('ran');
  expect(s['load backend'].outcome).toBe('ran');
  expect(s['load frontend'].outcome).toBe('ran');
  expect(s['other images'].outcome).toBe('ran'); // the database stand-in, from the daemon: the node never pulls
  expect(s['helm release'].outcome).toBe('ran');
  // helm --wait returns when every pod is Ready: the Helm step bounds "all pods Ready".
  expect(s['helm release'].seconds).toBeLessThan(120);
  const notReady = k(['-n', 'todo-local', 'get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']);
  expect(notReady.split(' ').filter((p) => p && !p.endsWith('=True') && !p.includes('-backup-'))).toEqual([]);

  browser = await launchBrowser();
  const base = `http://todo.localhost:${HTTP_PORT}`;
  const journey = await firstUserJourney(browser, base);
  user = journey.user;
  titles = [...journey.titles].sort();
  await secondUserSeesNothing(browser, base, journey.titles);
  expect(await userTasks()).toEqual(titles);
}, 900_000);

test('2. a second run with nothing changed skips every step and keeps the Helm revision', () => {
  const before = helmRevision();
  const r = ok(deploy());
  const s = steps();
  expect(Object.entries(s).filter(([name, v]) => v.outcome !== 'skipped' && name !== 'smoke check')).toEqual([]);
  expect(r.out).toMatch(/helm release: skipped \(revision \d+ already has these chart files, values and images; \d+ workloads ready\)/);
  expect(helmRevision()).toEqual(before);

  // A release changed by hand (same chart, values reused) is not this deploy's: the next deploy upgrades it.
  execFileSync(env.HELM_BIN!, ['upgrade', 'todo', join(ws, 'charts/todo'), '--reuse-values', '--kube-context', CONTEXT, '-n', 'todo-local', '--wait'], { env, stdio: 'pipe', timeout: 300_000 });
  expect(helmRevision().revision).toBe(before.revision + 1);
  const again = ok(deploy());
  expect(again.out).toMatch(/helm release: revision \d+ was not made by this deploy \("Upgrade complete"\)/);
  expect(helmRevision().revision).toBe(before.revision + 2);
}, 600_000);

test('3. real state, not a cache: an image removed from the node and a deleted Deployment are put back', async () => {
  const frontendRef = deploymentImage('todo-frontend');
  k(['-n', 'todo-local', 'delete', 'deployment', 'todo-frontend', '--wait=true']);
  await eventually('the frontend pod is gone', async () => {
    if (podsOf('frontend').length || k(['-n', 'todo-local', 'get', 'pods', '-l', 'app.kubernetes.io/component=frontend', '-o', 'name']).trim()) throw new Error('still there');
  });
  execFileSync('docker', ['exec', NODE, 'crictl', 'rmi', frontendRef]);
  const r = ok(deploy());
  expect(r.out).toMatch(/load frontend: node todo-deploy-e2e-control-plane lacks todo-frontend:content-\w+ \(\w+\): kind load/);
  expect(r.out).toMatch(/helm release: revision \d+ is current but Deployment todo-frontend is missing/);
  const s = steps();
  expect([s['load backend'].outcome, s['load frontend'].outcome, s['build frontend'].outcome]).toEqual(['skipped', 'ran', 'skipped']);
  expect(podsOf('frontend')).toHaveLength(1);
  expect(await userTasks()).toEqual(titles);
}, 600_000);

test('4. persistence: the database and backend pods deleted, the data is still there', async () => {
  k(['-n', 'todo-local', 'delete', 'pod', '-l', 'app.kubernetes.io/component in (postgres,backend)', '--wait=true']);
  k(['-n', 'todo-local', 'rollout', 'status', 'statefulset/todo-postgres', '--timeout=180s']);
  k(['-n', 'todo-local', 'rollout', 'status', 'deployment/todo-backend', '--timeout=180s']);
  expect(await userTasks()).toEqual(titles);
}, 600_000);

test('5. an upgrade with a changed value (two backend replicas) keeps the data, and the ingress reaches both pods', async () => {
  const before = helmRevision();
  // A small task quota for the siege (5a), so an account reaches it in a bounded test.
  ok(deploy('local', ['--set=services.backend.replicaCount=2', `--set=limits.tasksPerUser=${SIEGE_TASK_QUOTA}`]));
  expect(helmRevision().revision).toBe(before.revision + 1);
  const pods = podsOf('backend');
  expect(pods).toHaveLength(2);
  expect(await userTasks()).toEqual(titles);
  // The frontend's proxy keeps connections to the backend Service open, and the Service balances per
  // connection: concurrent requests open several connections. Bursts until each pod has answered some.
  const cookie = await login();
  const since = new Date(Date.now() - 1000).toISOString();
  const served = () => pods.filter((p) => /"path": "\/api\/tasks", "status": 200/.test(k(['-n', 'todo-local', 'logs', p.name, '-c', 'backend', `--since-time=${since}`])));
  for (let burst = 0; burst < 5 && served().length < pods.length; burst++) {
    const statuses = await Promise.all(Array.from({ length: 20 }, () => http('GET', '/api/tasks?limit=1', { cookie }).then((r) => r.status)));
    expect(statuses.every((st) => st === 200)).toBe(true);
  }
  expect(served().map((p) => p.name).sort()).toEqual(pods.map((p) => p.name).sort());
}, 600_000);

test('5a. siege through the ingress at two replicas: shared login throttle, clients apart by address, sessions that end', async () => {
  expect(podsOf('backend')).toHaveLength(2);
  const free = Number(k(['-n', 'todo-local', 'get', 'configmap', 'todo-backend', '-o', 'jsonpath={.data.LOGIN_FREE_FAILURES}']) || '5');
  const password = 'siege-Secret-pw-1';
  const signup = async (email: string) => {
    const r = await http('POST', '/api/auth/signup', { body: { email, password } });
    if (r.status !== 201 && r.status !== 200) throw new Error(`signup ${email}: ${r.status} ${r.body}`);
    return r.cookie!;
  };
  const victim = 'siege-victim@example.test';
  const bystander = 'siege-bystander@example.test';
  await signup(victim);
  await signup(bystander);
  const abuser = siegeClient('todo-deploy-e2e-abuser');
  const other = siegeClient('todo-deploy-e2e-bystander');
  try {
    expect(abuser.address).not.toBe(other.address);
    const since = new Date(Date.now() - 1000).toISOString();
    // 500 wrong passwords for one account at once, while a normal user (the host) signs in and lists tasks.
    const flood = abuser.volley('POST', '/api/auth/login', 500, { email: victim, password: 'wrong-password-123' });
    let flooding = true;
    void flood.finally(() => (flooding = false));
    const logins: number[] = [];
    const lists: number[] = [];
    const hostStatuses: number[] = [];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let i = 0; i < 40 && (flooding || i < 5); i++) {
          const [r, ms] = await timed(() => http('POST', '/api/auth/login', { body: user }));
          logins.push(ms);
          hostStatuses.push(r.status);
          const [t, ms2] = await timed(() => http('GET', '/api/tasks?limit=50', { cookie: r.cookie }));
          lists.push(ms2);
          hostStatuses.push(t.status);
        }
      }),
    );
    const result = await flood;
    await new Promise((r) => setTimeout(r, 3000)); // the last log lines
    const checks = failedPasswordChecks(since);
    process.stderr.write(
      `siege: 500 wrong passwords for one account from ${abuser.address}: ${JSON.stringify(result.statuses)}, ${checks} password checks (free ${free}); ` +
        `flood p50/p99 ${(percentile(result.seconds, 0.5) * 1000).toFixed(0)}/${(percentile(result.seconds, 0.99) * 1000).toFixed(0)} ms; ` +
        `during it, from the host: ${logins.length} logins p99 ${percentile(logins, 0.99)} ms, ${lists.length} task lists p99 ${percentile(lists, 0.99)} ms\n`,
    );
    expect(Object.keys(result.statuses).sort()).toEqual(['401', '429']);
    expect(result.statuses['401'] + result.statuses['429']).toBe(500);
    // At once, at most free + 1 checks; the back-off is time-based, so on a slow machine a flood that lasts
    // longer than its waits (1, 2, 4 ... s) may earn one more check per wait that ran out meanwhile.
    const floodSeconds = Math.max(...result.seconds);
    let elapsedWaits = 0;
    for (let wait = 1, sum = 1; sum <= floodSeconds; wait *= 2, sum += wait) elapsedWaits++;
    const allowed = free + 1 + elapsedWaits;
    process.stderr.write(`siege: allowed ${allowed} checks (free ${free} + 1 + ${elapsedWaits} back-off waits that ran out in the ${floodSeconds.toFixed(1)} s flood)\n`);
    expect(result.statuses['401']).toBeLessThanOrEqual(allowed);
    expect(checks).toBeLessThanOrEqual(allowed);
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(hostStatuses.filter((st) => st !== 200)).toEqual([]);

    // Throttled apart. The abuser goes on with one wrong password for each of 40 other accounts, until its
    // address's budget is spent (429 even for an account it never tried); a client with another address,
    // and the host, are not throttled: a right password works, a wrong one is an ordinary 401.
    const spray = await abuser.volley('POST', '/api/auth/login', 40, { email: 'stranger-{n}@example.test', password: 'wrong-password-123' });
    const addressBudget = Number(k(['-n', 'todo-local', 'get', 'configmap', 'todo-backend', '-o', 'jsonpath={.data.LOGIN_FAILURES_PER_ADDRESS}']) || '30');
    process.stderr.write(`siege: then one wrong password each for 40 accounts from the same address: ${JSON.stringify(spray.statuses)} (address budget ${addressBudget})\n`);
    expect(spray.statuses['429']).toBeGreaterThanOrEqual(40 - addressBudget);
    expect((await abuser.volley('POST', '/api/auth/login', 1, { email: bystander, password: 'wrong-password-123' })).statuses).toEqual({ '429': 1 });
    expect((await other.volley('POST', '/api/auth/login', 1, { email: bystander, password })).statuses).toEqual({ '200': 1 });
    expect((await other.volley('POST', '/api/auth/login', 3, { email: bystander, password: 'wrong-password-123' })).statuses).toEqual({ '401': 3 });
    expect((await http('POST', '/api/auth/login', { body: user })).status).toBe(200);
  } finally {
    abuser.remove();
    other.remove();
  }

  // An account stops at its quota (tasks of ~4 KB, 10 at a time, some past it); the database volume keeps room.
  const hoarder = await signup('siege-quota@example.test');
  const statuses: number[] = [];
  const details = new Set<string>();
  for (let i = 0; i < SIEGE_TASK_QUOTA + 10; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, j) => http('POST', '/api/tasks', { cookie: hoarder, body: { title: `hoard ${i + j}`, description: 'x'.repeat(4000) } })),
    );
    for (const r of batch) {
      statuses.push(r.status);
      if (r.status !== 201) details.add(r.body);
    }
  }
  expect(statuses.filter((st) => st === 201)).toHaveLength(SIEGE_TASK_QUOTA);
  expect(statuses.filter((st) => st !== 201 && st >= 400 && st < 500)).toHaveLength(10);
  expect([...details].join('\n')).toMatch(/MAX_TASKS_PER_USER/);
  const usedKiB = Number(k(['-n', 'todo-local', 'exec', 'todo-postgres-0', '-c', 'postgres', '--', 'du', '-sk', '/var/lib/postgresql']).split(/\s+/)[0]);
  const sizeKiB = 1024 * 1024; // database.postgres.persistence.size: 1Gi
  process.stderr.write(`siege: quota ${SIEGE_TASK_QUOTA} tasks: ${statuses.filter((st) => st === 201).length} created, ${statuses.length - SIEGE_TASK_QUOTA} refused; PostgreSQL volume ${usedKiB} KiB used of ${sizeKiB}\n`);
  expect(usedKiB).toBeLessThan(sizeKiB);

  // Sessions that end: a token used after logout, and every other token after a password change, gets 401.
  const owner = 'siege-sessions@example.test';
  const first = await signup(owner);
  expect((await http('GET', '/api/tasks', { cookie: first })).status).toBe(200);
  expect((await http('POST', '/api/auth/logout', { cookie: first })).status).toBe(200);
  expect((await http('GET', '/api/tasks', { cookie: first })).status).toBe(401);
  const a = await login({ email: owner, password });
  const b = await login({ email: owner, password });
  const changed = await http('POST', '/api/auth/password', { cookie: a, body: { current_password: password, new_password: 'siege-New-password-2' } });
  expect(changed.status).toBe(200);
  expect((await http('GET', '/api/tasks', { cookie: b })).status).toBe(401);
  expect((await http('GET', '/api/tasks', { cookie: a })).status).toBe(401);
  expect((await http('GET', '/api/tasks', { cookie: changed.cookie })).status).toBe(200);
}, 900_000);

test('5b. the chart refuses a JWT secret shorter than 32 bytes in an existing Secret (read from the cluster at upgrade)', () => {
  k(['-n', 'todo-local', 'create', 'secret', 'generic', 'short-jwt', '--from-literal=JWT_SECRET=too-short-secret']);
  try {
    const r = spawnSync(env.HELM_BIN!, ['upgrade', 'todo', join(ws, 'charts/todo'), '--reuse-values', '--set', 'auth.existingSecret=short-jwt', '--dry-run=server', '--kube-context', CONTEXT, '-n', 'todo-local'], { env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('JWT_SECRET in Secret todo-local/short-jwt is 16 bytes: production needs at least 32');
  } finally {
    k(['-n', 'todo-local', 'delete', 'secret', 'short-jwt']);
  }
}, 300_000);

test('6. a new backend image: only the backend is rebuilt and loaded, frontend pods keep their UIDs; rollback-local returns the previous image', async () => {
  const frontendBefore = podsOf('frontend').map((p) => p.uid);
  const imageBefore = deploymentImage('todo-backend');
  const revisionBefore = helmRevision().revision;
  appendFileSync(join(ws, 'apps/backend/todo_api/__init__.py'), `\n# e2e change ${Date.now()}\n`);
  const r = ok(deploy());
  const s = steps();
  expect([s['build backend'].outcome, s['load backend'].outcome, s['helm release'].outcome]).toEqual(['ran', 'ran', 'ran']);
  expect([s['build frontend'].outcome, s['load frontend'].outcome]).toEqual(['skipped', 'skipped']);
  expect(r.out).not.toMatch(/Building todo-frontend|todo-frontend:content-\w+ is not in the daemon/);
  const imageAfter = deploymentImage('todo-backend');
  expect(imageAfter).not.toBe(imageBefore);
  expect(podsOf('frontend').map((p) => p.uid)).toEqual(frontendBefore);
  expect(await userTasks()).toEqual(titles);

  ok(nx(['run', 'todo:rollback-local']));
  expect(helmRevision()).toEqual({ revision: revisionBefore + 2, status: 'deployed' });
  expect(deploymentImage('todo-backend')).toBe(imageBefore);
  expect(await userTasks()).toEqual(titles);
}, 900_000);

test('7. a broken release (failing readiness probe) is rolled back automatically; the command fails and says so', async () => {
  const before = helmRevision();
  const imageBefore = deploymentImage('todo-backend');
  // 30 s: the new pod is created and fails its probe within seconds; Helm's timeout is all the rest of the wait.
  const r = deploy('local', ['--set=services.backend.probes.readinessPath=/not-ready', '--timeout=30s']);
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/error in step "helm release"/);
  expect(r.out).toMatch(/the upgrade failed and Helm rolled back \(now revision \d+/);
  expect(r.out).toMatch(/fix: +look at the pods above/);
  const after = helmRevision();
  expect(after.status).toBe('deployed');
  expect(after.revision).toBe(before.revision + 2); // the failed upgrade, then the rollback
  expect(k(['-n', 'todo-local', 'get', 'deployment', 'todo-backend', '-o', 'jsonpath={.spec.template.spec.containers[0].readinessProbe.httpGet.path}'])).toBe('/readyz');
  expect(deploymentImage('todo-backend')).toBe(imageBefore);
  expect(await userTasks()).toEqual(titles);
}, 900_000);

/**
 * The client in the probe pods: connects to the database's Service and prints what happened. A policy
 * refuses in whatever way the network answers: a dropped SYN times out, a reset or an ICMP reject ends
 * the attempt at once, and a pod whose DNS egress is denied never learns the address (name not
 * resolved); which one depends on which rule the packet meets first (the namespace's default deny
 * also covers DNS for pods outside the release). Each of those is "blocked" with exit 3; anything else
 * (a crash, a missing module) is a traceback and exit 1, so a broken probe never counts as a refusal.
 */
const PROBE = `
import errno, socket, sys
try:
    socket.create_connection(('todo-postgres', 5432), timeout=5).close()
except socket.gaierror as e:
    print('blocked: name not resolved:', e); sys.exit(3)
except TimeoutError as e:
    print('blocked: timeout:', e); sys.exit(3)
except ConnectionRefusedError as e:
    print('blocked: refused:', e); sys.exit(3)
except ConnectionResetError as e:
    print('blocked: reset:', e); sys.exit(3)
except OSError as e:
    if e.errno not in (errno.EHOSTUNREACH, errno.ENETUNREACH): raise
    print('blocked: unreachable:', e); sys.exit(3)
print('connected')
`;

function probePod(name: string, labels: Record<string, string>): string {
  const image = deploymentImage('todo-backend');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'todo-local', labels },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'Never',
          command: ['python', '-c', PROBE],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  });
}

/** How a probe pod ended: its phase, its container's exit code and what it printed. */
async function probeOutcome(name: string): Promise<{ phase: string; exitCode: number; log: string }> {
  // A stranger whose DNS is dropped waits for the resolver's retries (tens of seconds) before it gives up.
  const [phase, exitCode] = await eventually(
    `pod ${name} finished`,
    async () => {
      const [ph, code] = k(['-n', 'todo-local', 'get', 'pod', name, '-o', 'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}']).split(' ');
      if (ph !== 'Succeeded' && ph !== 'Failed') throw new Error(`phase ${ph}`);
      return [ph, Number(code)] as const;
    },
    300_000,
  );
  return { phase, exitCode, log: k(['-n', 'todo-local', 'logs', name]).trim() };
}

test('8. isolation: NetworkPolicy keeps other pods from the database; restricted Pod Security enforced; Secrets encrypted in etcd', async () => {
  // The same client, once with the backend's labels (allowed) and once without (must be blocked).
  const backendLabels = { 'app.kubernetes.io/name': 'todo', 'app.kubernetes.io/instance': 'todo', 'app.kubernetes.io/component': 'backend' };
  k(['apply', '-f', '-'], probePod('np-allowed', backendLabels));
  k(['apply', '-f', '-'], probePod('np-stranger', { app: 'stranger' }));
  // The outcome that matters: the allowed pod connected, the stranger's connection was refused (in any way).
  expect(await probeOutcome('np-allowed')).toEqual({ phase: 'Succeeded', exitCode: 0, log: 'connected' });
  const stranger = await probeOutcome('np-stranger');
  expect({ phase: stranger.phase, exitCode: stranger.exitCode }).toEqual({ phase: 'Failed', exitCode: 3 });
  expect(stranger.log).toMatch(/^blocked: (name not resolved|timeout|refused|reset|unreachable):/);
  process.stderr.write(`network policy: the stranger pod was ${stranger.log}\n`);
  k(['-n', 'todo-local', 'delete', 'pod', 'np-allowed', 'np-stranger', '--wait=false']);

  expect(k(['get', 'namespace', 'todo-local', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}'])).toBe('restricted');
  const privileged = kTry(['-n', 'todo-local', 'run', 'privileged', `--image=${deploymentImage('todo-backend')}`, '--restart=Never', '--privileged']);
  expect(privileged.status).not.toBe(0);
  expect(privileged.stderr).toMatch(/violates PodSecurity "restricted/);
  // Every pod of the release was admitted under that label, and none runs as root.
  const pods = JSON.parse(k(['-n', 'todo-local', 'get', 'pods', '-l', 'app.kubernetes.io/instance=todo', '-o', 'json'])).items as { spec: { securityContext?: { runAsNonRoot?: boolean } } }[];
  expect(pods.length).toBeGreaterThanOrEqual(4);
  for (const p of pods) expect(p.spec.securityContext?.runAsNonRoot).toBe(true);

  const jwt = Buffer.from(k(['-n', 'todo-local', 'get', 'secret', 'todo-secrets', '-o', 'jsonpath={.data.JWT_SECRET}']), 'base64').toString('utf8');
  expect(jwt.length).toBeGreaterThanOrEqual(32);
  const raw = execFileSync(
    kubectlBin,
    ['--context', CONTEXT, '-n', 'kube-system', 'exec', `etcd-${NODE}`, '--', 'etcdctl', '--endpoints=https://127.0.0.1:2379', '--cacert=/etc/kubernetes/pki/etcd/ca.crt', '--cert=/etc/kubernetes/pki/etcd/server.crt', '--key=/etc/kubernetes/pki/etcd/server.key', 'get', '/registry/secrets/todo-local/todo-secrets', '--print-value-only'],
    { env, encoding: 'latin1', timeout: 60_000 },
  );
  expect(raw.startsWith('k8s:enc:aescbc:v1:')).toBe(true);
  expect(raw).not.toContain(jwt);
}, 600_000);

test('9. backup and restore round-trip the data, from a dump of an older schema revision: the writers stopped, then migrated up', async () => {
  // The database taken one revision down with the app's own migrations, dumped there, and brought back up:
  // the newest backup is then one of an older schema, as after an upgrade whose migration ran since.
  const inBackend = (code: string) =>
    k(['-n', 'todo-local', 'exec', 'deploy/todo-backend', '-c', 'backend', '--', 'python', '-c', `import os; from todo_api import migrate; ${code}`]).trim();
  const revision = () => inBackend("print(migrate.current_revision(os.environ['DATABASE_URL']))");
  const head = revision();
  inBackend("migrate.downgrade(os.environ['DATABASE_URL'], '-1')");
  const older = revision();
  expect(older).not.toBe(head);
  const backup = ok(nx(['run', 'todo:backup-local']));
  expect(backup.out).toMatch(/checked: pg_restore --list reads \d+ entries/);
  inBackend("migrate.upgrade(os.environ['DATABASE_URL'])");
  expect(revision()).toBe(head);

  const cookie = await eventually('sign in after the upgrade', () => login());
  const added = await http('POST', '/api/tasks', { cookie, body: { title: 'added after the backup' } });
  expect(added.status).toBe(201);
  expect(await taskTitles(cookie)).toContain('added after the backup');
  const restore = ok(nx(['run', 'todo:restore-local']));
  expect(restore.out).toMatch(/stopping the writers: deployment\/todo-backend \d+ -> 0/);
  expect(restore.out).toMatch(/starting the writers: deployment\/todo-backend -> \d+/);
  // Migrated in a Job while the writers were stopped: no pod served the older schema.
  const migrated = restore.out.search(/migrating the restored database before backend serves again \(job\/todo-backend-migrate-/);
  expect(migrated).toBeGreaterThan(restore.out.search(/restoring the newest dump/));
  expect(migrated).toBeLessThan(restore.out.search(/starting the writers/));
  expect(await userTasks()).toEqual(titles);
  expect(revision()).toBe(head); // the migrate Job brought the older dump up to the code's
}, 900_000);

test('10. uninstall-local removes the release but keeps the data, and says so; a reinstall finds it', async () => {
  const pvc = k(['-n', 'todo-local', 'get', 'pvc', '-l', 'app.kubernetes.io/component=postgres', '-o', 'jsonpath={.items[*].metadata.uid}']);
  const r = ok(nx(['run', 'todo:uninstall-local']));
  expect(r.out).toMatch(/Kept on purpose, so a reinstall finds the data: .*persistentvolumeclaim\/data-todo-postgres-0/);
  expect(r.out).toContain('secret/todo-secrets');
  // The release's pods go; finished Job pods (the backup and restore runs) are not the release's to delete.
  await eventually('the pods are gone', async () => {
    const left = k(['-n', 'todo-local', 'get', 'pods', '-l', 'app.kubernetes.io/instance=todo', '--field-selector=status.phase!=Succeeded,status.phase!=Failed', '-o', 'name']).trim();
    if (left) throw new Error(left);
  });
  expect(k(['-n', 'todo-local', 'get', 'deployment,statefulset', '-o', 'name']).trim()).toBe('');
  expect(k(['-n', 'todo-local', 'get', 'pvc', '-l', 'app.kubernetes.io/component=postgres', '-o', 'jsonpath={.items[*].metadata.uid}'])).toBe(pvc);

  const again = ok(deploy());
  expect(again.out).toMatch(/helm release: no release todo in todo-local yet/);
  expect(await userTasks()).toEqual(titles);
}, 900_000);

test('11. `nx g env staging --cluster=kind` then deploy-staging (Helm 4): a second, isolated copy beside local', async () => {
  ok(nx(['g', 'env', 'staging', '--cluster=kind']));
  expect(existsSync(join(ws, 'charts/todo/values-staging.yaml'))).toBe(true);
  const r = ok(deploy('staging', [], { HELM_BIN: env.HELM4_BIN }));
  expect(r.out).toContain('Helm v4.');
  expect(r.out).toMatch(new RegExp(`Ready in [\\d.]+s: http://staging\\.todo\\.localhost:${HTTP_PORT}/`));
  expect(k(['get', 'namespace', 'todo-staging', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}'])).toBe('restricted');
  // Its own database: local's user does not exist there; local is untouched.
  expect((await http('POST', '/api/auth/login', { host: 'staging.todo.localhost', body: user })).status).toBe(401);
  expect(await userTasks()).toEqual(titles);
  const signup = await http('POST', '/api/auth/signup', { host: 'staging.todo.localhost', body: { email: 'staging-user@example.test', password: 'staging-Secret-pw-1' } });
  expect([200, 201]).toContain(signup.status);
  expect(await taskTitles(signup.cookie!, 'staging.todo.localhost')).toEqual([]);
  // Helm 4 stores releases its own way too: a second run still finds nothing to do.
  const before = helmRevision('todo-staging');
  const again = ok(deploy('staging', [], { HELM_BIN: env.HELM4_BIN }));
  expect(again.out).toMatch(/helm release: skipped \(revision \d+ already has these chart files, values and images/);
  expect(helmRevision('todo-staging')).toEqual(before);
}, 900_000);

test('12. `nx g service worker` then deploy-local: the new service runs beside the others with no hand edits', async () => {
  ok(nx(['g', 'service', 'worker', '--type=fastapi', '--port=8080']));
  const frontendBefore = podsOf('frontend').map((p) => p.uid);
  const r = ok(deploy());
  // Built now, or already in the daemon from an earlier run (the scaffold is deterministic); loaded either way.
  expect(r.out).toMatch(/build worker: (todo-worker:content-\w+ is not in the Docker daemon: building worker-image|skipped \(todo-worker:content-\w+ is in the Docker daemon)/);
  expect(r.out).toMatch(/load worker: node todo-deploy-e2e-control-plane lacks todo-worker:content-\w+/);
  expect(k(['-n', 'todo-local', 'get', 'deployment', 'todo-worker', '-o', 'jsonpath={.status.readyReplicas}'])).toBe('1');
  expect(podsOf('frontend').map((p) => p.uid)).toEqual(frontendBefore);
  expect(await userTasks()).toEqual(titles);
}, 900_000);

test('13. an environment on an existing cluster with a registry: images pushed there (not loaded), pulled by the cluster', async () => {
  ok(nx(['g', 'env', 'remote', `--cluster=context:${CONTEXT}`, `--registry=${REGISTRY}`]));
  // A real cluster's ingress answers on its own address; this one is the kind cluster's mapped port,
  // so the smoke check is done here instead of by the deploy.
  const r = ok(deploy('remote', ['--smoke=false']));
  expect(r.out).toMatch(new RegExp(`load backend: push ${REGISTRY}/todo-backend:content-\\w+ to ${REGISTRY}`));
  expect(r.out).toMatch(new RegExp(`other images: push ${REGISTRY}/todo-base/postgres:`));
  const images = podsOf('backend', 'todo-remote').map((p) => p.image);
  expect(images.length).toBeGreaterThan(0);
  for (const i of images) expect(i.startsWith(`${REGISTRY}/todo-backend:content-`)).toBe(true);
  const signup = await eventually('sign up on remote', async () => {
    const res = await http('POST', '/api/auth/signup', { host: 'remote.todo.localhost', body: { email: 'remote-user@example.test', password: 'remote-Secret-pw-1' } });
    if (![200, 201].includes(res.status)) throw new Error(`${res.status} ${res.body}`);
    return res;
  });
  expect(await taskTitles(signup.cookie!, 'remote.todo.localhost')).toEqual([]);

  // Again: the registry already has each image with the same digest, so nothing is pushed.
  const again = ok(deploy('remote', ['--smoke=false']));
  expect(again.out).toMatch(new RegExp(`load backend: skipped \\(${REGISTRY}/todo-backend:content-\\w+ is in the registry with this image's digest\\)`));
  expect(again.out).toMatch(/helm release: skipped/);
}, 900_000);
