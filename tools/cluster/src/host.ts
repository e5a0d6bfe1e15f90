/**
 * What the machine that runs Docker has left for one more kind node, read from /proc: inotify instances
 * and watches (systemd, containerd and kubelet in every node take them from the same per-user budget
 * as the host's own processes, because a node's processes are root on the host), free memory, threads
 * against pid_max, and the load. Read-only; a field is undefined where this machine does not say
 * (not Linux, or Docker runs in a VM: Docker Desktop; another user's /proc/<pid>/fd unreadable).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

export interface HostFacts {
  cpus: number;
  /** 1-minute load average */
  load1?: number;
  memAvailableBytes?: number;
  /** kernel scheduling entities (threads) now, and kernel.pid_max */
  threads?: number;
  pidMax?: number;
  inotify?: {
    maxUserInstances: number;
    maxUserWatches: number;
    /** inotify instances / watches held by uid 0 (root: a rootful Docker's nodes) in the processes we may look into */
    instancesInUse?: number;
    watchesInUse?: number;
    /** root processes whose fds we may not read (not root; PID 1 of some VMs even for root): the count above is a floor */
    unreadable?: number;
  };
}

const readNumber = (file: string): number | undefined => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
};

/** Inotify instances and watches of uid 0's processes, and how many of them could not be looked into. */
export function inotifyInUse(proc = '/proc'): { instances: number; watches: number; unreadable: number } {
  let instances = 0;
  let watches = 0;
  let unreadable = 0;
  for (const pid of readdirSync(proc).filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      if (!/^Uid:\s+0\s/m.test(readFileSync(join(proc, pid, 'status'), 'utf8'))) continue;
      fds = readdirSync(join(proc, pid, 'fd'));
    } catch (e) {
      // A process that ended meanwhile is not an error; a root process we may not look into is.
      if ((e as NodeJS.ErrnoException).code === 'EACCES') unreadable++;
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(join(proc, pid, 'fd', fd)) !== 'anon_inode:inotify') continue;
        instances++;
        watches += (readFileSync(join(proc, pid, 'fdinfo', fd), 'utf8').match(/^inotify /gm) ?? []).length;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return { instances, watches, unreadable };
}

export function readHost(proc = '/proc'): HostFacts {
  const facts: HostFacts = { cpus: cpus().length || 1 };
  const loadavg = (() => {
    try {
      return readFileSync(join(proc, 'loadavg'), 'utf8').trim().split(/\s+/);
    } catch {
      return undefined;
    }
  })();
  if (loadavg) {
    facts.load1 = Number(loadavg[0]);
    facts.threads = Number(loadavg[3]?.split('/')[1]) || undefined;
  }
  try {
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync(join(proc, 'meminfo'), 'utf8'))?.[1];
    if (kb) facts.memAvailableBytes = Number(kb) * 1024;
  } catch {
    /* not Linux */
  }
  facts.pidMax = readNumber(join(proc, 'sys/kernel/pid_max'));
  const maxUserInstances = readNumber(join(proc, 'sys/fs/inotify/max_user_instances'));
  const maxUserWatches = readNumber(join(proc, 'sys/fs/inotify/max_user_watches'));
  if (maxUserInstances !== undefined && maxUserWatches !== undefined) {
    const used = inotifyInUse(proc);
    facts.inotify = { maxUserInstances, maxUserWatches, instancesInUse: used.instances, watchesInUse: used.watches, unreadable: used.unreadable };
  }
  return facts;
}
