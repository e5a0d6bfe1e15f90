/*
 * The README's two commands on one machine, in both orders (nx run e2e:cluster; run it under
 * /tmp/cluster-tests.lock like the other cluster tests: it creates the test cluster todo-test).
 *
 * What collided: the tests' cluster todo-test held 127.0.0.1:80/443, the ports of the app's cluster
 * "todo" that `nx run todo:deploy-local` creates. So after the tests, the deploy stopped at its port
 * preflight; with the app deployed, the tests could not create their cluster. And with the app deployed
 * and idle, a busy machine stopped the tests' kind at "Preparing nodes" (issue 26).
 *
 * How this test shows it is gone without taking the real 80/443 from whoever uses this machine:
 *   - the "user's" app is deployed by the user's own command, `nx run todo:deploy-local --offline` (in a
 *     copy of the workspace: port preflight, kind create, Traefik, images, Helm, smoke check), with a
 *     cluster name and ports of this test's own: todo-both-orders on 127.0.0.1:18680/19043 (not the
 *     offline test's 18580/18943, so the two can run side by side). It is deployed, serving a signed-up
 *     user's task, and idle while the other cluster comes and goes; the images are the checkout's own
 *     content tags, so the other cluster tests' builds are reused and only load + Helm are added;
 *   - the tests' cluster is made by the tests' own code path (tools/offline-kind/scripts/cluster-up.sh,
 *     what `nx run offline-kind:test` runs) with no settings at all, so its defaults are what is tested,
 *     and with KIND_CLUSTER_NAME=todo and KIND_HTTP_PORT=80 exported, as a user of the app may have them;
 *   - both orders are run; each cluster keeps working while the other comes and goes (the app still
 *     answers with the user's task); no container of either binds :80 or :443; the test cluster is on
 *     18180/18543; a cluster named todo (a real user's, if there is one on this machine) is the same
 *     container before and after; no cluster is left behind;
 *   - and the sources of every test cluster (offline-kind, cluster:e2e, e2e:cluster, the bench) name
 *     neither the cluster todo nor the ports 80/443.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { appHttp } from './app-http';
import { WORKSPACE, copyEnv, copyWorkspace, lastLine, sh } from './workspace';

const USER_CLUSTER = 'todo-both-orders';
const USER_PORTS = [18680, 19043];
const TEST_CLUSTER = 'todo-test';
const TEST_PORTS = [18180, 18543];

let ws = '';
let state = '';
let kindBin = '';
let userEnv: NodeJS.ProcessEnv = {};
/** Seconds of each step, printed at the end (what this file adds to CI). */
const timings: Record<string, number> = {};
let clustersBefore: string[] = [];
let appNodeBefore = '';

