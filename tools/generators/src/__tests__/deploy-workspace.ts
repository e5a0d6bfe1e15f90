/*
 * What the deploy's step specs share: a temporary workspace with what a DeployRun reads (environments.json
 * with a kind, a context and a registry-less environment, a minimal chart, two image projects), and a
 * recording cluster: the run's runner and spawn answer as helm, kubectl, docker and kind would, from the
 * state a test sets, and every command is kept (as tools/cluster/src/kind.spec.ts records cluster-up's).
 */
import { gzipSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import type { RunResult, Runner } from '@todo/cluster';
import { DeployOptions, DeployRun, type ServiceImage, type Spawner } from '../deploy/run';
import { EnvironmentEntry, seedConfig, serializeConfig } from '../platform/config';

/** What a recorded (built) image is, as the run keeps it. */
type ImageRecord = NonNullable<ServiceImage['record']>;

export interface TempWorkspace {
  dir: string;
  context: ExecutorContext;
  remove(): void;
}

/** Environments local and dev (kind), prod (an existing context, no registry), and `extra`. */
export function deployWorkspace(extra: Record<string, EnvironmentEntry> = {}): TempWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-steps-'));
  const config = seedConfig();
  config.environments.prod = { cluster: 'context:prod-admin@eks', namespace: 'todo-prod', host: 'todo.example.com', replicas: 2, database: 'external', ai: 'mock' };
  Object.assign(config.environments, extra);
  writeFileSync(join(dir, 'environments.json'), serializeConfig(config));
  mkdirSync(join(dir, 'charts/todo/templates'), { recursive: true });
  writeFileSync(join(dir, 'charts/todo/Chart.yaml'), 'apiVersion: v2\nname: todo\nversion: 0.1.0\n');
  writeFileSync(join(dir, 'charts/todo/templates/a.yaml'), 'kind: ConfigMap\n');
  for (const f of ['values', ...Object.keys(config.environments).map((e) => `values-${e}`)]) writeFileSync(join(dir, `charts/todo/${f}.yaml`), 'database:\n  mode: postgres\n');
  for (const s of ['backend', 'frontend']) {
    mkdirSync(join(dir, `apps/${s}-image`), { recursive: true });
    writeFileSync(join(dir, `apps/${s}-image/project.json`), JSON.stringify({ targets: { 'docker-build': { options: { image: `todo-${s}`, dockerfile: `apps/${s}-image/Dockerfile` } } } }));
  }
  return { dir, context: { root: dir, cwd: dir, isVerbose: false } as unknown as ExecutorContext, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the recorded tools answer; a test changes it between calls. Unset: the empty answer. */
export interface ClusterState {
  helmVersion: string;
  helmExit: number;
  helmStderr?: string;
  /** kubectl get namespace -o json; unset: NotFound. */
  namespaceJson?: string;
  /** helm's release Secrets (kubectl get secret -l owner=helm). */
  secrets?: string;
  /** kubectl get deployment,statefulset. */
  workloads?: string;
  /** the release's pods; unset: none. */
  pods?: string;
  /** crictl images -o json on the kind node. */
  crictl?: string;
  /** docker image inspect; unset: [] (which inspectImage reads as no such image). */
  inspect?: string;
  /** Per command line (tool name first): an answer that wins over the ones above. */
  override?: (line: string) => Partial<RunResult> | undefined;
}

export interface RecordingCluster {
  state: ClusterState;
  /** `<tool> <args>` per command, in order (the tool's base name). */
  calls: string[];
  /** stdin given, by the index of its call. */
  inputs: Map<number, string>;
  runner: Runner;
  spawn: Spawner;
}

export function recordingCluster(): RecordingCluster {
  const state: ClusterState = { helmVersion: 'v3.22.0', helmExit: 0 };
  const calls: string[] = [];
  const inputs = new Map<number, string>();
  const answer = (cmd: string, args: string[], input?: string | Buffer): RunResult => {
    const tool = basename(cmd);
    const line = [tool, ...args].join(' ');
    if (input !== undefined) inputs.set(calls.length, String(input));
    calls.push(line);
    const ok = (stdout = ''): RunResult => ({ status: 0, stdout, stderr: '' });
    const own = state.override?.(line);
    if (own) return { ...ok(), ...own };
    if (tool === 'helm') {
      if (args[0] === 'version') return ok(state.helmVersion);
      return { status: state.helmExit, stdout: '', stderr: state.helmStderr ? `${state.helmStderr}\n` : '' };
    }
    if (tool === 'kubectl') {
      if (line.includes('get namespace')) return state.namespaceJson ? ok(state.namespaceJson) : { status: 1, stdout: '', stderr: 'Error from server (NotFound): namespaces "x" not found\n' };
      if (line.includes('get secret -l owner=helm')) return ok(state.secrets ?? '');
      if (line.includes('get deployment,statefulset') || line.includes('get statefulset,deployment')) return ok(state.workloads ?? '');
      if (line.includes('get pods -l app.kubernetes.io/instance=todo -o json')) return ok(state.pods ?? '{"items": []}');
      return ok();
    }
    if (tool === 'docker') {
      if (line.includes('crictl images')) return ok(state.crictl ?? '');
      if (args[0] === 'image' && args[1] === 'inspect') return ok(state.inspect ?? '[]');
      return ok();
    }
    if (tool === 'kind' && args[0] === 'get' && args[1] === 'nodes') return ok('todo-control-plane\n');
    return ok();
  };
  return {
    state,
    calls,
    inputs,
    runner: (cmd, args, opts) => answer(cmd, args, opts?.input),
    spawn: async (cmd, args, opts) => answer(cmd, args, opts?.input),
  };
}

/** A DeployRun of the temp workspace on the recording cluster, with the tools found and both images recorded (built). */
export function recordedRun(ws: TempWorkspace, cluster: RecordingCluster, environment: string, helmMajor = 3, options: Partial<DeployOptions> = {}): DeployRun {
  // The `kind load` path, chosen explicitly (the local registry, the default, has its own tests in run.spec.ts).
  const run = new DeployRun({ localRegistry: false, ...options, environment }, ws.context, { runner: cluster.runner, spawn: cluster.spawn });
  run.tools = { docker: 'docker', kubectl: 'kubectl', kind: 'kind', helm: { bin: 'helm', major: helmMajor, version: `v${helmMajor}.0.0` } };
  run.images[0].record = { image: 'todo-backend', ref: 'todo-backend:content-b1', contentTag: 'content-b1', id: 'sha256:bbbb000000001111' } as ImageRecord;
  run.images[1].record = { image: 'todo-frontend', ref: 'todo-frontend:content-f1', contentTag: 'content-f1', id: 'sha256:ffff000000001111' } as ImageRecord;
  return run;
}

/** A Helm release Secret as Helm stores it (base64 of gzipped JSON, base64 again by the API). */
export const releaseSecret = (version: number, status: string, description: string, manifest: string, labels: Record<string, string> = {}) => ({
  metadata: { labels: { owner: 'helm', name: 'todo', version: String(version), status, ...labels } },
  data: { release: Buffer.from(gzipSync(JSON.stringify({ manifest, info: { description } })).toString('base64')).toString('base64') },
});

export interface StepSuite {
  /** The suite's workspace (made once) and this test's recording cluster (new for each test). */
  readonly ws: TempWorkspace;
  readonly cluster: RecordingCluster;
  /** recordedRun on them. */
  run(environment: string, helmMajor?: number, options?: Partial<DeployOptions>): DeployRun;
}

/** After each test: the environment variables as they were before the file's tests, and no spies. */
export function restoredAfterEach(): void {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });
}

/**
 * Registers a spec's hooks: the temp workspace for the file (with `extra` environments), a fresh
 * recording cluster per test, and the terminal quiet (console and process output spied, so a test can
 * assert on what was printed); restores the environment variables a test changed.
 */
export function stepSuite(extra: Record<string, EnvironmentEntry> = {}): StepSuite {
  let ws: TempWorkspace;
  let cluster: RecordingCluster;
  restoredAfterEach();
  beforeAll(() => (ws = deployWorkspace(extra)));
  afterAll(() => ws.remove());
  beforeEach(() => {
    cluster = recordingCluster();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  return {
    get ws() {
      return ws;
    },
    get cluster() {
      return cluster;
    },
    run: (environment, helmMajor = 3, options = {}) => recordedRun(ws, cluster, environment, helmMajor, options),
  };
}

/** A minikube environment, for the steps' minikube branches. */
export const MINIKUBE_ENV: Record<string, EnvironmentEntry> = { mini: { cluster: 'minikube', namespace: 'todo-mini', host: 'mini.todo.localhost', replicas: 1, database: 'postgres', ai: 'mock' } };
