/* ReadAhead: the checks' reads recorded, started together on the next run, each answer given once, none after a change. Real processes (sh, sleep). */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, streamAndCapture } from '@todo/cluster';
import type { RunResult, Runner } from '@todo/cluster';
import { ReadAhead } from './read-ahead';

const dir = mkdtempSync(join(tmpdir(), 'read-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** `sh` under a name a reads file may start (READ_AHEAD_TOOLS). */
const sh = join(dir, 'kubectl');
symlinkSync('/bin/sh', sh);
/** A counter file each `sh -c` read appends to, so the test sees how often a command really ran. */
const counter = join(dir, 'ran');
const read = (name: string): [string, string[]] => [sh, ['-c', `echo ${name} >> ${counter}; echo ${name}-$(date +%s%N)`]];
const ran = () => readFileSync(counter, 'utf8').trim().split('\n').filter(Boolean);

function recordRun(file: string, runner: Runner = capture): ReadAhead {
  const ra = new ReadAhead(runner);
  ra.startRecording();
  ra.runner(...read('cluster'));
  ra.runner(...read('release'));
  ra.runner(sh, ['-c', 'cat'], { input: 'secret' }); // with stdin: never recorded nor answered ahead
  ra.stopRecording();
  ra.runner(...read('not-a-check')); // outside a check: not recorded
  ra.save(file);
  return ra;
}

beforeEach(() => writeFileSync(counter, ''));

it('records the plain reads of the checks only, and starts them together on the next run', async () => {
  const file = join(dir, 'a.reads.json');
  recordRun(file);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([read('cluster'), read('release')]);

  writeFileSync(counter, '');
  const next = new ReadAhead(capture);
  expect(await next.start(file, streamAndCapture)).toBe(2);
  expect(ran().sort()).toEqual(['cluster', 'release']);
  // The check gets the answer read ahead (the command does not run again), once; the next ask runs it.
  const first = next.runner(...read('cluster'));
  expect(first.stdout).toMatch(/^cluster-\d+/);
  expect(ran().filter((r) => r === 'cluster')).toHaveLength(1);
  const second = next.runner(...read('cluster'));
  expect(second.stdout).not.toBe(first.stdout);
  expect(ran().filter((r) => r === 'cluster')).toHaveLength(2);
});

it('after a change (drop) every command runs when asked, even one read ahead', async () => {
  const file = join(dir, 'b.reads.json');
  recordRun(file);
  writeFileSync(counter, '');
  const next = new ReadAhead(capture);
  await next.start(file, streamAndCapture);
  next.drop();
  next.runner(...read('release'));
  expect(ran().filter((r) => r === 'release')).toHaveLength(2);
});

it('a read slower than the wait is stopped and left to its check; a program that is none of the checks\' tools, or a damaged file, starts nothing', async () => {
  const file = join(dir, 'c.reads.json');
  writeFileSync(file, JSON.stringify([read('fast'), [sh, ['-c', `sleep 5; echo slow >> ${counter}`]], ['/bin/sh', ['-c', `echo not-a-tool >> ${counter}`]]]));
  const ra = new ReadAhead(capture);
  const t0 = Date.now();
  expect(await ra.start(file, streamAndCapture, 500)).toBe(1);
  expect(Date.now() - t0).toBeLessThan(3_000);
  const asked: string[] = [];
  const live: Runner = (cmd, args): RunResult => (asked.push(args[1]), { status: 0, stdout: 'live', stderr: '' });
  const withLive = new ReadAhead(live);
  writeFileSync(join(dir, 'd.reads.json'), '{not json');
  expect(await withLive.start(join(dir, 'd.reads.json'), streamAndCapture)).toBe(0);
  expect(withLive.runner('sh', ['-c', 'x']).stdout).toBe('live');
  expect(asked).toEqual(['x']);
  // The slow read was stopped: it never reached its echo.
  await new Promise((r) => setTimeout(r, 5_500));
  expect(ran()).toEqual(['fast']);
}, 15_000);
