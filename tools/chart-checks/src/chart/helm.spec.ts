/*
 * helm lint --strict and helm template pass for every values-<env>.yaml of environments.json and
 * every scenario, with Helm 3 and Helm 4, at the lowest and highest supported Kubernetes versions;
 * both majors render the same objects; versions outside the chart's kubeVersion are refused; NOTES.txt
 * renders for every scenario.
 */
import { join } from 'node:path';
import { K8sObject } from '../manifests';
import { helmLint, helmTemplate } from '../render';
import { run, toolPath } from '../tools';
import { HELMS, KUBE_VERSIONS, chartDir, environments, rendered, scenarios } from './suite';

describe.each(HELMS)('%s', (helm) => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s: lint --strict, template at both Kubernetes versions', (_name, s) => {
    const lint = helmLint(helm, chartDir, s, KUBE_VERSIONS[KUBE_VERSIONS.length - 1]);
    expect([s.name, lint.ok, lint.ok ? '' : lint.output]).toEqual([s.name, true, '']);
    expect(lint.output).toContain('0 chart(s) failed');
    for (const kv of KUBE_VERSIONS) expect(rendered(helm, s, kv).objects.length).toBeGreaterThan(10);
  });

  it('refuses Kubernetes versions outside kubeVersion (1.32, 1.38)', () => {
    for (const kv of ['1.32.9', '1.38.0']) {
      const r = helmTemplate(helm, chartDir, environments[0], kv);
      expect([kv, r.ok]).toEqual([kv, false]);
      expect(r.output).toMatch(/kubeVersion/);
    }
  });
});

// NOTES.txt is rendered only on install/upgrade, never by `helm template`. Helm 4 renders it offline
// (install --dry-run=client); Helm 3.22 wants a reachable cluster for that, and both share the template engine.
it.each(scenarios.map((s) => [s.name, s] as const))('%s: NOTES.txt renders (Helm 4 install --dry-run=client)', (_name, s) => {
  const r = run(toolPath('helm4'), [
    'install', 'todo', chartDir, '--namespace', s.namespace, '--dry-run=client',
    ...s.valuesFiles.flatMap((f) => ['-f', join(chartDir, f)]), ...s.set.flatMap((p) => ['--set', p]),
  ]);
  expect([s.name, r.ok, r.ok ? '' : r.output]).toEqual([s.name, true, '']);
  const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
  expect(notes).toMatch(/is installed as release "todo" in namespace/);
  expect(notes).toMatch(/Roll back to the previous revision:\n  helm rollback todo -n /);
  expect(notes).toMatch(/Uninstall:\n  helm uninstall todo/);
  expect(notes).toMatch(s.set.includes('ingress.enabled=false') && !s.set.includes('httpRoute.enabled=true') ? /port-forward/ : /Open the app:\n  https?:\/\//);
});

it('Helm 3 and Helm 4 render the same objects', () => {
  // Generated secret values differ on every render; everything else must be equal (whitespace aside).
  const normal = (objects: K8sObject[]) =>
    objects.map((o) => (o.kind === 'Secret' ? { ...o, data: Object.fromEntries(Object.keys(o.data ?? {}).map((k) => [k, '<generated>'])) } : o));
  for (const s of scenarios) expect([s.name, normal(rendered('helm4', s).objects)]).toEqual([s.name, normal(rendered('helm3', s).objects)]);
});

it('figures: rendered resources per environment', () => {
  const rows = environments.map((s) => {
    const objects = rendered('helm4', s).objects;
    const byKind = new Map<string, number>();
    for (const o of objects) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
    return `${s.name.slice(4)}: ${objects.length} (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')})`;
  });
  console.log(`rendered resources per environment (helm test pod included):\n  ${rows.join('\n  ')}`);
  expect(rows).toHaveLength(environments.length);
});
