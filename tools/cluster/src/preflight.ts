/** Checks before creating a cluster: Docker reachable, ingress ports free, room on the host for the new nodes. */
import { createServer } from 'node:net';
import { release } from 'node:os';
import { ClusterError, dockerNotRunning, portInUse } from './errors';
import { Runner } from './exec';
import type { HostFacts } from './host';

export interface DockerInfo {
  serverVersion: string;
  /** the daemon runs on this machine's kernel, so this machine's /proc limits are the nodes' (not Docker Desktop's VM) */
  sameKernel: boolean;
}

export function checkDocker(runner: Runner, docker = 'docker'): DockerInfo {
  const r = runner(docker, ['info', '--format', '{{.ServerVersion}} {{.KernelVersion}}'], { timeoutMs: 30_000 });
  if (r.status !== 0) throw dockerNotRunning(r.stderr || r.stdout);
  const [serverVersion = '', kernel = ''] = r.stdout.trim().split(/\s+/);
  return { serverVersion, sameKernel: kernel === release() };
}

/** Resolves true when `port` on `address` can be bound (nothing listens there). */
export function portFree(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: address, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function checkPorts(ports: { port: number; envVar: string }[], address: string): Promise<void> {
  for (const p of ports) {
    if (!(await portFree(p.port, address))) throw portInUse(p.port, address, p.envVar);
  }
}

/**
 * What one kind node takes from the host, measured here on our single-node clusters (2026-12-07, cgroup v1,
 * load 6-9; docs/cluster.md "What a node needs"): 29 inotify instances from its first seconds (systemd,
 * journald, dbus, containerd, kubelet, then pods), 330-430 watches, 230-300 threads and 1.0-1.5 GiB of
 * memory with the app deployed. Rounded up. Its processes are root on the host, so the instances come
 * out of root's fs.inotify.max_user_instances (128 by default here: four nodes).
 */
export const NODE_NEEDS = { inotifyInstances: 32, inotifyWatches: 1_000, threads: 500, memoryBytes: 1024 ** 3 };

/** kind's known-issues page: the inotify limits that multiple clusters need. */
export const KIND_RECOMMENDED = { maxUserInstances: 512, maxUserWatches: 524_288 };

export const SYSCTL_FIX =
  `sudo sysctl -w fs.inotify.max_user_instances=${KIND_RECOMMENDED.maxUserInstances} fs.inotify.max_user_watches=${KIND_RECOMMENDED.maxUserWatches}` +
  ` (kind's known-issues values; to keep them after a reboot: printf 'fs.inotify.max_user_instances=${KIND_RECOMMENDED.maxUserInstances}\\nfs.inotify.max_user_watches=${KIND_RECOMMENDED.maxUserWatches}\\n' | sudo tee /etc/sysctl.d/99-kind.conf)`;

/**
 * Throws a ClusterError naming the limit to raise when the host has no room for `newNodes` more nodes;
 * returns notes worth saying otherwise (limits below kind's recommendation, a busy machine). What
 * other nodes hold is counted when /proc shows it, else estimated from the kind nodes that run.
 */
export function checkHostRoom(host: HostFacts, runningNodes: number, newNodes: number): string[] {
  const notes: string[] = [];
  const ino = host.inotify;
  if (ino) {
    // Counted where /proc shows every root process; where some are hidden (not root, or a VM's PID 1),
    // at least what the running nodes are known to take.
    const counted = ino.instancesInUse !== undefined && !ino.unreadable;
    const estimate = { instances: runningNodes * NODE_NEEDS.inotifyInstances, watches: runningNodes * NODE_NEEDS.inotifyWatches };
    const inUse = counted
      ? { instances: ino.instancesInUse!, watches: ino.watchesInUse! }
      : { instances: Math.max(ino.instancesInUse ?? 0, estimate.instances), watches: Math.max(ino.watchesInUse ?? 0, estimate.watches) };
    const how = counted ? `in use now (${runningNodes} kind node${runningNodes === 1 ? '' : 's'} running)` : `estimated in use by the ${runningNodes} kind node${runningNodes === 1 ? '' : 's'} running`;
    const short = [
      ['fs.inotify.max_user_instances', ino.maxUserInstances, inUse.instances, NODE_NEEDS.inotifyInstances] as const,
      ['fs.inotify.max_user_watches', ino.maxUserWatches, inUse.watches, NODE_NEEDS.inotifyWatches] as const,
    ].filter(([, max, used, need]) => max - used < need * newNodes);
    if (short.length) {
      throw new ClusterError(
        'preflight: inotify',
        `${short.map(([name, max, used, need]) => `${name}=${max} with ${used} ${how}, and a new node needs about ${need * newNodes}`).join('; ')}: the node's systemd could not watch its units and kind would stop at "Preparing nodes"`,
        SYSCTL_FIX,
      );
    }
    if (ino.maxUserInstances < KIND_RECOMMENDED.maxUserInstances || ino.maxUserWatches < KIND_RECOMMENDED.maxUserWatches)
      notes.push(`fs.inotify.max_user_instances=${ino.maxUserInstances} / max_user_watches=${ino.maxUserWatches} leave room for this node, but are below kind's recommended ${KIND_RECOMMENDED.maxUserInstances} / ${KIND_RECOMMENDED.maxUserWatches} for several clusters: ${SYSCTL_FIX}`);
  }
  if (host.pidMax !== undefined && host.threads !== undefined && host.pidMax - host.threads < NODE_NEEDS.threads * newNodes)
    throw new ClusterError('preflight: threads', `${host.threads} threads run and kernel.pid_max=${host.pidMax}; a new node starts about ${NODE_NEEDS.threads * newNodes}`, `sudo sysctl -w kernel.pid_max=4194304, or stop what you do not need (kind get clusters; kind delete cluster --name <name>)`);
  if (host.memAvailableBytes !== undefined && host.memAvailableBytes < NODE_NEEDS.memoryBytes * newNodes)
    throw new ClusterError('preflight: memory', `${mib(host.memAvailableBytes)} MiB of memory is available and a node needs about ${mib(NODE_NEEDS.memoryBytes * newNodes)} MiB`, 'free memory (kind get clusters lists the clusters that run; kind delete cluster --name <name> removes one)');
  if (host.load1 !== undefined && host.load1 > 2 * host.cpus)
    notes.push(`the machine is busy (load average ${host.load1.toFixed(1)} on ${host.cpus} CPUs): the node will boot slowly`);
  return notes;
}

const mib = (b: number) => Math.round(b / 1024 ** 2);