const clusters = () => spawnSync(kindBin, ['get', 'clusters'], { encoding: 'utf8' }).stdout.split('\n').map((s) => s.trim()).filter(Boolean).sort();
const nodeId = (cluster: string) => spawnSync('docker', ['inspect', '-f', '{{.Id}} {{.State.StartedAt}}', `${cluster}-control-plane`], { encoding: 'utf8' }).stdout.trim();

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = WORKSPACE, what = ''): { status: number | null; out: string } {
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 });
  if (what) {
    let key = what;
    while (key in timings) key += "'";
    timings[key] = (Date.now() - t) / 1000;
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
const must = (what: string, r: { status: number | null; out: string }) => {
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}\n${r.out.slice(-6000)}`);
  return r.out;
};

/** The user's command, in the copy: the app deployed on a cluster it creates (or reuses). */
const userDeploy = () => must('user: deploy-local --offline', run('npx', ['nx', 'run', 'todo:deploy-local', '--offline', '--output-style=stream'], userEnv, ws, 'user: deploy-local --offline'));
// With the kind that --offline built (KIND_BIN), as a user on a machine with no download site runs it.
const userDown = () => must('user: cluster-down', run('node', ['-r', '@swc-node/register', 'tools/cluster/src/cli.ts', 'down'], { ...userEnv, KIND_BIN: kindBin }, ws, 'user: cluster-down'));
/** The tests' cluster part, with the app's variables exported as a user of the app may have them. */
const testsEnv = () => ({ ...process.env, KIND_CLUSTER_NAME: 'todo', KIND_HTTP_PORT: '80', KIND_HTTPS_PORT: '443', OFFLINE_KIND_CLUSTER_NAME: '', OFFLINE_KIND_HTTP_PORT: '', OFFLINE_KIND_HTTPS_PORT: '' });
const testsUp = () => must('tests: offline-kind cluster-up', run('bash', ['tools/offline-kind/scripts/cluster-up.sh'], testsEnv(), WORKSPACE, 'tests: offline-kind cluster-up'));
const testsDown = () => must('tests: offline-kind cluster-down', run('bash', ['tools/offline-kind/scripts/cluster-down.sh'], testsEnv(), WORKSPACE, 'tests: offline-kind cluster-down'));

/** A user of the deployed app: signed up, with one task (what must survive the other cluster). */
async function userWithTask(): Promise<{ cookie: string; title: string }> {
  const email = `both-orders-${Date.now()}@example.test`;
  const signup = await appHttp(USER_PORTS[0], 'POST', '/api/auth/signup', { body: { email, password: 'quiet-Harbor-lamp-73' } });
  expect([200, 201]).toContain(signup.status);
  const title = `written before the other cluster came (${email})`;
  expect((await appHttp(USER_PORTS[0], 'POST', '/api/tasks', { cookie: signup.cookie, body: { title } })).status).toBe(201);
  return { cookie: signup.cookie!, title };
}
/** The app's answer now: the user's task titles through the ingress. */
async function tasksOf(cookie: string): Promise<string[]> {
  const r = await appHttp(USER_PORTS[0], 'GET', '/api/tasks?limit=100', { cookie });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body) as { items: { title: string }[] }).items.map((t) => t.title);
}

/** Host ports each of our node containers publishes. */
function published(cluster: string): number[] {
  const out = spawnSync('docker', ['inspect', '-f', '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostPort}} {{end}}{{end}}', `${cluster}-control-plane`], { encoding: 'utf8' }).stdout;
  return out.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
}

/** The ingress answers on 127.0.0.1:<port> (Traefik: 404 for a host nothing routes). */
function ingressStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'nothing.localhost' }, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function neverTheAppsPorts(): void {
  for (const c of [USER_CLUSTER, TEST_CLUSTER]) for (const p of published(c)) expect([80, 443]).not.toContain(p);
}

beforeAll(() => {
  sh('bash', ['.ci/start-docker.sh']);
  kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  clustersBefore = clusters();
  if (clustersBefore.includes(TEST_CLUSTER) || clustersBefore.includes(USER_CLUSTER))
    throw new Error(`${TEST_CLUSTER} or ${USER_CLUSTER} exists already (kept with OFFLINE_KIND_KEEP=1, or another run holds it): delete it (nx run offline-kind:cluster-down) or run this test under /tmp/cluster-tests.lock`);
  appNodeBefore = nodeId('todo');
  ({ ws, state } = copyWorkspace('both-orders'));
  // deploy-local --offline finds or builds the node image, Traefik, kind/kubectl/helm and the base
  // images itself, as for a user; none may come from the caller's environment.
  userEnv = copyEnv(ws, state, USER_CLUSTER, [USER_PORTS[0], USER_PORTS[1]]);
  for (const v of ['KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'KIND_BIN', 'HELM_BIN', 'KUBECTL_BIN', 'TODO_BASE_IMAGES', 'KUBECTL', 'HELM', 'TODO_OFFLINE', 'KIND_REGISTRY', 'METRICS_SERVER_IMAGE', 'KIND_LOAD_IMAGES']) delete userEnv[v];
}, 3_600_000);

afterAll(() => {
  // Only what this test made; a failure half-way leaves nothing behind either.
  if (kindBin) {
    spawnSync(kindBin, ['delete', 'cluster', '--name', USER_CLUSTER, '--kubeconfig', join(state, 'kubeconfig')]);
    // The user's deploy-local gave the cluster its local registry (copyEnv names it <cluster>-registry): a container beside the node.
    spawnSync(process.env.DOCKER || '/usr/bin/docker', ['rm', '-f', userEnv.KIND_REGISTRY_NAME || `${USER_CLUSTER}-registry`], { stdio: 'ignore' });
    if (!clustersBefore.includes(TEST_CLUSTER)) spawnSync('bash', ['tools/offline-kind/scripts/cluster-down.sh'], { cwd: WORKSPACE, env: testsEnv() });
  }
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
  process.stderr.write(`both-orders timings (s): ${JSON.stringify(timings, null, 1)}\n`);
}, 600_000);

test('the test clusters name neither the app cluster "todo" nor its ports 80/443', () => {
  const read = (f: string) => readFileSync(join(WORKSPACE, f), 'utf8');
  const lib = read('tools/offline-kind/scripts/lib.sh');
  expect(/OFFLINE_KIND_CLUSTER_NAME:-([\w-]+)/.exec(lib)?.[1]).toBe(TEST_CLUSTER);
  expect([/OFFLINE_KIND_HTTP_PORT:-(\d+)/.exec(lib)?.[1], /OFFLINE_KIND_HTTPS_PORT:-(\d+)/.exec(lib)?.[1]].map(Number)).toEqual(TEST_PORTS);
  expect(lib).not.toMatch(/\$\{?KIND_CLUSTER_NAME/); // the app's variable is never read
  const sources = {
    'cluster:e2e': read('tools/cluster/e2e/cluster.e2e.ts'),
    'e2e:cluster': read('apps/e2e/src/cluster/deploy.cluster.ts'),
    'e2e:cluster --offline': read('apps/e2e/src/cluster/offline.cluster.ts'),
    bench: read('tools/deploy-bench/bench.sh'),
  };
  for (const [name, src] of Object.entries(sources)) {
    const names = [...src.matchAll(/(?:\bCLUSTER|\bNAME|const name)\s*=\s*['"]?\$?\{?[A-Z_]*:?-?([a-z][\w-]*)['"]?/g)].map((m) => m[1]).filter((n) => n.startsWith('todo'));
    expect({ name, names: names.filter((n) => n === 'todo') }).toEqual({ name, names: [] });
    expect(names.length).toBeGreaterThan(0);
    const ports = [...src.matchAll(/(?:HTTPS?_PORT|httpPort|HTTP_PORT)[^\d\n]{0,40}?(\d{2,5})/g)].map((m) => Number(m[1]));
    expect({ name, ports: ports.filter((p) => p === 80 || p === 443) }).toEqual({ name, ports: [] });
    expect(ports.length).toBeGreaterThan(0);
  }
});

test('deploy first, then the tests: the test cluster comes up beside the deployed, idle app and goes, the app untouched', async () => {
  const deployed = userDeploy();
  expect(deployed).toMatch(new RegExp(`Ready in [\\d.]+s: http://todo\\.localhost:${USER_PORTS[0]}/`));
  const user = nodeId(USER_CLUSTER);
  expect(published(USER_CLUSTER)).toEqual(expect.arrayContaining(USER_PORTS));
  expect(await ingressStatus(USER_PORTS[0])).toBe(404);
  const { cookie, title } = await userWithTask();

  const out = testsUp();
  expect(out).not.toMatch(/port is already allocated|already in use/);
  expect(published(TEST_CLUSTER)).toEqual(expect.arrayContaining(TEST_PORTS));
  expect(await ingressStatus(TEST_PORTS[0])).toBe(404);
  expect(await tasksOf(cookie)).toContain(title); // the app serves while both run
  neverTheAppsPorts();
  testsDown();

  expect(clusters()).not.toContain(TEST_CLUSTER);
  expect(nodeId(USER_CLUSTER)).toBe(user); // the same container, never restarted
  expect(await ingressStatus(USER_PORTS[0])).toBe(404);
  expect(await tasksOf(cookie)).toContain(title);
  userDown();
}, 1_800_000);

