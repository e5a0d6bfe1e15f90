/*
 * The policy check (Pod Security "restricted", read-only root filesystems, kube-linter's default
 * checks, platform rules) passes on every rendered manifest of every scenario; no values file holds
 * a secret; the chart README lists what is checked and what is switched off.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RULES, checkPolicy, formatFinding } from '../policy';
import { HELMS, KUBE_VERSIONS, chartDir, rendered, scenarios } from './suite';

/** Rules switched off for this chart; each needs a reason in the chart README. None so far. */
const DISABLED: string[] = [];

describe.each(HELMS)('%s', (helm) => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s: no policy finding', (_name, s) => {
    for (const kv of KUBE_VERSIONS) expect([s.name, kv, checkPolicy(rendered(helm, s, kv).objects, { disabled: DISABLED }).map(formatFinding)]).toEqual([s.name, kv, []]);
  });
});

it('every pod of the chart is covered (Deployments, StatefulSet, CronJob, restore Job, test Pod)', () => {
  const kinds = new Set(scenarios.flatMap((s) => rendered('helm4', s).objects.map((o) => o.kind)));
  for (const k of ['Deployment', 'StatefulSet', 'CronJob', 'Job', 'Pod']) expect([k, kinds.has(k)]).toEqual([k, true]);
});

it('every container and init container requests and limits ephemeral storage (kube-score)', () => {
  const missing: string[] = [];
  for (const s of scenarios) {
    for (const o of rendered('helm4', s).objects as any[]) {
      const spec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      if (!spec?.containers) continue;
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const r = c.resources ?? {};
        if (!r.requests?.['ephemeral-storage'] || !r.limits?.['ephemeral-storage']) missing.push(`${s.name}: ${o.kind}/${o.metadata.name}/${c.name}`);
      }
    }
  }
  expect(missing).toEqual([]);
});

it('no committed values file holds a secret value', () => {
  const files = readdirSync(chartDir).filter((f) => /^values(-.+)?\.yaml$/.test(f));
  expect(files.length).toBeGreaterThan(1);
  for (const f of files) {
    const values = parse(readFileSync(join(chartDir, f), 'utf8')) ?? {};
    const secretish: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      else if (/(password|apikey|token|jwt|secretvalue)$/i.test(path.replace(/.*\./, '')) && v) secretish.push(`${path}=${String(v)}`);
    };
    walk(values, '');
    expect([f, secretish]).toEqual([f, []]);
  }
});

it('the chart README lists every kube-linter default check and the switched-off ones', () => {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  for (const r of RULES.filter((x) => x.source === 'kube-linter')) expect([r.id, readme.includes(`\`${r.id}\``)]).toEqual([r.id, true]);
  expect(readme).toContain(DISABLED.length ? DISABLED.join(', ') : 'Checks switched off: none.');
});
