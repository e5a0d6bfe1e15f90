/*
 * Scaling on a real cluster (nx run e2e:scale; minutes): the app under load while it scales out and in,
 * balances over three replicas, takes a rolling upgrade and loses a node to a drain, with failed
 * requests counted on the client side. Then status-local shows the load, and loadtest-local runs.
 *
 * Its own kind cluster "todo-scale-e2e" with one worker (KIND_WORKERS=1) on ports 18780/19143, made by
 * `nx run todo:deploy-local --offline` in a temporary copy of the workspace (the changed backend file of
 * the upgrade never touches the checkout). cluster-up gives every kind cluster a metrics API
 * (metrics-server); without it the HorizontalPodAutoscaler never acts and test 1 fails.
 *
 * This machine has 2 CPUs shared with other jobs, so the backend asks for little CPU (40m; idle it uses a few, so it scales back to one) and the HPA
 * aims at 50% of it: a few dozen requests a second are enough to make it act. The HPA's scale-down
 * window is 15 s here (5 minutes by default). The app's pods tolerate the control-plane taint and
 * PostgreSQL is pinned to the control-plane node, so the worker can be drained while the app serves.
 *
 * Figures (replicas over time, seconds to scale out and in, req/s and p99 at 1 and 3 replicas, per-pod
 * shares, failed requests per test, metrics-server's own CPU and memory) are printed at the end and
 * written to reports/scale/figures.json.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@todo/test-utils';
import { WORKSPACE, copyEnv, copyWorkspace, lastLine, sh } from '../cluster/workspace';
import { Load, Outcome, Target, failed, signUp } from './load';

const CLUSTER = 'todo-scale-e2e';
const HTTP_PORT = 18780;
const CONTEXT = `kind-${CLUSTER}`;
const NS = 'todo-local';
const WORKER = `${CLUSTER}-worker`;
const CONTROL_PLANE = `${CLUSTER}-control-plane`;
const T: Target = { port: HTTP_PORT, host: 'todo.localhost' };

let ws = '';
let state = '';
let env: NodeJS.ProcessEnv = {};
let kubectlBin = '';
let kindBin = '';
let sessions: string[] = [];
const figures: Record<string, unknown> = {};
const failures: Record<string, Outcome> = {};

const TOLERATE_CONTROL_PLANE = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }];

/** The test's values: low CPU requests and target so the HPA acts on this machine; a short scale-down window. */
function values(minReplicas: number, maxReplicas: number): string {
  return JSON.stringify({
    database: { postgres: { nodeSelector: { 'ingress-ready': 'true' }, tolerations: TOLERATE_CONTROL_PLANE } },
    services: {
      backend: {
        resources: { requests: { cpu: '40m' } },
        tolerations: TOLERATE_CONTROL_PLANE,
        autoscaling: {
          enabled: true,
          minReplicas,
          maxReplicas,
          targetCPUUtilizationPercentage: 50,
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
            scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          },
        },
      },
      frontend: { replicaCount: 2, tolerations: TOLERATE_CONTROL_PLANE },
    },
  });
}

