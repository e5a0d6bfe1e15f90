/*
 * The environment executors, against recording stand-ins for helm and kubectl: the exact commands
 * for Helm 3 and Helm 4, the namespace step's skip logic, and the errors.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import deployExecutor from '../executors/deploy/executor';
import rollbackExecutor from '../executors/rollback/executor';
import statusExecutor from '../executors/status/executor';
import uninstallExecutor from '../executors/uninstall/executor';
import { parseHelmVersion, rollbackOnFailureFlag } from '../executors/lib/helm';
import { runSteps } from '../executors/lib/steps';
import { seedConfig, serializeConfig } from '../platform/config';

const dir = mkdtempSync(join(tmpdir(), 'executors-'));
const log = join(dir, 'calls.log');

function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const helm = fake('helm', `if [ "$1" = version ]; then printf '%s' "$FAKE_HELM_VERSION"; exit 0; fi\nexit "\${FAKE_HELM_EXIT:-0}"`);
const kubectl = fake(
  'kubectl',
  `case "$*" in
  *"get namespace"*) if [ -n "$FAKE_NS_JSON" ]; then echo "$FAKE_NS_JSON"; else echo 'Error from server (NotFound): namespaces "x" not found' >&2; exit 1; fi ;;
  *"apply -f -"*) cat >> "${log}" ;;
esac`,
);

const context = { root: dir, cwd: dir, isVerbose: false } as unknown as ExecutorContext;
const calls = () => readFileSync(log, 'utf8').trim().split('\n');

beforeAll(() => {
  const config = seedConfig();
  config.environments.prod = { cluster: 'context:prod-admin@eks', namespace: 'todo-prod', host: 'todo.example.com', replicas: 2, database: 'external', ai: 'mock' };
  writeFileSync(join(dir, 'environments.json'), serializeConfig(config));
});

beforeEach(() => {
  writeFileSync(log, '');
  process.env.HELM = helm;
  process.env.KUBECTL = kubectl;
  process.env.FAKE_HELM_VERSION = 'v3.22.0';
  delete process.env.FAKE_NS_JSON;
  delete process.env.FAKE_HELM_EXIT;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('deploy', () => {
  it('Helm 3: namespace with restricted Pod Security, then upgrade --install --atomic', async () => {
    await expect(deployExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: true });
    const c = calls();
    expect(c).toContain('kubectl --context kind-todo --request-timeout=15s get namespace todo-local -o json');
    expect(c).toContain('kubectl --context kind-todo apply -f -');
    expect(c).toContain('    pod-security.kubernetes.io/enforce: restricted');
    expect(c.find((l) => l.startsWith('helm upgrade'))).toBe(
      `helm upgrade --install todo ${dir}/charts/todo --kube-context kind-todo --namespace todo-local --create-namespace ` +
        `-f ${dir}/charts/todo/values.yaml -f ${dir}/charts/todo/values-local.yaml --wait --timeout 5m --atomic`,
    );
  });

  it('Helm 4: --rollback-on-failure instead of --atomic; --set pairs passed on', async () => {
    process.env.FAKE_HELM_VERSION = 'v4.3';
    await deployExecutor({ environment: 'prod', set: ['services.backend.image.tag=abc123'], timeout: '10m' }, context);
    const upgrade = calls().find((l) => l.startsWith('helm upgrade'))!;
    expect(upgrade).toContain('--kube-context prod-admin@eks --namespace todo-prod');
    expect(upgrade).toContain('--set services.backend.image.tag=abc123 --wait --timeout 10m --rollback-on-failure');
    expect(upgrade).not.toContain('--atomic');
  });

  it('skips the namespace step when it already has the labels', async () => {
    process.env.FAKE_NS_JSON = JSON.stringify({ metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    await deployExecutor({ environment: 'local' }, context);
    expect(calls().some((l) => l.includes('apply -f -'))).toBe(false);
    expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/namespace: skipped \(namespace todo-local exists with restricted Pod Security\)/));
  });

  it('reports failure when the upgrade fails', async () => {
    process.env.FAKE_HELM_EXIT = '1';
    await expect(deployExecutor({ environment: 'local' }, context)).resolves.toEqual({ success: false });
    expect(console.log).toHaveBeenCalledWith('[2/2] helm release: failed');
  });

  it('refuses a helm whose version it cannot read, or a Helm 2', async () => {
    process.env.FAKE_HELM_VERSION = 'unknown';
    await expect(deployExecutor({ environment: 'local' }, context)).rejects.toThrow(/Cannot read the Helm version from "unknown"/);
    process.env.FAKE_HELM_VERSION = 'v2.17.0';
    await expect(deployExecutor({ environment: 'local' }, context)).rejects.toThrow(/is Helm v2\.17\.0; the platform supports Helm 3 and Helm 4/);
  });

  it('dry run prints the commands and runs none', async () => {
    await expect(deployExecutor({ environment: 'local', dryRun: true }, context)).resolves.toEqual({ success: true });
    expect(calls()).toEqual(['helm version --template {{.Version}}']);
    expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/^\$ .*helm upgrade --install todo .* --atomic {2}\(dry run\)$/));
  });

  it('unknown environment: names the known ones and the fix', async () => {
    await expect(deployExecutor({ environment: 'qa' }, context)).rejects.toThrow(
      'Unknown environment "qa"; environments.json has: local, dev, prod (add one with `npx nx g env qa`)',
    );
  });
});

describe('status, rollback, uninstall', () => {
  it('status: helm status, then the pods', async () => {
    await expect(statusExecutor({ environment: 'dev' }, context)).resolves.toEqual({ success: true });
    expect(calls()).toEqual(
      expect.arrayContaining([
        'helm status todo --kube-context kind-todo --namespace todo-dev',
        'kubectl --context kind-todo --namespace todo-dev get pods -l app.kubernetes.io/instance=todo -o wide',
      ]),
    );
  });

  it('rollback: previous revision by default, or the one given', async () => {
    await rollbackExecutor({ environment: 'local' }, context);
    await rollbackExecutor({ environment: 'local', revision: 3 }, context);
    expect(calls().filter((l) => l.startsWith('helm rollback'))).toEqual([
      'helm rollback todo --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
      'helm rollback todo 3 --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
    ]);
  });

  it('uninstall', async () => {
    await uninstallExecutor({ environment: 'local', release: 'todo-x' }, context);
    expect(calls()).toContain('helm uninstall todo-x --kube-context kind-todo --namespace todo-local --wait --timeout 5m');
  });
});

describe('helpers', () => {
  it.each([
    ['v3.22.0', 3, 'v3.22.0'],
    ['v3.22', 3, 'v3.22'],
    ['v4.3.1', 4, 'v4.3.1'],
    ['4.0.0-rc.1', 4, 'v4.0.0'],
  ])('parseHelmVersion(%s)', (out, major, version) => {
    expect(parseHelmVersion(out)).toEqual({ major, version });
  });
  it('parseHelmVersion rejects garbage', () => expect(() => parseHelmVersion('dev')).toThrow(/Cannot read the Helm version/));
  it('rollback flag by major', () => {
    expect(rollbackOnFailureFlag({ bin: 'h', major: 3, version: 'v3.22.0' })).toBe('--atomic');
    expect(rollbackOnFailureFlag({ bin: 'h', major: 4, version: 'v4.3.1' })).toBe('--rollback-on-failure');
  });
  it('runSteps: skips what is not needed, stops at the first failure', async () => {
    const ran: string[] = [];
    const step = (name: string, needed: boolean, ok = true) => ({
      name,
      needed: () => ({ needed, reason: needed ? 'do it' : 'already there' }),
      run: () => (ran.push(name), ok),
    });
    const lines: string[] = [];
    const r = await runSteps([step('a', false), step('b', true), step('c', true, false), step('d', true)], {}, (l) => lines.push(l));
    expect(r).toEqual({ success: false, ran: ['b'], skipped: ['a'] });
    expect(ran).toEqual(['b', 'c']);
    expect(lines).toEqual(['[1/4] a: skipped (already there)', '[2/4] b: do it', '[3/4] c: do it', '[3/4] c: failed']);
  });
});
