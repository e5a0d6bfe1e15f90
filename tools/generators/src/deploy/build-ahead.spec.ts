/*
 * deploy-<env> starts the builds a changed source needs while the checks' reads run (runStepsReadingAhead
 * with buildAhead): the build begins before the reads are done, its step waits for it and says why, an
 * image the daemon has is not built, and without the option (the dev loop's start-up) nothing starts early.
 * Docker is the recording stand-in of fake-docker.ts; the reads answer after a delay.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeDocker } from '../__tests__/fake-docker';
import { stepSuite } from '../__tests__/deploy-workspace';
import type { BuildPlan } from '../images/build';
import { runStepsReadingAhead } from './deploy';
import { DeployRun } from './run';
import { buildStep } from './steps/build';

const t = stepSuite();
const READ_MS = 600;

/** A plan as planBuild makes it (planBuild itself is tested in image.executors.spec.ts). */
const plan = (service: string, tag: string): BuildPlan => ({
  image: `todo-${service}`,
  environment: 'local',
  key: tag,
  files: 1,
  tags: [tag],
  contentRef: `todo-${service}:${tag}`,
  buildArgs: {},
  keyArgs: {},
  baseImages: {},
  contextPaths: [],
});

/** A run whose last reads file has one read, answered after READ_MS; the backend's source changed, the frontend's did not. */
function changedBackendRun(bin: string): { run: DeployRun; readDone: () => number } {
  let done = 0;
  const run = new DeployRun({ environment: 'local', localRegistry: false }, t.ws.context, {
    runner: t.cluster.runner,
    spawn: async (cmd, args, opts) => {
      await new Promise((r) => setTimeout(r, READ_MS));
      done = Date.now();
      return t.cluster.spawn(cmd, args, opts);
    },
  });
  mkdirSync(join(t.ws.dir, 'dist/deploy'), { recursive: true });
  writeFileSync(join(t.ws.dir, 'dist/deploy/local.reads.json'), JSON.stringify([['kubectl', ['get', 'namespace', 'todo-local']]]));
  // The frontend's content tag is in the daemon (the run asks through its runner; the build's record asks
  // the stand-in); the backend's new one is not.
  const frontend = { Id: 'sha256:f1', RepoTags: ['todo-frontend:content-f1'], Size: 1, Created: '', Config: { Labels: {}, User: '10001:10001' } };
  writeFileSync(join(bin, 'images.json'), JSON.stringify({ 'sha256:f1': frontend }));
  t.cluster.state.override = (line) => (line === 'docker image inspect todo-frontend:content-f1' ? { stdout: JSON.stringify([frontend]) } : undefined);
  Object.assign(run.images[0], { plan: plan('backend', 'content-b2') });
  Object.assign(run.images[1], { plan: plan('frontend', 'content-f1') });
  return { run, readDone: () => done };
}

it('a changed image starts building while the reads run; its step waits for it and says so; an unchanged one is not built', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'build-ahead-'));
  process.env.DOCKER = fakeDocker(bin);
  const { run, readDone } = changedBackendRun(bin);
  const lines: string[] = [];
  const result = await runStepsReadingAhead(run.images.map((i) => buildStep(i)), run, (l) => lines.push(l), 'local.reads.json', { buildAhead: true });

  expect(result.success).toBe(true);
  expect(Number(readFileSync(join(bin, 'build-started'), 'utf8'))).toBeLessThan(readDone());
  expect(run.readAheadSeconds).toBeGreaterThanOrEqual(READ_MS / 1000 - 0.05);
  expect(lines[0]).toBe('build: building todo-backend:content-b2 in the background meanwhile (output: dist/deploy/local.build-backend.log)');
  expect(result.steps.map((s) => [s.name, s.outcome])).toEqual([['build backend', 'ran'], ['build frontend', 'skipped']]);
  expect(result.steps[0].reason).toBe('todo-backend:content-b2 is not in the Docker daemon: building backend-image (started in the background with the checks: waiting for it)');
  const builds = readFileSync(join(bin, 'calls.log'), 'utf8').split('\n').filter((c) => c.startsWith('build '));
  expect(builds).toHaveLength(1);
  expect(builds[0]).toContain('--tag todo-backend:content-b2');
  expect(run.images[0].record).toMatchObject({ ref: 'todo-backend:content-b2', built: true });
});

it('without the option (the dev loop) or in a dry run, nothing builds before its step', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'build-ahead-'));
  process.env.DOCKER = fakeDocker(bin);
  const { run } = changedBackendRun(bin);
  const none = await runStepsReadingAhead([], run, () => undefined, 'local.reads.json');
  expect(none.success).toBe(true);
  const dry = new DeployRun({ environment: 'local', localRegistry: false, dryRun: true }, t.ws.context, { runner: t.cluster.runner, spawn: t.cluster.spawn });
  Object.assign(dry.images[0], { plan: plan('backend', 'content-b2') });
  await runStepsReadingAhead([], dry, () => undefined, 'local.reads.json', { buildAhead: true });
  expect(readFileSync(join(bin, 'calls.log'), { encoding: 'utf8', flag: 'a+' })).not.toMatch(/^build /m);
});

it('a cold deploy: the cluster step finds the build already running, says it goes on while the cluster is created, and its step says so', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'build-ahead-'));
  process.env.DOCKER = fakeDocker(bin);
  const { run } = changedBackendRun(bin);
  const lines: string[] = [];
  const clusterCreated = { name: 'cluster', needed: () => ({ needed: true, reason: 'no cluster' }), run: async () => (run.buildAhead((l) => lines.push(`cluster: ${l}`)), true) };
  const result = await runStepsReadingAhead([clusterCreated, buildStep(run.images[0])], run, (l) => lines.push(l), 'local.reads.json', { buildAhead: true });
  expect(result.success).toBe(true);
  expect(lines.filter((l) => l.includes('in the background meanwhile'))).toEqual([
    'build: building todo-backend:content-b2 in the background meanwhile (output: dist/deploy/local.build-backend.log)',
    'cluster: building todo-backend:content-b2 in the background meanwhile (started as the deploy began; output: dist/deploy/local.build-backend.log)',
  ]);
  expect(result.steps[1].reason).toBe('todo-backend:content-b2 is being built in the background (while the cluster was created): waiting for it');
  expect(readFileSync(join(bin, 'calls.log'), 'utf8').split('\n').filter((c) => c.startsWith('build '))).toHaveLength(1);
});

it('an image whose base is missing is left to its step (which pulls it on the terminal): nothing is pulled or built ahead', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'build-ahead-'));
  process.env.DOCKER = fakeDocker(bin);
  const { run } = changedBackendRun(bin);
  Object.assign(run.images[0], { plan: undefined });
  writeFileSync(join(t.ws.dir, 'apps/backend-image/Dockerfile'), 'ARG BASE_IMAGE=python:3.13-missing\nFROM ${BASE_IMAGE}\n');
  const lines: string[] = [];
  await runStepsReadingAhead([], run, (l) => lines.push(l), 'local.reads.json', { buildAhead: true });
  expect(t.cluster.calls).toContain('docker image inspect python:3.13-missing'); // asked, through the run's runner
  expect(readFileSync(join(bin, 'calls.log'), { encoding: 'utf8', flag: 'a+' })).not.toMatch(/^(pull|build) /m);
  expect(lines).toEqual([]);
  expect(run.images[0].plan).toBeUndefined();
});