/** kubectl, asynchronous: a synchronous call would stall the load's event loop and skew its latencies. */
async function k(args: string[]): Promise<string> {
  return (await promisify(execFile)(kubectlBin, ['--context', CONTEXT, ...args], { env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
}
const kJson = async <J>(args: string[]): Promise<J> => JSON.parse(await k([...args, '-o', 'json'])) as J;

/** nx in the copy, without blocking the event loop (the load keeps running meanwhile). */
function nx(args: string[]): Promise<{ status: number | null; out: string; seconds: number }> {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', ['nx', ...args, '--output-style=stream'], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out, seconds: (Date.now() - t) / 1000 }));
  });
}
function ok(r: { status: number | null; out: string }): string {
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.out.slice(-6000)}`);
  return r.out;
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
}
const backendPods = async () => (await kJson<{ items: PodJson[] }>(['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=backend'])).items.filter((p) => !p.metadata.deletionTimestamp);
const isReady = (p: PodJson) => (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const readyBackends = async () => (await backendPods()).filter(isReady);

/** The fewest Ready backend pods seen, polled until stop() (the PDB / maxUnavailable 0 held if it stayed up). */
function watchMinReady(everyMs: number): { stop: () => Promise<number> } {
  let min = Infinity;
  let on = true;
  const loop = (async () => {
    while (on) {
      min = Math.min(min, (await readyBackends()).length);
      await sleep(everyMs);
    }
  })();
  return { stop: async () => ((on = false), await loop, min) };
}

/** Restarts seen in any backend pod (kept across polls: a pod scaled away takes its count with it). */
const restarts = new Map<string, number>();
function noteRestarts(pods: PodJson[]): void {
  for (const p of pods) restarts.set(p.metadata.name, Math.max(restarts.get(p.metadata.name) ?? 0, ...(p.status.containerStatuses ?? []).map((c) => c.restartCount)));
}
const totalRestarts = () => [...restarts.values()].reduce((a, b) => a + b, 0);

interface Hpa {
  spec: { minReplicas: number; maxReplicas: number };
  status: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] };
}
const hpa = () => kJson<Hpa>(['-n', NS, 'get', 'hpa', 'todo-backend']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectNoFailures(name: string, o: Outcome): void {
  failures[name] = o;
  expect({ test: name, serverErrors: o.serverErrors, refused: o.refused, noAnswer: o.noAnswer }).toEqual({ test: name, serverErrors: 0, refused: 0, noAnswer: 0 });
  // Every answer is the app's own (200/201): a 401 would mean the load ran without its sessions.
  expect({ test: name, otherStatus: o.otherStatus }).toEqual({ test: name, otherStatus: {} });
  expect(o.requests).toBeGreaterThan(100);
}

beforeAll(async () => {
  sh('bash', ['.ci/start-docker.sh']);
  kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  ({ ws, state } = copyWorkspace('scale-e2e'));
  writeFileSync(join(state, 'scale-values.yaml'), values(1, 4));
  env = { ...copyEnv(ws, state, CLUSTER, [HTTP_PORT, 19143]), KIND_WORKERS: '1', KIND_BIN: kindBin, KUBECTL_BIN: kubectlBin, HELM_BIN: lastLine(sh('bash', ['scripts/go-tool.sh', 'helm3'])) };
  // --offline finds or builds these itself (metrics-server included); none may come from the caller.
  for (const v of ['HELM', 'KUBECTL', 'KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'METRICS_SERVER_IMAGE', 'KIND_LOAD_IMAGES', 'TODO_BASE_IMAGES', 'TODO_OFFLINE']) delete env[v];
  removeCluster(); // a leftover from an aborted run
  const t0 = Date.now();
  ok(await nx(['run', 'todo:deploy-local', '--offline', `--values=${join(state, 'scale-values.yaml')}`]));
  figures.deploySeconds = (Date.now() - t0) / 1000;
  // kubeadm's CoreDNS has no PodDisruptionBudget: a drain could take both replicas at once, and name
  // lookups (the frontend finding the backend) would fail. The cluster a user drains needs one too.
  await k(['-n', 'kube-system', 'create', 'poddisruptionbudget', 'coredns', '--selector=k8s-app=kube-dns', '--max-unavailable=1']);
  sessions = await Promise.all([0, 1, 2, 3].map((i) => signUp(T, `u${i}`)));
}, 1_800_000);

/** The cluster and the local registry container the deploy gave it (copyEnv names it <cluster>-registry). */
function removeCluster(): void {
  spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER], { env });
  spawnSync(process.env.DOCKER || '/usr/bin/docker', ['rm', '-f', env.KIND_REGISTRY_NAME || `${CLUSTER}-registry`], { stdio: 'ignore' });
}

afterAll(() => {
  // Even when beforeAll failed half-way: nothing of this suite outlives it (unless kept on purpose).
  if (kindBin && !process.env.SCALE_E2E_KEEP) removeCluster();
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
  figures.failedRequests = Object.fromEntries(Object.entries(failures).map(([n, o]) => [n, { ...o, failed: failed(o) }]));
  const dir = join(WORKSPACE, 'reports', 'scale');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  process.stderr.write(`scale e2e figures (reports/scale/figures.json):\n${JSON.stringify(figures, null, 1)}\n`);
}, 300_000);

test('1. scales out under load to at least 3 replicas and back in without it: no 5xx, no refused connection, no restart', async () => {
  // The HPA acts only once the metrics API reports the backend's CPU.
  await eventually('the HPA reads the backend CPU from the metrics API', async () => {
    const h = await hpa();
    if (h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization === undefined) throw new Error(JSON.stringify(h.status));
  }, 180_000, 3_000);
  expect(await readyBackends()).toHaveLength(1);
  const timeline: { s: number; desired: number | undefined; ready: number; cpu: number | undefined }[] = [];
  const poll = async (t0: number) => {
    const pods = await backendPods();
    noteRestarts(pods);
    const h = await hpa();
    const row = { s: Math.round((Date.now() - t0) / 1000), desired: h.status.desiredReplicas, ready: pods.filter(isReady).length, cpu: h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization };
    timeline.push(row);
    return row;
  };

  const load = new Load(T, sessions, 8, 20).start();
  const t0 = Date.now();
  let firstExtra = 0;
  let three = 0;
  while (Date.now() - t0 < 300_000) {
    const row = await poll(t0);
    if (!firstExtra && row.ready >= 2) firstExtra = Date.now();
    if (row.ready >= 3) {
      three = Date.now();
      break;
    }
    await sleep(2_000);
  }
  expect(three).toBeGreaterThan(0);
  await sleep(10_000); // a window at three or more replicas
  const readyAtScale = (await readyBackends()).length;
  const atScale = load.window(three, Date.now());
  const atOne = load.window(t0, firstExtra);
  const underLoad = await load.stop();
  const stopped = Date.now();
  let scaledIn = 0;
  while (Date.now() - stopped < 240_000) {
    const row = await poll(t0);
    if (row.ready === 1 && (await backendPods()).length === 1) {
      scaledIn = Date.now();
      break;
    }
    await sleep(3_000);
  }
  figures.test1 = {
    secondsToFirstExtraReadyPod: (firstExtra - t0) / 1000,
    secondsToThreeReady: (three - t0) / 1000,
    secondsToScaleInAfterLoadStopped: scaledIn ? (scaledIn - stopped) / 1000 : 'not within 240 s',
    atOneReplica: { rps: atOne.rps, p50: atOne.p50, p99: atOne.p99, requests: atOne.requests },
    atThreeOrMore: { rps: atScale.rps, p50: atScale.p50, p99: atScale.p99, requests: atScale.requests, replicas: readyAtScale },
    replicasOverTime: timeline,
    restarts: totalRestarts(),
  };
  expect(scaledIn).toBeGreaterThan(0);
  expectNoFailures('1 scale out and in', underLoad);
  expect(totalRestarts()).toBe(0);
});

test('2. with 3 Ready replicas each pod serves 20-47% of the requests (from the pods\' access logs)', async () => {
  await k(['-n', NS, 'patch', 'hpa', 'todo-backend', '--type=merge', '-p', '{"spec":{"minReplicas":3,"maxReplicas":3}}']);
  await eventually('3 Ready backend pods', async () => {
    const n = (await readyBackends()).length;
    if (n !== 3) throw new Error(`${n} ready`);
  }, 240_000, 2_000);
  await sleep(5_000); // every node's kube-proxy has the three endpoints
  const since = new Date(Date.now() - 1000).toISOString();
  const load = new Load(T, sessions, 6, 20).start();
  await sleep(15_000);
  const o = await load.stop();
  expectNoFailures('2 balance', o);
  const pods = (await readyBackends()).map((p) => p.metadata.name);
  const counts: Record<string, number> = {};
  for (const p of pods) counts[p] = (await k(['-n', NS, 'logs', p, '-c', 'backend', `--since-time=${since}`])).split('\n').filter((l) => /"path":\s*"\/api\/tasks"/.test(l)).length;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(Object.entries(counts).map(([p, n]) => [p, Math.round((1000 * n) / total) / 10]));
  figures.test2 = { requests: o.requests, logged: total, sharesPercent: shares, rps: o.rps, p99: o.p99 };
  expect(total).toBeGreaterThanOrEqual(o.requests * 0.95);
  for (const [pod, pct] of Object.entries(shares)) expect([pod, pct >= 20 && pct <= 47]).toEqual([pod, true]);
});

test('3. a rolling upgrade (deploy-local after a backend change) under load: 0 failed requests', async () => {
  const before = new Set((await backendPods()).map((p) => p.metadata.name));
  const image = (await backendPods())[0].spec.containers[0].image;
  appendFileSync(join(ws, 'apps/backend/todo_api/__init__.py'), '\n# scale e2e: a change that makes a new image\n');
  writeFileSync(join(state, 'scale-values.yaml'), values(3, 3)); // the HPA as test 2 left it
  const load = new Load(T, sessions, 6, 20).start();
  const watch = watchMinReady(1_000);
  const r = await nx(['run', 'todo:deploy-local', '--offline', `--values=${join(state, 'scale-values.yaml')}`]);
  const minReady = await watch.stop();
  await sleep(5_000);
  const o = await load.stop();
  ok(r);
  const after = await backendPods();
  figures.test3 = { deploySeconds: r.seconds, minReadyBackends: minReady, requests: o.requests, p99: o.p99 };
  expect(after[0].spec.containers[0].image).not.toBe(image);
  expect(after.filter((p) => before.has(p.metadata.name))).toEqual([]);
  expect(minReady).toBeGreaterThanOrEqual(3); // maxUnavailable 0: a new pod is Ready before an old one goes
  expectNoFailures('3 rolling upgrade', o);
});

test('4. a node drain under load: the PodDisruptionBudget holds and 0 requests fail', async () => {
  await eventually('3 Ready backends, one of them on the worker', async () => {
    const pods = await backendPods();
    if (pods.filter(isReady).length !== 3 || !pods.some((p) => p.spec.nodeName === WORKER)) throw new Error(pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(' '));
  }, 120_000, 2_000);
  const load = new Load(T, sessions, 6, 20).start();
  await sleep(3_000);
  const watch = watchMinReady(500);
  const t0 = Date.now();
  const drain = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const child = spawn(kubectlBin, ['--context', CONTEXT, 'drain', WORKER, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=240s'], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out }));
  });
  const drainSeconds = (Date.now() - t0) / 1000;
  await eventually('3 Ready backends again, on the control-plane node', async () => {
    const n = (await readyBackends()).length;
    if (n !== 3) throw new Error(`${n} ready`);
  }, 180_000, 1_000);
  const minReady = await watch.stop();
  await sleep(3_000);
  const o = await load.stop();
  await k(['uncordon', WORKER]);
  figures.test4 = { drainSeconds, minReadyBackends: minReady, pdbWaits: (drain.out.match(/disruption budget/g) ?? []).length, requests: o.requests, p99: o.p99 };
  ok(drain);
  expect((await backendPods()).every((p) => p.spec.nodeName === CONTROL_PLANE)).toBe(true);
  expect(minReady).toBeGreaterThanOrEqual(2); // the PDB's maxUnavailable 1 of 3
  expectNoFailures('4 node drain', o);
});

test('5. status-local prints each pod\'s CPU and memory and the HPA\'s replicas; loadtest-local drives the app through the ingress', async () => {
  const out = await eventually('status-local with metrics for every pod', async () => {
    const s = ok(await nx(['run', 'todo:status-local']));
    // Every pod's row has its CPU and memory: a pod the drain just moved gets its first sample within ~15-30 s.
    const backendRows = s.match(/todo-backend-\S+\s+backend\s+\d+m\s+40m\s+\d+%\s+\d+Mi\s+\d+Mi\/512Mi/g) ?? [];
    const hpaLine = /HPA todo-backend: 3 replicas, desired 3 \(min 3, max 3\); cpu \d+% of requests \(target 50%\)/;
    if (backendRows.length !== 3 || !hpaLine.test(s)) throw new Error(s.slice(-3000));
    return s;
  }, 120_000, 5_000);
  expect(out).toMatch(/todo-frontend-\S+\s+frontend\s+\d+m\s+\d+m\s+\d+%\s+\d+Mi/);
  figures.metricsServer = (await k(['top', 'pod', '-n', 'kube-system', '-l', 'k8s-app=metrics-server', '--no-headers'])).trim();

  const summary = join(state, 'loadtest.json');
  const r = await nx(['run', 'todo:loadtest-local', '--users=6', '--duration=15s', `--summary=${summary}`]);
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { rps: number; p99: number; routes: Record<string, unknown>; errorsByStatus: Record<string, number> };
  figures.loadtest = s;
  ok(r);
  expect(r.out).toMatch(/loadtest summary[\s\S]*errors by status \(0 = no HTTP answer\): /);
  expect(Object.keys(s.routes).sort()).toEqual(expect.arrayContaining(['create', 'list', 'search', 'signup']));
  expect(Object.keys(s.errorsByStatus).filter((c) => c === '0' || Number(c) >= 500)).toEqual([]);
  // Its users ran with their sessions (the session cookie the frontend sets; shared after a throttled sign-up).
  expect(s.errorsByStatus['401']).toBeUndefined();
});
