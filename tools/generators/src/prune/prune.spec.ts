/* What keep-last-N removes (the real daemon/node removal is checked by apps/e2e's offline.cluster.ts, test 3). */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerFile, planPrune, readLedger, recordDeployed, writeLedger } from './ledger';
import { keepCount, pruneImages } from './prune';
import { offlineRequested } from '../deploy/offline';

const img = (service: string, n: number) => ({ service, ref: `todo-${service}:content-${n}`, id: `sha256:${service}${n}`, tags: [`todo-${service}:content-${n}`, `todo-${service}:v1-local`] });

describe('ledger and planPrune', () => {
  it('keeps the last N deployed per service, in deploy order, and any image a container uses', () => {
    let ledger = {};
    for (const n of [1, 2, 3, 4, 5]) ledger = recordDeployed(ledger, [img('backend', n), img('frontend', n)]);
    ledger = recordDeployed(ledger, [img('backend', 2)]); // a rollback-style re-deploy moves it to the end
    const plan = planPrune(ledger, 2, new Set(['sha256:backend1']), new Set(['todo-frontend:content-3']));
    expect(plan.remove.map((e) => e.ref).sort()).toEqual(['todo-backend:content-3', 'todo-backend:content-4', 'todo-frontend:content-1', 'todo-frontend:content-2']);
    expect(plan.keptInUse.map((e) => e.ref)).toEqual(['todo-backend:content-1']);
  });

  it('round-trips through dist/deploy/images.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'ledger-'));
    const ledger = recordDeployed({}, [img('backend', 1)], new Date('2026-01-01T00:00:00Z'));
    writeLedger(ledgerFile(root), ledger);
    expect(readLedger(ledgerFile(root))).toEqual(ledger);
    expect(readLedger(join(root, 'none.json'))).toEqual({});
  });
});

describe('pruneImages', () => {
  it('asks Docker and the nodes what runs only when an image is beyond the last N', () => {
    const root = mkdtempSync(join(tmpdir(), 'prune-'));
    const calls = join(root, 'docker-calls');
    const docker = join(root, 'docker');
    // A Docker that records its calls and sees no containers, no node images and removes nothing.
    writeFileSync(docker, `#!/usr/bin/env bash\necho "$*" >> "${calls}"\ncase "$*" in *"crictl"*) echo '{}' ;; esac\n`);
    chmodSync(docker, 0o755);
    const lines: string[] = [];
    writeLedger(ledgerFile(root), recordDeployed({}, [img('backend', 1), img('backend', 2)]));
    pruneImages({ workspaceRoot: root, keep: 2, docker, nodes: ['todo-control-plane'], log: (l) => lines.push(l) });
    expect(existsSync(calls)).toBe(false);
    expect(lines).toEqual(['prune: keep the last 2 per service: nothing to remove']);

    writeLedger(ledgerFile(root), recordDeployed(readLedger(ledgerFile(root)), [img('backend', 3)]));
    pruneImages({ workspaceRoot: root, keep: 2, docker, nodes: ['todo-control-plane'], log: (l) => lines.push(l) });
    const asked = readFileSync(calls, 'utf8');
    expect(asked).toMatch(/^ps -aq --no-trunc$/m);
    expect(asked).toMatch(/^exec todo-control-plane crictl ps -a -o json$/m);
    expect(asked).toMatch(/^image inspect -f \{\{.Id\}\} todo-backend:content-1$/m);
  });
});

describe('options', () => {
  it('keep: flag, then TODO_KEEP_IMAGES, then 3; bad values are refused with the fix', () => {
    expect(keepCount(undefined, {})).toBe(3);
    expect(keepCount(undefined, { TODO_KEEP_IMAGES: '5' })).toBe(5);
    expect(keepCount(0, { TODO_KEEP_IMAGES: '5' })).toBe(0);
    expect(() => keepCount(undefined, { TODO_KEEP_IMAGES: 'many' })).toThrow(/whole number of images to keep per service/);
  });
  it('offline: the flag wins, else TODO_OFFLINE', () => {
    expect(offlineRequested(undefined, { TODO_OFFLINE: '1' })).toBe(true);
    expect(offlineRequested(undefined, {})).toBe(false);
    expect(offlineRequested(false, { TODO_OFFLINE: 'true' })).toBe(false);
  });
});
