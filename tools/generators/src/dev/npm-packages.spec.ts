/*
 * A changed package.json in a dev pass (npm-packages.ts, packages.ts): what the pods lack, the lockfile's
 * versions, and the pass itself on the session's run over a recording cluster, with a kubectl stand-in
 * whose `exec` runs the rule's real node and sh/tar commands here (the pod's /repo moved under a temporary
 * root) and this machine's real npm, kept off the network: its registry is a loopback server of the test's
 * that serves packages made here.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stepSuite } from '../__tests__/deploy-workspace';
import { kubectlStandIn } from '../__tests__/kubectl-stand-in';
import { Children } from './children';
import type { ChangePlan, Classifier } from './classify';
import { DevLoop } from './loop';
import { lockedVersions, npmChildEnv, npmError, parseManifest, wantedSpecs } from './npm-packages';
import { syncRule } from './sync-rules';

describe('what the pods lack (npm)', () => {
  it('reads every dependency field, and refuses what is not a registry version or range', () => {
    expect(parseManifest(JSON.stringify({ dependencies: { next: '16.4.6', kleur: '^4.1.0' }, devDependencies: { typescript: '5.9.3' }, optionalDependencies: { '@scope/x': '' } }), 'package.json')).toEqual([
      { name: 'next', spec: '16.4.6' },
      { name: 'kleur', spec: '^4.1.0' },
      { name: 'typescript', spec: '5.9.3' },
      { name: '@scope/x', spec: '*' },
    ]);
    for (const spec of ['file:../lib', 'workspace:*', 'npm:other@1', 'github:o/r', 'o/r', 'https://example.invalid/x.tgz'])
      expect(() => parseManifest(JSON.stringify({ dependencies: { x: spec } }), 'apps/frontend/package.json')).toThrow(`"x": "${spec}" in apps/frontend/package.json is not a registry version or range`);
    expect(() => parseManifest('{ "dependencies": ', 'apps/frontend/package.json')).toThrow(/apps\/frontend\/package\.json is not valid JSON/);
  });

  it("takes the lockfile's version for the app: its own node_modules entry before the hoisted one", () => {
    const lock = JSON.stringify({
      packages: {
        '': { name: 'root' },
        'apps/frontend': { name: 'frontend' },
        'node_modules/react': { version: '19.3.1' },
        'node_modules/@scope/x': { version: '1.0.0' },
        'node_modules/kleur': { version: '3.0.3' },
        'apps/frontend/node_modules/kleur': { version: '4.1.5' },
        'apps/other/node_modules/kleur': { version: '2.0.0' },
        'node_modules/next/node_modules/postcss': { version: '8.4.31' },
      },
    });
    expect(lockedVersions(lock, 'apps/frontend')).toEqual({ react: '19.3.1', '@scope/x': '1.0.0', kleur: '4.1.5' });
    expect(lockedVersions(undefined, 'apps/frontend')).toEqual({});
  });

  it('wants what the pods lack or have at another version than the pin or the lockfile, never what they have', () => {
    const deps = [
      { name: 'next', spec: '16.4.6' }, // the pods have it
      { name: 'react', spec: '19.3.2' }, // bumped pin
      { name: 'kleur', spec: '^4.1.0' }, // a range: the lockfile's version
      { name: 'ms', spec: '^2.1.0' }, // a range the lockfile does not know, the pods have a version
      { name: 'is-number', spec: '^7.0.0' }, // new, not in the lockfile either
    ];
    const pod = { versions: { next: '16.4.6', react: '19.3.1', kleur: '4.1.0', ms: '2.1.3', 'is-number': null } };
    expect(wantedSpecs(deps, { kleur: '4.1.5', next: '16.4.6' }, pod)).toEqual(['react@19.3.2', 'kleur@4.1.5', 'is-number@^7.0.0']);
  });

  it('runs npm without the local prefix npx sets (npm would write that folder), keeping the user\'s npm settings', () => {
    expect(npmChildEnv({ PATH: '/bin', npm_config_local_prefix: '/work', npm_package_json: '/work/package.json', npm_lifecycle_event: 'npx', npm_command: 'exec', npm_config_registry: 'http://127.0.0.1:1/', npm_config_cache: '/c' })).toEqual({ PATH: '/bin', npm_config_registry: 'http://127.0.0.1:1/', npm_config_cache: '/c' });
  });

  it("names npm's own error line", () => {
    expect(npmError('npm warn Unknown user config "nodedir"\nnpm error code E404\nnpm error 404 Not Found - GET http://127.0.0.1:1/nope - Not found\nnpm error A complete log of this run can be found in: /x.log\n')).toBe('404 Not Found - GET http://127.0.0.1:1/nope - Not found');
    expect(npmError('something else\n')).toBeUndefined();
  });
});

/** A loopback npm registry of packages made here: name -> version -> files (package.json is added). */
function fakeRegistry(dir: string, packages: Record<string, Record<string, { files: Record<string, string>; dependencies?: Record<string, string> }>>) {
  const tarballs = new Map<string, Buffer>();
  let server: Server;
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const packument = (name: string) => {
    const versions: Record<string, unknown> = {};
    for (const [version, { files, dependencies }] of Object.entries(packages[name])) {
      const manifest = { name, version, main: 'index.js', dependencies: dependencies ?? {} };
      const root = join(dir, `${name}-${version}`);
      mkdirSync(join(root, 'package'), { recursive: true });
      for (const [file, text] of Object.entries({ ...files, 'package.json': JSON.stringify(manifest) })) writeFileSync(join(root, 'package', file), text);
      const tgz = join(root, 'package.tgz');
      expect(spawnSync('tar', ['-czf', tgz, '-C', root, 'package']).status).toBe(0);
      const data = readFileSync(tgz);
      const path = `${name}/-/${name}-${version}.tgz`;
      tarballs.set(`/${path}`, data);
      versions[version] = { ...manifest, dist: { tarball: `${url()}${path}`, integrity: `sha512-${createHash('sha512').update(data).digest('base64')}` } };
    }
    return { name, 'dist-tags': { latest: Object.keys(versions).pop() }, versions };
  };
  return {
    start: () =>
      new Promise<string>((resolve) => {
        server = createServer((req, res) => {
          const path = decodeURIComponent(req.url ?? '');
          const tgz = tarballs.get(path);
          const name = path.slice(1);
          if (tgz) res.end(tgz);
          else if (!packages[name]) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
          else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(name)));
        }).listen(0, '127.0.0.1', () => resolve(url()));
      }),
    stop: () => new Promise((r) => server.close(r)),
  };
}

