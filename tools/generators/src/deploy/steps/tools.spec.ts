/* The "tools" step's check with a recording runner: Docker asked first, the tools found through @todo/cluster's one order, Helm's version read. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from '@todo/cluster';
import { stepSuite } from '../../__tests__/deploy-workspace';
import { toolsStep } from './tools';

const t = stepSuite();
let empty: string;
beforeEach(() => {
  empty = mkdtempSync(join(tmpdir(), 'no-tools-'));
  // Found only where the test says: nothing on PATH, an empty .tools/bin.
  Object.assign(process.env, { PATH: empty, TOOLS_DIR: empty, DOCKER: 'docker', KUBECTL: 'kubectl', HELM: 'helm', KIND_BIN: '/bin/true' });
});
afterEach(() => rmSync(empty, { recursive: true, force: true }));

it('found: docker, kubectl, helm with its version, kind; nothing to install', async () => {
  const c = t.run('local');
  expect(await toolsStep.needed(c)).toEqual({ needed: false, reason: 'docker, kubectl, helm v3.22.0, kind found' });
  expect(c.tools).toEqual({ docker: 'docker', kubectl: 'kubectl', helm: { bin: 'helm', major: 3, version: 'v3.22.0' }, kind: '/bin/true' });
  expect(t.cluster.calls).toEqual(['docker info --format {{.ServerVersion}}', 'helm version --template {{.Version}}']);
});

it('missing: named, with where they were looked for; a dry run only prints the install', async () => {
  delete process.env.HELM;
  process.env.HELM_BIN = join(empty, 'helm');
  const c = t.run('local', 3, { dryRun: true });
  expect(await toolsStep.needed(c)).toEqual({ needed: true, reason: 'helm not found (PATH, <TOOL>_BIN, .tools/bin): installing the pinned, checksum-verified versions into .tools/bin' });
  expect(c.tools.helm).toEqual({ bin: 'helm', major: 3, version: 'v3 (not installed yet)' });
  expect(await toolsStep.run(c)).toBe(true);
  expect(console.log).toHaveBeenCalledWith('$ nx run cluster:tools  (dry run)');
});

it('Docker not running stops the deploy first, with the fix', async () => {
  t.cluster.state.override = (line) => (line.startsWith('docker info') ? { status: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' } : undefined);
  const err = await Promise.resolve().then(() => toolsStep.needed(t.run('local'))).catch((e) => e);
  expect(err).toBeInstanceOf(ClusterError);
  expect(err.cause).toContain('Is the docker daemon running?');
  expect(t.cluster.calls).toEqual(['docker info --format {{.ServerVersion}}']);
});
