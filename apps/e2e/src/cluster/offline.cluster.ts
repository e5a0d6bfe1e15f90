/*
 * `npx nx run todo:deploy-local --offline` on a real kind cluster of its own (nx run e2e:cluster):
 * the one command for machines with package registries but no container registry, its progress
 * while it waits, and the keep-last-N housekeeping after each deploy.
 *
 * Runs in a temporary copy of the workspace against the cluster "todo-offline-e2e" on 127.0.0.1:18580/18943
 * (never the app's "todo" on 80/443). None of the stand-in variables is given: --offline finds or builds
 * them all. The copy's package.json version carries a per-run suffix, which is part of every content
 * key, so each image this test makes is its own and the test removes exactly those at the end.
 *
 *   1. from nothing: --offline resolves the stand-ins, kind's step lines and the rollouts stream, Helm's
 *      --wait reports progress; a browser signs up through the printed URL
 *   2. a deploy whose --wait lasts over 10 s: progress lines show ready/desired changing and name a
 *      pod's waiting reason (an image that cannot be pulled, whose fix names --offline)
 *   3. three changes deployed with --keep=2: the daemon and the node hold exactly the last 2 of our
 *      images per service, plus an older one a pod still uses
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../browser';
import { firstUserJourney } from '../user-journey';
import { KUBECTL_OUTPUT_BYTES, WORKSPACE, copyEnv, copyWorkspace, lastLine, sh } from './workspace';

const CLUSTER = 'todo-offline-e2e';
const HTTP_PORT = 18580;
const NODE = `${CLUSTER}-control-plane`;
const CONTEXT = `kind-${CLUSTER}`;
/** What --offline must find or build by itself: none of these is given. */
const STAND_IN_VARIABLES = ['KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'METRICS_SERVER_IMAGE', 'KIND_LOAD_IMAGES', 'KIND_BIN', 'HELM_BIN', 'KUBECTL_BIN', 'TODO_BASE_IMAGES', 'KUBECTL', 'HELM', 'TODO_OFFLINE', 'TODO_KEEP_IMAGES'];

let ws = '';
let state = '';
let env: NodeJS.ProcessEnv = {};
let kindBin = '';
let kubectlBin = '';
let runId = '';

const k = (args: string[], input?: string) => execFileSync(kubectlBin, ['--kubeconfig', join(state, 'kubeconfig'), '--context', CONTEXT, ...args], { encoding: 'utf8', input, timeout: 120_000, maxBuffer: KUBECTL_OUTPUT_BYTES });

/** Each deploy's whole output is kept in reports/e2e-cluster/ (the progress lines, for a reader of a CI run). */
const REPORTS = join(WORKSPACE, 'reports', 'e2e-cluster');
let deploys = 0;

function deploy(args: string[]): { status: number | null; out: string; seconds: number } {
  const t = Date.now();
  const r = spawnSync('npx', ['nx', 'run', 'todo:deploy-local', ...args, '--output-style=stream'], { cwd: ws, env, encoding: 'utf8', timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout}${r.stderr}`;
  mkdirSync(REPORTS, { recursive: true });
  writeFileSync(join(REPORTS, `offline-deploy-${++deploys}.log`), `$ nx run todo:deploy-local ${args.join(' ')}\n${out}\nexit ${r.status}\n`);
  return { status: r.status, out, seconds: (Date.now() - t) / 1000 };
}
function ok(r: { status: number | null; out: string }) {
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.out.slice(-8000)}`);
  return r;
}

/** Bumps the copy's version: a new content key (and image) for every service, as any change would. */
function change(n: number): void {
  const pkg = JSON.parse(readFileSync(join(ws, 'package.json'), 'utf8')) as { version: string };
  pkg.version = `${pkg.version.replace(/-offline-e2e.*$/, '')}-offline-e2e.${runId}.${n}`;
  writeFileSync(join(ws, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

const ledger = () => (JSON.parse(readFileSync(join(ws, 'dist/deploy/images.json'), 'utf8')) as { services: Record<string, { ref: string }[]> }).services;
const deployedRef = (service: string) => k(['-n', 'todo-local', 'get', 'deployment', `todo-${service}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
/** This run's content tags of a service in the daemon (the version suffix is in the image's label). */
function daemonRefs(service: string, made: Set<string>): string[] {
  const out = sh('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `todo-${service}`]);
  return out.split('\n').filter((r) => made.has(r)).sort();
}
function nodeRefs(service: string): string[] {
  const images = (JSON.parse(execFileSync('docker', ['exec', NODE, 'crictl', 'images', '-o', 'json'], { encoding: 'utf8' })) as { images: { repoTags?: string[] }[] }).images;
  return images.flatMap((i) => i.repoTags ?? []).filter((t) => t.startsWith(`docker.io/library/todo-${service}:content-`)).map((t) => t.replace('docker.io/library/', '')).sort();
}
const made = new Set<string>();
const remember = () => Object.values(ledger()).flat().forEach((e) => made.add(e.ref));

beforeAll(() => {
  sh('bash', ['.ci/start-docker.sh']);
  kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  runId = `${Date.now().toString(36)}`;
  ({ ws, state } = copyWorkspace('offline-e2e'));
  change(0);
  // The `kind load` path, chosen explicitly: the prune assertions read the node's own images.
  env = { ...copyEnv(ws, state, CLUSTER, [HTTP_PORT, 18943]), TODO_LOCAL_REGISTRY: 'false' };
  for (const v of STAND_IN_VARIABLES) delete env[v];
  spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER, '--kubeconfig', join(state, 'kubeconfig')]); // a leftover from an aborted run
}, 3_600_000);

afterAll(() => {
  if (kindBin) spawnSync(kindBin, ['delete', 'cluster', '--name', CLUSTER, '--kubeconfig', join(state, 'kubeconfig')]);
  // Exactly the images this run made (its version suffix is in every content key).
  if (ws && existsSync(join(ws, 'dist/deploy/images.json'))) remember();
  const tagged = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => /^todo-(backend|frontend):v.*-offline-e2e\./.test(r) && r.includes(runId));
  const refs = [...made, ...tagged];
  if (refs.length) spawnSync('docker', ['rmi', ...refs]);
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (state) rmSync(state, { recursive: true, force: true });
}, 600_000);

test('1. from nothing with --offline: stand-ins found or built, kind and the rollouts stream, --wait reports progress; a browser signs up', async () => {
  const r = ok(deploy(['--offline', '--keep=2']));
  expect(r.out).toMatch(/offline: building or reusing the stand-ins the tests use/);
  expect(r.out).toMatch(/offline \[1\/8\] kind node image: offline-kind\.local\/node:v[\d.]+-\w+/);
  expect(r.out).toMatch(/offline \[8\/8\] postgres stand-in: todo-base\/postgres:/);
  // kind's own step lines and kubectl's rollout lines, as they happened (not a summary at the end).
  expect(r.out).toMatch(/Ensuring node image/);
  expect(r.out).toMatch(/Starting control-plane/);
  // The images build while kind creates the cluster (its version suffix makes both new), and their steps wait for them.
  for (const service of ['backend', 'frontend']) {
    expect(r.out).toMatch(new RegExp(`cluster: building todo-${service}:content-\\w+ in the background meanwhile`));
    expect(r.out).toMatch(new RegExp(`build ${service}: todo-${service}:content-\\w+ is being built in the background`));
    expect(r.out).toMatch(new RegExp(`todo-${service}:content-\\w+: built in the background in [\\d.]+s`));
  }
  expect(r.out.indexOf('in the background meanwhile')).toBeLessThan(r.out.indexOf('Starting control-plane'));
  expect(r.out).toMatch(/deployment "traefik" successfully rolled out/);
  expect(r.out).toMatch(/deployment "coredns" successfully rolled out/);
  expect(r.out).toMatch(/ {2}waiting \d+s: todo-backend \d\/1, todo-frontend \d\/1, todo-postgres \d\/1/);
  expect(r.out).toMatch(/prune: keep the last 2 per service: nothing to remove/);
  expect(r.out).toMatch(new RegExp(`Ready in [\\d.]+s: http://todo\\.localhost:${HTTP_PORT}/`));
  // The stand-ins, not the defaults: the node runs the offline image, the database the local stand-in.
  expect(execFileSync('docker', ['inspect', '-f', '{{.Config.Image}}', NODE], { encoding: 'utf8' })).toMatch(/^offline-kind\.local\/node:/);
  expect(k(['-n', 'todo-local', 'get', 'statefulset', 'todo-postgres', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toMatch(/^todo-base\/postgres:/);

  const browser = await launchBrowser();
  try {
    const journey = await firstUserJourney(browser, `http://todo.localhost:${HTTP_PORT}`);
    expect(journey.titles.length).toBeGreaterThan(0);
  } finally {
    await browser.close();
  }
}, 3_600_000);

test('2. a --wait over 10 s: progress lines show ready/desired changing and name the waiting reason; the pull failure names --offline', () => {
  // Two backend replicas (1/2 -> 2/2 while Helm waits) and a frontend image no registry can serve.
  const r = deploy(['--offline', '--set=services.backend.replicaCount=2', '--set=services.frontend.image.tag=content-000000000000', '--timeout=45s']);
  expect(r.status).not.toBe(0);
  expect(r.seconds).toBeGreaterThan(10);
  const lines = r.out.split('\n').filter((l) => / {2}waiting \d+s: /.test(l));
  expect(lines.length).toBeGreaterThanOrEqual(3);
  const backend = [...new Set(lines.map((l) => /todo-backend (\d\/\d)/.exec(l)?.[1]).filter(Boolean))];
  expect(backend).toContain('1/2');
  expect(backend).toContain('2/2');
  expect(lines.some((l) => /todo-frontend-[\w-]+: (ErrImagePull|ImagePullBackOff) \(/.test(l))).toBe(true);
  expect(r.out).toMatch(/error in step "helm release"/);
  expect(r.out).toMatch(/fix: .*ImagePullBackOff \(no container registry on this machine: deploy with --offline\)/);
}, 1_800_000);

test('3. three changes deployed with --keep=2: exactly 2 of our images per service stay in the daemon and the node, plus an older one a pod uses', () => {
  remember();
  // A pod outside the release keeps using the first backend image.
  const pinned = deployedRef('backend');
  k(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pinned', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: pinned, imagePullPolicy: 'Never', command: ['python', '-c', 'import time; time.sleep(3600)'] }] },
  }));
  k(['wait', '--for=condition=Ready', 'pod/pinned', '-n', 'default', '--timeout=120s']);

  // Four images per service in all (0-3): the last 2 stay, 0 stays for the pod, 1 goes.
  for (const n of [1, 2, 3]) {
    change(n);
    const r = ok(deploy(['--offline', '--keep=2']));
    expect(r.out).toMatch(/prune: keep the last 2 per service: /);
    remember();
  }
  const last = ledger();
  for (const service of ['backend', 'frontend']) {
    const newest = last[service].slice(-2).map((e) => e.ref);
    expect(newest).toContain(deployedRef(service));
    const expected = [...newest, ...(service === 'backend' ? [pinned] : [])].sort();
    expect(nodeRefs(service)).toEqual(expected);
    expect(daemonRefs(service, made)).toEqual(expected);
  }
  expect(made.size).toBeGreaterThanOrEqual(8); // 4 deploys x 2 services went through the ledger
  // The pinned pod still runs on its image.
  expect(k(['-n', 'default', 'get', 'pod', 'pinned', '-o', 'jsonpath={.status.phase}'])).toBe('Running');
}, 3_600_000);