describe('a package.json pass', () => {
  const t = stepSuite();
  const root = mkdtempSync(join(tmpdir(), 'dev-npm-packages-'));
  const podRoot = join(root, 'pod');
  /** The pod's app folder (the code emptyDir) and the image's hoisted node_modules. */
  const podApp = join(podRoot, 'repo/apps/frontend');
  const podHoisted = join(podRoot, 'repo/node_modules');
  const log = join(root, 'calls.log');
  const kubectl = kubectlStandIn(root, podRoot, log, ['/repo/']);
  const registry = fakeRegistry(join(root, 'registry'), {
    'todo-dev-pkg-a': { '1.0.0': { files: { 'index.js': 'module.exports = "a 1.0.0";\n', 'only-in-1.js': '' } }, '2.0.0': { files: { 'index.js': 'module.exports = "a 2.0.0";\n' } } },
    'todo-dev-pkg-b': { '1.0.0': { files: { 'index.js': 'module.exports = require("todo-dev-dep") + " via b";\n' }, dependencies: { 'todo-dev-dep': '^3.0.0' } } },
    'todo-dev-dep': { '3.0.0': { files: { 'index.js': 'module.exports = "dep 3";\n' } } },
  });
  let registryUrl = '';
  const k = { kubectl, scopeArgs: ['--context', 'kind-todo'], namespace: 'todo-local', release: 'todo' };
  const rules = new Map([['frontend', syncRule('frontend', { type: 'nextjs' })]]);
  const packageJsonChange = { classify: (): ChangePlan => ({ sync: new Map(), rebuild: new Map([['frontend', 'apps/frontend/package.json']]), install: new Map([['frontend', 'apps/frontend/package.json']]), upgrade: [], ignored: [] }) } as unknown as Classifier;
  beforeAll(async () => (registryUrl = await registry.start()));
  afterAll(async () => {
    await registry.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    // Off the network: only the loopback registry, and a cache of the test's (stepSuite restores the environment after each test).
    Object.assign(process.env, { npm_config_registry: registryUrl, npm_config_cache: join(root, 'npm-cache'), npm_config_offline: 'false' });
    rmSync(podRoot, { recursive: true, force: true });
    // The image's hoisted packages: one the app already has.
    mkdirSync(join(podHoisted, 'todo-dev-present'), { recursive: true });
    writeFileSync(join(podHoisted, 'todo-dev-present/package.json'), '{ "name": "todo-dev-present", "version": "1.0.0" }');
    mkdirSync(podApp, { recursive: true });
    writeFileSync(log, '');
  });

  const manifest = (dependencies: Record<string, string>, lock?: Record<string, string>) => {
    mkdirSync(join(t.ws.dir, 'apps/frontend'), { recursive: true });
    writeFileSync(join(t.ws.dir, 'apps/frontend/package.json'), JSON.stringify({ name: 'frontend', dependencies }));
    const packages = Object.fromEntries(Object.entries(lock ?? {}).map(([name, version]) => [`node_modules/${name}`, { version }]));
    writeFileSync(join(t.ws.dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages }));
  };
  const loopOn = (said: string[], options = {}) => {
    const run = t.run('local');
    t.cluster.state.secrets = JSON.stringify({ items: [] });
    return new DevLoop({ run, classifier: packageJsonChange, children: new Children(), kube: k, rules, say: (l) => said.push(l), stepLog: () => undefined, debounceMs: 10, pip: options });
  };
  /** What the app's code gets for `require(name)`, resolved as in the pod (its node_modules, then the image's). */
  const requireInPod = (name: string) => spawnSync('node', ['-e', `process.stdout.write(require(${JSON.stringify(name)}))`], { cwd: podApp, encoding: 'utf8' });

  it("installs what the pods lack into the app's node_modules (dependencies nested), marks them, then rebuilds; a bump replaces the old version's files", async () => {
    const said: string[] = [];
    const loop = loopOn(said);
    manifest({ 'todo-dev-present': '1.0.0', 'todo-dev-pkg-a': '^1.0.0', 'todo-dev-pkg-b': '1.0.0' }, { 'todo-dev-present': '1.0.0', 'todo-dev-pkg-a': '1.0.0' });
    await loop.pass(new Map([['apps/frontend/package.json', 'update']]));
    const installed = said.findIndex((l) => /^ {2}frontend: installed todo-dev-pkg-a@1\.0\.0, todo-dev-pkg-b@1\.0\.0 into todo-frontend-1 in [\d.]+s \(ask [\d.]+s, npm [\d.]+s, copy [\d.]+s; npm on this machine, for the pods' Node \d+\.\d+\.\d+ linux \w+ (glibc|musl)\): importable now; the image is rebuilt behind it$/.test(l));
    const rebuild = said.findIndex((l) => l.startsWith('  rebuild frontend (apps/frontend/package.json)'));
    expect(installed).toBeGreaterThanOrEqual(0);
    expect(rebuild).toBeGreaterThan(installed); // in the pods first, then the rebuild
    expect(requireInPod('todo-dev-pkg-a').stdout).toBe('a 1.0.0');
    expect(requireInPod('todo-dev-pkg-b').stdout).toBe('dep 3 via b');
    // Only the wanted packages at the top; their dependencies nested under them; npm's leftovers gone.
    expect(readdirSync(join(podApp, 'node_modules')).sort()).toEqual(['todo-dev-pkg-a', 'todo-dev-pkg-b']);
    expect(existsSync(join(podApp, 'node_modules/todo-dev-pkg-b/node_modules/todo-dev-dep/index.js'))).toBe(true);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toMatch(/exec todo-frontend-1 -c frontend -- node -e .* -- \/repo\/apps\/frontend\/ todo-dev-present todo-dev-pkg-a todo-dev-pkg-b/s); // the pod's Node, asked
    expect(calls).toContain('exec -i todo-frontend-1 -c frontend -- sh -c');
    expect(calls).toMatch(/annotate pod --overwrite todo-frontend-1 todo\.dev\/synced-at=\d{4}-/); // the sync marker covers the packages
    expect(said[rebuild + 1]).toMatch(/^ {2}✗ rebuild frontend \(apps\/frontend\/package\.json\) failed after [\d.]+s: Dockerfile not found/);

    // A bump: the new version's files replace the old one's in the pods.
    said.length = 0;
    manifest({ 'todo-dev-present': '1.0.0', 'todo-dev-pkg-a': '2.0.0', 'todo-dev-pkg-b': '1.0.0' });
    await loop.pass(new Map([['apps/frontend/package.json', 'update']]));
    expect(said).toEqual(expect.arrayContaining([expect.stringContaining('installed todo-dev-pkg-a@2.0.0 into todo-frontend-1')]));
    expect(requireInPod('todo-dev-pkg-a').stdout).toBe('a 2.0.0');
    expect(existsSync(join(podApp, 'node_modules/todo-dev-pkg-a/only-in-1.js'))).toBe(false);
    expect(requireInPod('todo-dev-pkg-b').stdout).toBe('dep 3 via b');

    // New pods from the image (the dashboard's restart; a rollout alike) get both packages.
    said.length = 0;
    rmSync(join(podApp, 'node_modules'), { recursive: true, force: true });
    expect(await loop.request({ kind: 'restart', service: 'frontend' })).toBe(true);
    expect(said).toContain('  frontend: new pods todo-frontend-1 got the packages installed since its image was built');
    expect(requireInPod('todo-dev-pkg-a').stdout).toBe('a 2.0.0');
    expect(requireInPod('todo-dev-pkg-b').stdout).toBe('dep 3 via b');
    await loop.stop();
  });

  it('a manifest whose versions the pods have installs nothing; the rebuild still runs', async () => {
    const said: string[] = [];
    manifest({ 'todo-dev-present': '^1.0.0' }, { 'todo-dev-present': '1.0.0' });
    await loopOn(said).pass(new Map([['apps/frontend/package.json', 'update']]));
    expect(said).toContain('  frontend: nothing to install into the pods for apps/frontend/package.json (the pods already have every dependency at its version); the rebuild brings the change');
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}rebuild frontend \(apps\/frontend\/package\.json\)/)]));
    expect(existsSync(join(podApp, 'node_modules'))).toBe(false);
  });

  it('when npm cannot install it (no such package, a path dependency, no answer in time), the rebuild alone brings it and the line says so', async () => {
    const said: string[] = [];
    manifest({ 'todo-dev-pkg-missing': '1.0.0' });
    await loopOn(said).pass(new Map([['apps/frontend/package.json', 'update']]));
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}frontend: not installed into the pods \(npm on this machine failed: .*404.*todo-dev-pkg-missing.*\): the rebuild alone brings apps\/frontend\/package\.json$/)]));
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}rebuild frontend \(apps\/frontend\/package\.json\)/)]));
    expect(readFileSync(log, 'utf8')).not.toContain('annotate');

    said.length = 0;
    manifest({ lib: 'file:../../libs/lib' });
    await loopOn(said).pass(new Map([['apps/frontend/package.json', 'update']]));
    expect(said).toContain('  frontend: not installed into the pods ("lib": "file:../../libs/lib" in apps/frontend/package.json is not a registry version or range (paths, aliases, git and URLs are left to the rebuild)): the rebuild alone brings apps/frontend/package.json');

    said.length = 0;
    const slow = join(root, 'slow-npm');
    writeFileSync(slow, '#!/usr/bin/env bash\nexec sleep 30\n', { mode: 0o755 });
    const t0 = Date.now();
    manifest({ 'todo-dev-pkg-a': '1.0.0' });
    await loopOn(said, { npm: slow, timeoutMs: 500 }).pass(new Map([['apps/frontend/package.json', 'update']]));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(said).toContain('  frontend: not installed into the pods (npm on this machine did not finish within 0.5s (is the registry reachable? TODO_DEV_NPM_TIMEOUT changes the limit)): the rebuild alone brings apps/frontend/package.json');
    expect(existsSync(join(podApp, 'node_modules'))).toBe(false);
  });
});
