/*
 * The image executors without a Docker daemon: the build-context matcher (dockerignore semantics),
 * the content key, and docker-build / docker-run / scan against a recording stand-in for the docker
 * CLI whose "daemon" is a JSON file. The real-daemon behaviour (build, rmi, rebuild) is exercised by
 * apps/e2e/src/containers.e2e.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import dockerBuildExecutor from '../executors/docker-build/executor';
import { loopbackPort, runArgs } from '../executors/docker-run/executor';
import imageScanExecutor, { scanArgs } from '../executors/image-scan/executor';
import { buildStreaming, ensureImage, planBuild, startBuild } from '../images/build';
import { globalArgs } from '../images/base-images';
import { contentKey } from '../images/key';
import { readRecord } from '../images/record';
import { versionTag } from '../images/tags';
import { fakeDocker } from './fake-docker';
import { isExcluded, listContext, parseIgnoreFile } from '../images/dockerignore';

const IGNORE = `# comment
*
!apps/api/requirements.txt
!apps/api/pkg/
**/__pycache__
**/*.py[cod]
**/tests
**/.env
**/*.pem
`;

describe('build context (dockerignore semantics)', () => {
  const patterns = parseIgnoreFile(IGNORE);
  it.each([
    ['apps/api/requirements.txt', false],
    ['apps/api/pkg/main.py', false],
    ['apps/api/pkg/sub/deep.py', false],
    ['apps/api/README.md', true],
    ['apps/api/pkg/__pycache__/main.cpython-311.pyc', true],
    ['apps/api/pkg/mod.pyc', true],
    ['apps/api/pkg/tests/test_x.py', true],
    ['apps/api/pkg/.env', true],
    ['apps/api/pkg/certs/server.pem', true],
    ['package.json', true],
    ['node_modules/x/index.js', true],
  ])('%s excluded: %s', (path, excluded) => expect(isExcluded(path, patterns)).toBe(excluded));

  it('"**/" matches zero directories, "!" re-includes, the last match wins', () => {
    const p = parseIgnoreFile('**/*.md\n!docs/**/keep.md\ndocs/private\n');
    expect(isExcluded('README.md', p)).toBe(true);
    expect(isExcluded('docs/keep.md', p)).toBe(false);
    expect(isExcluded('docs/a/b/keep.md', p)).toBe(false);
    expect(isExcluded('docs/private/keep.md', p)).toBe(true);
    expect(isExcluded('src/x.ts', p)).toBe(false);
  });

  it('walks only what can be in the context (excluded folders are not read)', () => {
    const root = mkdtempSync(join(tmpdir(), 'ctx-'));
    for (const f of ['apps/api/requirements.txt', 'apps/api/pkg/main.py', 'apps/api/pkg/__pycache__/x.pyc', 'apps/api/notes.md', 'node_modules/a/b.js'])
      mkdirSync(dirname(join(root, f)), { recursive: true }), writeFileSync(join(root, f), f);
    const read: string[] = [];
    try {
      const files = listContext(root, patterns, (dir) => read.push(dir)).filter((e) => e.kind === 'f').map((e) => e.path);
      expect(files).toEqual(['apps/api/pkg/main.py', 'apps/api/requirements.txt']);
      // node_modules is excluded and nothing under it is re-included: never read. apps/ holds re-included files.
      expect(read).toEqual(['', 'apps', 'apps/api', 'apps/api/pkg']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** A workspace with one image project: apps/api (a Python package) and apps/api-image. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'image-ws-'));
  const write = (f: string, text: string) => {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  };
  write('package.json', JSON.stringify({ name: 'ws', version: '1.2.3' }));
  write('apps/api/requirements.txt', 'fastapi==0.165.0\n');
  write('apps/api/pkg/__init__.py', '');
  write('apps/api/pkg/main.py', 'app = 1\n');
  write('apps/api/tests/test_main.py', 'def test(): pass\n');
  write('apps/api-image/Dockerfile', 'ARG BASE_IMAGE=python:3.12.12-alpine3.22\nARG BUILDER_IMAGE=python:3.12.12-alpine3.22\nFROM ${BUILDER_IMAGE} AS deps\nFROM ${BASE_IMAGE} AS runtime\n');
  write('apps/api-image/Dockerfile.dockerignore', IGNORE);
  return root;
}

describe('content key', () => {
  const key = (root: string, args: Record<string, string> = {}, base = 'sha256:aaa') =>
    contentKey({ workspaceRoot: root, dockerfile: 'apps/api-image/Dockerfile', context: '.', buildArgs: { BUILD_ENV: 'local', ...args }, baseImageIds: { BASE_IMAGE: base } }).key;

  it('is stable, ignores what the build cannot see, and changes with everything it can', () => {
    const root = workspace();
    const k = key(root);
    expect(key(root)).toBe(k);
    // Outside the context: tests, caches, secrets, other apps.
    writeFileSync(join(root, 'apps/api/tests/test_main.py'), 'changed\n');
    mkdirSync(join(root, 'apps/api/pkg/__pycache__'));
    writeFileSync(join(root, 'apps/api/pkg/__pycache__/main.cpython-311.pyc'), 'x');
    writeFileSync(join(root, 'apps/api/pkg/.env'), 'JWT_SECRET=x\n');
    writeFileSync(join(root, 'README.md'), 'changed\n');
    expect(key(root)).toBe(k);
    // Inside: a source file, its mode, the requirements, the Dockerfile, a build arg, a base image.
    const variants = new Set<string>([k]);
    writeFileSync(join(root, 'apps/api/pkg/main.py'), 'app = 2\n');
    variants.add(key(root));
    chmodSync(join(root, 'apps/api/pkg/main.py'), 0o755);
    variants.add(key(root));
    writeFileSync(join(root, 'apps/api/requirements.txt'), 'fastapi==0.166.0\n');
    variants.add(key(root));
    writeFileSync(join(root, 'apps/api-image/Dockerfile'), `${readFileSync(join(root, 'apps/api-image/Dockerfile'), 'utf8')}# more\n`);
    const afterDockerfile = key(root);
    variants.add(afterDockerfile);
    variants.add(key(root, { BUILD_ENV: 'dev' }));
    variants.add(key(root, {}, 'sha256:bbb'));
    expect(variants.size).toBe(7);
  });

  it('reads the base image arguments and their defaults from the Dockerfile', () => {
    expect(globalArgs('# c\nARG BASE_IMAGE=a:1\nARG X\nFROM ${BASE_IMAGE}\nARG LATER=1\n')).toEqual({ BASE_IMAGE: 'a:1', X: '' });
    expect(versionTag('0.1.0', 'local')).toBe('v0.1.0-local');
    expect(versionTag('1.0.0+build.5', 'dev')).toBe('v1.0.0_build.5-dev');
  });
});

describe('docker-build (recording docker stand-in)', () => {
  let root: string;
  let bin: string;
  const calls = () => readFileSync(join(bin, 'calls.log'), 'utf8').trim().split('\n');
  const context = () => ({ root, projectName: 'api-image', cwd: root, isVerbose: false }) as unknown as ExecutorContext;
  const options = { image: 'todo-api', dockerfile: 'apps/api-image/Dockerfile', baseFlavor: 'python' };
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { stdio: 'pipe' });

  beforeEach(() => {
    root = workspace();
    bin = mkdtempSync(join(tmpdir(), 'fake-docker-'));
    git('init', '-q');
    git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'add', '.');
    git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'commit', '-q', '-m', 'init');
    process.env.DOCKER = fakeDocker(bin, { pullable: ['python:3.12.12-alpine3.22'] });
    delete process.env.TODO_BASE_IMAGES;
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env.DOCKER;
  });

  it('builds when the content tag is missing, then skips while inputs are unchanged, and rebuilds after rmi', async () => {
    await expect(dockerBuildExecutor(options, context())).resolves.toEqual({ success: true });
    const first = readRecord(root, 'api-image')!;
    const commit = git('rev-parse', '--short=12', 'HEAD').toString().trim();
    expect(first).toMatchObject({ image: 'todo-api', environment: 'local', built: true });
    expect(first.tags).toEqual([`todo-api:${first.contentTag}`, 'todo-api:v1.2.3-local', `todo-api:${commit}`]);
    expect(first.contentTag).toMatch(/^content-[0-9a-f]{16}$/);
    expect(calls().filter((c) => c.startsWith('pull '))).toEqual(['pull python:3.12.12-alpine3.22']);
    const build = calls().find((c) => c.startsWith('build '))!;
    expect(build).toContain('--build-arg BUILD_ENV=local');
    expect(build).toContain('--build-arg VERSION=1.2.3');
    expect(build).toMatch(/--build-arg REVISION=[0-9a-f]{40} /);
    expect(build).not.toMatch(/latest/);

    writeFileSync(join(bin, 'calls.log'), '');
    await expect(dockerBuildExecutor(options, context())).resolves.toEqual({ success: true });
    expect(calls().some((c) => c.startsWith('build '))).toBe(false);
    expect(readRecord(root, 'api-image')).toMatchObject({ built: false, contentTag: first.contentTag, id: first.id });

    // What Nx's cache cannot see: the image is gone from the daemon. The next run must build.
    execFileSync(process.env.DOCKER!, ['rmi', ...first.tags]);
    writeFileSync(join(bin, 'calls.log'), '');
    await expect(dockerBuildExecutor(options, context())).resolves.toEqual({ success: true });
    expect(calls().some((c) => c.startsWith('build '))).toBe(true);
    expect(readRecord(root, 'api-image')).toMatchObject({ built: true, contentTag: first.contentTag });
  });

  it('a source change makes a new content tag; an uncommitted change marks the commit tag dirty', async () => {
    await dockerBuildExecutor(options, context());
    const first = readRecord(root, 'api-image')!;
    writeFileSync(join(root, 'apps/api/pkg/main.py'), 'app = 2\n');
    await dockerBuildExecutor(options, context());
    const second = readRecord(root, 'api-image')!;
    expect(second.contentTag).not.toBe(first.contentTag);
    expect(second.built).toBe(true);
    expect(second.tags[2]).toMatch(/^todo-api:[0-9a-f]{12}-dirty$/);
  });

  it('the environment picks the version tag and BUILD_ENV', async () => {
    await dockerBuildExecutor({ ...options, environment: 'dev' }, context());
    expect(readRecord(root, 'api-image')!.tags[1]).toBe('todo-api:v1.2.3-dev');
    expect(calls().find((c) => c.startsWith('build '))).toContain('BUILD_ENV=dev');
  });

  it('an image already in the daemon only gets its missing tags', async () => {
    await dockerBuildExecutor(options, context());
    execFileSync(process.env.DOCKER!, ['rmi', 'todo-api:v1.2.3-local']);
    writeFileSync(join(bin, 'calls.log'), '');
    await dockerBuildExecutor(options, context());
    const record = readRecord(root, 'api-image')!;
    expect(calls().filter((c) => /^(build|tag) /.test(c))).toEqual([`tag todo-api:${record.contentTag} todo-api:v1.2.3-local`]);
    expect(record.built).toBe(false);
  });

  it('$TODO_BASE_IMAGES supplies the bases; a base that is neither present nor pullable says what to do', async () => {
    const file = join(root, 'bases.json');
    writeFileSync(file, JSON.stringify({ python: { BASE_IMAGE: 'todo-base/python:3.11-x', BUILDER_IMAGE: 'todo-base/python-builder:3.11-x' } }));
    process.env.TODO_BASE_IMAGES = file;
    const errors = jest.spyOn(console, 'error');
    await expect(dockerBuildExecutor(options, context())).resolves.toEqual({ success: false });
    expect(errors.mock.calls.flat().join('\n')).toMatch(/todo-base\/(python|python-builder):3\.11-x.*could not be pulled.*nx run base-images:build/s);
    execFileSync(process.env.DOCKER!, ['build', '--tag', 'todo-base/python:3.11-x', '--tag', 'todo-base/python-builder:3.11-x']);
    await expect(dockerBuildExecutor(options, context())).resolves.toEqual({ success: true });
    expect(readRecord(root, 'api-image')!.buildArgs).toMatchObject({ BASE_IMAGE: 'todo-base/python:3.11-x', BUILDER_IMAGE: 'todo-base/python-builder:3.11-x' });
    delete process.env.TODO_BASE_IMAGES;
  });

  it('a build started in the background (the deploy\'s, while kind creates the cluster) runs while the caller blocks, writes its output to a file and is recorded as built; a failed one shows its last lines', async () => {
    const plan = planBuild(options, root, process.env.DOCKER!);
    const logFile = join(bin, 'out', 'build.log');
    process.env.FAKE_BUILD_MS = '400';
    try {
      const background = startBuild(options, root, plan, logFile);
      // The deploy blocks in a synchronous command meanwhile (kind create); the build goes on without it.
      execFileSync('sleep', ['1']);
      const blockEnded = Date.now();
      const finished = await background.finished;
      expect(Number(readFileSync(join(bin, 'build-started'), 'utf8'))).toBeLessThan(blockEnded);
      expect(finished).toMatchObject({ status: 0, logFile });
      expect(readFileSync(logFile, 'utf8')).toContain('#1 [internal] load build definition from Dockerfile');
      const record = ensureImage(options, root, 'api-image', plan, false, undefined, finished)!;
      expect(record).toMatchObject({ built: true, ref: plan.contentRef });
      expect(calls().filter((c) => c.startsWith('build '))).toHaveLength(1); // recorded, not built again
      expect(console.log).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^${plan.contentRef}: built in the background in [\\d.]+s \\(its output: `)));

      process.env.FAKE_BUILD_FAIL = '1';
      const next = planBuild({ ...options, environment: 'dev' }, root, process.env.DOCKER!);
      const failed = await startBuild({ ...options, environment: 'dev' }, root, next, logFile).finished;
      expect(failed.status).toBe(1);
      expect(() => ensureImage({ ...options, environment: 'dev' }, root, 'api-image', next, false, undefined, failed)).toThrow(/docker build of todo-api:content-\w+ failed in the background \(the last lines of its output are above; all of it: .*build\.log\)/);
      expect(console.error).toHaveBeenCalledWith(expect.stringContaining('ERROR: failed to solve: process "/bin/sh -c pip install"'));
    } finally {
      delete process.env.FAKE_BUILD_MS;
      delete process.env.FAKE_BUILD_FAIL;
    }
  });

  it("buildStreaming (the deploy's own build) leaves the process's event loop running while docker builds, and is recorded as built; a failed one says its output is above", async () => {
    const plan = planBuild(options, root, process.env.DOCKER!);
    process.env.FAKE_BUILD_MS = '800';
    try {
      // The dev loop's watcher and syncs live on this event loop: they must go on during a rebuild.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 50);
      const finished = await buildStreaming(options, root, plan);
      clearInterval(timer);
      expect(ticks).toBeGreaterThanOrEqual(8);
      expect(finished).toMatchObject({ status: 0 });
      expect(finished.logFile).toBeUndefined(); // its output went to the terminal
      expect(ensureImage(options, root, 'api-image', plan, false, undefined, finished)).toMatchObject({ built: true, ref: plan.contentRef });
      expect(calls().filter((c) => c.startsWith('build '))).toHaveLength(1);

      process.env.FAKE_BUILD_FAIL = '1';
      const next = planBuild({ ...options, environment: 'dev' }, root, process.env.DOCKER!);
      const failed = await buildStreaming({ ...options, environment: 'dev' }, root, next);
      expect(failed.status).toBe(1);
      expect(() => ensureImage({ ...options, environment: 'dev' }, root, 'api-image', next, false, undefined, failed)).toThrow(/docker build of todo-api:content-\w+ failed \(its output is above\)/);
    } finally {
      delete process.env.FAKE_BUILD_MS;
      delete process.env.FAKE_BUILD_FAIL;
    }
  });

  it('refuses build arguments it owns', async () => {
    await expect(dockerBuildExecutor({ ...options, buildArgs: { VERSION: '9' } }, context())).resolves.toEqual({ success: false });
  });
});

describe('docker-run and scan', () => {
  it('publishes on 127.0.0.1 only, read-only root, no capabilities', () => {
    expect(loopbackPort('8000:8000')).toBe('127.0.0.1:8000:8000');
    expect(() => loopbackPort('0.0.0.0:8000:8000')).toThrow(/127\.0\.0\.1 only/);
    const args = runArgs({ name: 'todo-backend', network: 'todo-local', networkAlias: 'backend', ports: ['8000:8000'], tmpfs: ['/tmp'] }, 'todo-backend:content-1', { A: 'b' });
    expect(args).toEqual([
      'run', '--rm', '--name', 'todo-backend', '--network', 'todo-local', '--network-alias', 'backend', '--read-only',
      '--cap-drop=ALL', '--security-opt=no-new-privileges', '--tmpfs', '/tmp', '-p', '127.0.0.1:8000:8000', '-e', 'A=b', 'todo-backend:content-1',
    ]);
  });

  it('scan: no scanner installed is a failure that says how to install one, never a pass', async () => {
    const savedPath = process.env.PATH;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-path-'));
    delete process.env.TRIVY;
    delete process.env.GRYPE;
    try {
      const r = await imageScanExecutor({}, { root: tmpdir(), projectName: 'x-image' } as unknown as ExecutorContext);
      expect(r).toEqual({ success: false });
      expect(errors.mock.calls.flat().join('\n')).toMatch(/No vulnerability scanner found: install Trivy or Grype/);
    } finally {
      process.env.PATH = savedPath;
      errors.mockRestore();
    }
  });

  it('scan: Trivy and Grype fail on findings at or above the threshold', () => {
    expect(scanArgs('trivy', 'todo-backend:content-1', 'high')).toEqual(['image', '--exit-code', '1', '--severity', 'HIGH,CRITICAL', 'todo-backend:content-1']);
    expect(scanArgs('grype', 'todo-backend:content-1', 'medium')).toEqual(['docker:todo-backend:content-1', '--fail-on', 'medium']);
  });
});
