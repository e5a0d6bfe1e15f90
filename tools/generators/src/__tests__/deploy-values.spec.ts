/* The deploy's view of the values (merge, --set, other images) and its release digest. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySet, deployDigest, effectiveValues, thirdPartyImages } from '../release/values';

const dir = mkdtempSync(join(tmpdir(), 'deploy-values-'));
const file = (name: string, text: string) => (mkdirSync(join(dir, name, '..'), { recursive: true }), writeFileSync(join(dir, name), text), join(dir, name));

describe('values as Helm merges them', () => {
  it('files in order, maps deep, lists replaced, then --set', () => {
    const a = file('a.yaml', 'database:\n  mode: postgres\n  postgres:\n    image: {repository: postgres, tag: "18.1"}\nlist: [1, 2]\n');
    const b = file('b.yaml', 'database:\n  postgres:\n    image: {tag: "15-local"}\nlist: [3]\n');
    expect(effectiveValues([a, b], ['database.postgres.image.repository=todo-base/postgres'])).toEqual({
      database: { mode: 'postgres', postgres: { image: { repository: 'todo-base/postgres', tag: '15-local' } } },
      list: [3],
    });
  });

  it('--set must be key=value', () => expect(() => applySet({}, 'nonsense')).toThrow('--set "nonsense" is not key=value'));

  it('other images: outside services.*, registry-prefixed, the database only in postgres mode', () => {
    const values = {
      global: { imageRegistry: 'registry.example.com/team/' },
      database: { mode: 'postgres', postgres: { image: { repository: 'postgres', tag: '18.1-bookworm', digest: '' } } },
      services: { backend: { image: { repository: 'todo-backend', tag: '0.1.0' } } },
      extra: { image: { repository: 'busybox', tag: '1.37', digest: 'sha256:abc' } },
    };
    expect(thirdPartyImages(values)).toEqual([
      { ref: 'registry.example.com/team/busybox:1.37@sha256:abc', source: 'busybox:1.37@sha256:abc' },
      { ref: 'registry.example.com/team/postgres:18.1-bookworm', source: 'postgres:18.1-bookworm' },
    ]);
    expect(thirdPartyImages({ ...values, global: {}, database: { ...values.database, mode: 'sqlite' } })).toEqual([{ ref: 'busybox:1.37@sha256:abc', source: 'busybox:1.37@sha256:abc' }]);
  });
});

describe('deploy digest', () => {
  const chart = join(dir, 'chart');
  file('chart/Chart.yaml', 'name: todo\n');
  file('chart/templates/a.yaml', 'kind: ConfigMap\n');
  file('chart/values-other.yaml', 'x: 1\n');
  file('chart/README.md', 'docs\n');
  const values = file('chart/values-local.yaml', 'x: 1\n');
  const base = { chartDir: chart, valuesFiles: [values], sets: [], images: ['backend=todo-backend:c1@sha256:1'], release: 'todo', namespace: 'todo-local' };

  it('is 40 hex characters (a label value) and stable', () => {
    expect(deployDigest(base)).toMatch(/^[0-9a-f]{40}$/);
    expect(deployDigest(base)).toBe(deployDigest({ ...base }));
  });

  it('changes with a template, the values, a --set, an image, the namespace', () => {
    const d = deployDigest(base);
    expect(deployDigest({ ...base, sets: ['a=b'] })).not.toBe(d);
    expect(deployDigest({ ...base, images: ['backend=todo-backend:c2@sha256:2'] })).not.toBe(d);
    expect(deployDigest({ ...base, namespace: 'todo-qa' })).not.toBe(d);
    writeFileSync(values, 'x: 2\n');
    expect(deployDigest(base)).not.toBe(d);
    writeFileSync(values, 'x: 1\n');
    writeFileSync(join(chart, 'templates/a.yaml'), 'kind: Secret\n');
    expect(deployDigest(base)).not.toBe(d);
    writeFileSync(join(chart, 'templates/a.yaml'), 'kind: ConfigMap\n');
    expect(deployDigest(base)).toBe(d);
  });

  it('ignores docs and the values files of other environments', () => {
    const d = deployDigest(base);
    writeFileSync(join(chart, 'README.md'), 'changed docs\n');
    writeFileSync(join(chart, 'values-other.yaml'), 'x: 99\n');
    expect(deployDigest(base)).toBe(d);
  });
});
