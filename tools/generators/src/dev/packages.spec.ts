/*
 * A changed requirements.txt in a dev pass (packages.ts): what the pods lack, pip's target for the pods'
 * interpreter, and the pass itself on the session's run over a recording cluster, with a kubectl stand-in
 * whose `exec` runs the rule's real python3 commands here (the pod's folders moved under a temporary
 * root) and this machine's real pip, kept off the network (PIP_NO_INDEX, a wheel made here).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stepSuite } from '../__tests__/deploy-workspace';
import { kubectlStandIn } from '../__tests__/kubectl-stand-in';
import { Children } from './children';
import type { ChangePlan, Classifier } from './classify';
import { DevLoop } from './loop';
import { missingIn, parseRequirements, targetArgs } from './packages';
import { DEV_PACKAGES_DIR, syncRule } from './sync-rules';

describe('what the pods lack', () => {
  it('reads plain requirement lines, and refuses options, paths and URLs', () => {
    expect(parseRequirements('# pinned\nfastapi==0.165.0\nMako==1.4.3  # templates\nzope.interface>=6\nuvicorn[standard]==0.54.0\nfoo==1; python_version < "3.14"\n\n')).toEqual([
      { line: 'fastapi==0.165.0', name: 'fastapi', pinned: '0.165.0' },
      { line: 'Mako==1.4.3', name: 'mako', pinned: '1.4.3' },
      { line: 'zope.interface>=6', name: 'zope-interface', pinned: undefined },
      { line: 'uvicorn[standard]==0.54.0', name: 'uvicorn', pinned: '0.54.0' },
      { line: 'foo==1; python_version < "3.14"', name: 'foo', pinned: '1' },
    ]);
    for (const line of ['-r other.txt', '-e .', 'pkg @ https://example.invalid/pkg.whl', './local.whl']) expect(() => parseRequirements(`${line}\n`)).toThrow(/not a plain requirement/);
  });

  it('wants what is missing or pinned to another version, never what the pod has', () => {
    const pod = { dists: { fastapi: '0.165.0', mako: '1.4.2', 'zope-interface': '7.0' } };
    expect(missingIn(pod, parseRequirements('fastapi==0.165.0\nMako==1.4.3\nzope.interface>=6\nsix==1.17.0\n')).map((r) => r.line)).toEqual(['Mako==1.4.3', 'six==1.17.0']);
  });

  it("targets the pod's interpreter: its Python, libc and machine, wheels only", () => {
    const glibc = targetArgs({ python: '3.13', machine: 'x86_64', libc: ['glibc', '2.41'] });
    expect(glibc.slice(0, 10)).toEqual(['--only-binary=:all:', '--python-version', '3.13', '--implementation', 'cp', '--abi', 'cp313', '--abi', 'abi3', '--abi']);
    expect(glibc).toContain('manylinux2014_x86_64');
    expect(glibc).toContain('manylinux_2_41_x86_64');
    expect(glibc).not.toContain('manylinux_2_42_x86_64');
    const musl = targetArgs({ python: '3.12', machine: 'aarch64', libc: ['', ''] });
    expect(musl.filter((a, i) => musl[i - 1] === '--platform')).toEqual(['musllinux_1_2_aarch64', 'musllinux_1_1_aarch64']);
  });
});

describe('a requirements.txt pass', () => {
  const t = stepSuite();
  const root = mkdtempSync(join(tmpdir(), 'dev-packages-'));
  const podRoot = join(root, 'pod');
  const podPackages = join(podRoot, DEV_PACKAGES_DIR);
  const log = join(root, 'calls.log');
  const kubectl = kubectlStandIn(root, podRoot, log, ['/opt/dev/']);
  const wheels = join(root, 'wheels');
  /** A pure-Python wheel, made here: nothing is downloaded. */
  const wheel = (name: string, version: string) => {
    mkdirSync(wheels, { recursive: true });
    const info = `${name}-${version}.dist-info`;
    const files: Record<string, string> = {
      [`${name}.py`]: `VERSION = "${version}"\n`,
      [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
      [`${info}/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    };
    files[`${info}/RECORD`] = [...Object.keys(files), `${info}/RECORD`].map((f) => `${f},,`).join('\n') + '\n';
    const r = spawnSync('python3', ['-c', 'import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n    [z.writestr(n, c) for n, c in json.loads(sys.argv[2]).items()]', join(wheels, `${name}-${version}-py3-none-any.whl`), JSON.stringify(files)]);
    expect(r.status).toBe(0);
  };
  const k = { kubectl, scopeArgs: ['--context', 'kind-todo'], namespace: 'todo-local', release: 'todo' };
  const rules = new Map([['backend', syncRule('backend', { type: 'fastapi', asgiApp: 'todo_api.main:app' })]]);
  /** The classifier's plan for a changed requirements.txt: rebuild the backend, its pods get the file's packages first. */
  const requirementsChange = { classify: (): ChangePlan => ({ sync: new Map(), rebuild: new Map([['backend', 'apps/backend/requirements.txt']]), install: new Map([['backend', 'apps/backend/requirements.txt']]), upgrade: [], ignored: [] }) } as unknown as Classifier;
  beforeAll(() => {
    wheel('todo_dev_pkg_a', '1.0');
    wheel('todo_dev_pkg_a', '2.0');
    wheel('todo_dev_pkg_b', '1.0');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    // Off the network: only the wheels made here (stepSuite restores the environment after each test).
    Object.assign(process.env, { PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheels });
    rmSync(podRoot, { recursive: true, force: true });
    mkdirSync(podPackages, { recursive: true });
    writeFileSync(log, '');
  });

  const requirements = (text: string) => {
    mkdirSync(join(t.ws.dir, 'apps/backend'), { recursive: true });
    writeFileSync(join(t.ws.dir, 'apps/backend/requirements.txt'), text);
  };
  const loopOn = (said: string[], pip = {}) => {
    const run = t.run('local');
    t.cluster.state.secrets = JSON.stringify({ items: [] });
    return new DevLoop({ run, classifier: requirementsChange, children: new Children(), kube: k, rules, say: (l) => said.push(l), stepLog: () => undefined, debounceMs: 10, pip });
  };

  it("installs what the pods lack into their packages folder, marks them, then rebuilds; the next change replaces the folder's content", async () => {
    const said: string[] = [];
    const loop = loopOn(said);
    requirements('todo_dev_pkg_a==1.0\n');
    await loop.pass(new Map([['apps/backend/requirements.txt', 'update']]));
    const installed = said.findIndex((l) => /^ {2}backend: installed todo_dev_pkg_a==1\.0 into todo-backend-1 in [\d.]+s \(ask [\d.]+s, pip [\d.]+s, copy [\d.]+s; pip on this machine, for the pods' Python 3\.\d+ \w+ \w+\): importable now; the image is rebuilt behind it$/.test(l));
    const rebuild = said.findIndex((l) => l.startsWith('  rebuild backend (apps/backend/requirements.txt)'));
    expect(installed).toBeGreaterThanOrEqual(0);
    expect(rebuild).toBeGreaterThan(installed); // in the pods first, then the rebuild
    expect(readFileSync(join(podPackages, 'todo_dev_pkg_a.py'), 'utf8')).toBe('VERSION = "1.0"\n');
    expect(existsSync(join(podPackages, 'bin'))).toBe(false);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toMatch(/exec todo-backend-1 -c backend -- python3 -c import importlib\.metadata/); // the pod's interpreter, asked
    expect(calls).toContain(`exec -i todo-backend-1 -c backend -- python3 -c`);
    expect(calls).toMatch(/annotate pod --overwrite todo-backend-1 todo\.dev\/synced-at=\d{4}-/); // the sync marker covers the packages
    // Then the rebuild, on the session's run (the build steps talk to the real Docker daemon, so this workspace
    // has no Dockerfile: the build stops before it, and the pass reports it as it would any failed build).
    expect(said[rebuild + 1]).toMatch(/^ {2}✗ rebuild backend \(apps\/backend\/requirements\.txt\) failed after [\d.]+s: Dockerfile not found/);

    // A version bump and a second package (the failed rebuild is retried): the folder holds exactly what
    // was installed since the image, the old version's files gone.
    said.length = 0;
    requirements('todo_dev_pkg_a==2.0\ntodo_dev_pkg_b==1.0\n');
    await loop.pass(new Map([['apps/backend/requirements.txt', 'update']]));
    expect(said).toEqual(expect.arrayContaining([expect.stringContaining('installed todo_dev_pkg_a==2.0, todo_dev_pkg_b==1.0 into todo-backend-1')]));
    expect(readFileSync(join(podPackages, 'todo_dev_pkg_a.py'), 'utf8')).toBe('VERSION = "2.0"\n');
    expect(readdirSync(podPackages).filter((f) => f.endsWith('.dist-info')).sort()).toEqual(['todo_dev_pkg_a-2.0.dist-info', 'todo_dev_pkg_b-1.0.dist-info']);

    // New pods from the image (the dashboard's restart; a rollout alike) get the same packages.
    said.length = 0;
    rmSync(podPackages, { recursive: true, force: true });
    mkdirSync(podPackages, { recursive: true });
    expect(await loop.request({ kind: 'restart', service: 'backend' })).toBe(true);
    expect(said).toContain('  backend: new pods todo-backend-1 got the packages installed since its image was built');
    expect(readFileSync(join(podPackages, 'todo_dev_pkg_a.py'), 'utf8')).toBe('VERSION = "2.0"\n');
    await loop.stop();
  });

  it('a requirement the pods already have installs nothing; the rebuild still runs', async () => {
    const said: string[] = [];
    requirements('pip>=1\n'); // the stand-in pod is this machine's python3, which has pip
    await loopOn(said).pass(new Map([['apps/backend/requirements.txt', 'update']]));
    expect(said).toContain('  backend: nothing to install into the pods for apps/backend/requirements.txt (the pods already have every requirement); the rebuild brings the change');
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}rebuild backend \(apps\/backend\/requirements\.txt\)/)]));
    expect(readdirSync(podPackages)).toEqual([]);
  });

  it('when pip cannot install it (no such package, or no answer within the time limit), the rebuild alone brings it and the line says so', async () => {
    const said: string[] = [];
    requirements('todo_dev_pkg_missing==1.0\n');
    await loopOn(said).pass(new Map([['apps/backend/requirements.txt', 'update']]));
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}backend: not installed into the pods \(pip on this machine failed: .*todo_dev_pkg_missing.*\): the rebuild alone brings apps\/backend\/requirements\.txt$/)]));
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}rebuild backend \(apps\/backend\/requirements\.txt\)/)]));
    expect(readFileSync(log, 'utf8')).not.toContain('annotate');

    said.length = 0;
    const slow = join(root, 'slow-python');
    writeFileSync(slow, '#!/usr/bin/env bash\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const t0 = Date.now();
    requirements('todo_dev_pkg_b==1.0\n');
    await loopOn(said, { python: slow, timeoutMs: 500 }).pass(new Map([['apps/backend/requirements.txt', 'update']]));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(said).toContain('  backend: not installed into the pods (pip on this machine did not finish within 0.5s (is the package index reachable? TODO_DEV_PIP_TIMEOUT changes the limit)): the rebuild alone brings apps/backend/requirements.txt');
    expect(readdirSync(podPackages)).toEqual([]);
  });
});
