/* readHost on a made-up /proc: the limits, what root's processes hold, load, memory and threads. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHost } from './host';

let proc: string;
beforeEach(() => {
  proc = mkdtempSync(join(tmpdir(), 'cluster-proc-'));
  const put = (f: string, text: string) => (mkdirSync(join(proc, f, '..'), { recursive: true }), writeFileSync(join(proc, f), text));
  put('loadavg', '7.52 4.10 2.00 9/1234 5678\n');
  put('meminfo', 'MemTotal:       24000000 kB\nMemAvailable:   12000000 kB\n');
  put('sys/kernel/pid_max', '32768\n');
  put('sys/fs/inotify/max_user_instances', '128\n');
  put('sys/fs/inotify/max_user_watches', '192540\n');
  // Root's systemd: two inotify instances (3 watches, 1 watch) and a plain file; a user's process: one instance, not counted.
  const proc1 = (pid: string, uid: number, fds: Record<string, [string, string]>) => {
    put(`${pid}/status`, `Name:\tx\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
    mkdirSync(join(proc, pid, 'fd'), { recursive: true });
    mkdirSync(join(proc, pid, 'fdinfo'), { recursive: true });
    for (const [fd, [target, info]] of Object.entries(fds)) {
      symlinkSync(target, join(proc, pid, 'fd', fd));
      writeFileSync(join(proc, pid, 'fdinfo', fd), info);
    }
  };
  const watch = (n: number) => 'pos:\t0\nflags:\t02004000\n' + 'inotify wd:1 ino:1 sdev:2 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:0\n'.repeat(n);
  proc1('1', 0, { '3': ['anon_inode:inotify', watch(3)], '4': ['anon_inode:inotify', watch(1)], '5': ['/var/log/x', 'pos:\t0\n'] });
  proc1('42', 1000, { '3': ['anon_inode:inotify', watch(7)] });
});
afterEach(() => rmSync(proc, { recursive: true, force: true }));

it('reads the limits, root\'s inotify instances and watches, load, memory and threads', () => {
  expect(readHost(proc)).toEqual({
    cpus: expect.any(Number),
    load1: 7.52,
    threads: 1234,
    memAvailableBytes: 12000000 * 1024,
    pidMax: 32768,
    inotify: { maxUserInstances: 128, maxUserWatches: 192540, instancesInUse: 2, watchesInUse: 4, unreadable: 0 },
  });
});

it('says nothing it cannot read (not Linux: no /proc)', () => {
  const none = readHost(join(proc, 'missing'));
  expect(none).toEqual({ cpus: expect.any(Number), pidMax: undefined });
});