test('the tests first, then deploy: the app is deployed with no port conflict while the test cluster runs', async () => {
  testsUp();
  const tests = nodeId(TEST_CLUSTER);
  const out = userDeploy();
  expect(out).not.toMatch(/already in use|port is already allocated/);
  expect(out).toMatch(new RegExp(`Ready in [\\d.]+s: http://todo\\.localhost:${USER_PORTS[0]}/`));
  expect(published(USER_CLUSTER)).toEqual(expect.arrayContaining(USER_PORTS));
  expect(await ingressStatus(USER_PORTS[0])).toBe(404);
  const { cookie, title } = await userWithTask();
  expect(await ingressStatus(TEST_PORTS[0])).toBe(404);
  expect(nodeId(TEST_CLUSTER)).toBe(tests);
  neverTheAppsPorts();
  testsDown();
  expect(await tasksOf(cookie)).toContain(title);
  userDown();
}, 1_800_000);

test('nothing is left behind, and a cluster named todo is the same container as before', () => {
  // Neither of this test's clusters (beforeAll refused to start with either present). Other clusters are not
  // compared: on a shared machine another session's (a dev loop's, the bench's) come and go meanwhile.
  expect(clusters().filter((c) => c === USER_CLUSTER || c === TEST_CLUSTER)).toEqual([]);
  expect(nodeId('todo')).toBe(appNodeBefore);
});
