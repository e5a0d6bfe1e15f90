/**
 * Why `kind create cluster` failed, told from the node's own log and the host: kind runs the node
 * container, then waits 30 s (fixed in kind v0.33.0: providers/docker/provision.go) for systemd's
 * "Reached target ... Multi-User System" (or a kind entrypoint's "detected cgroup v1"), and gives up with
 * `could not find a log line that matches ...`. The cluster is created with --retain so its node is
 * still there to read; cluster-up saves `kind export logs`, then deletes the half-made cluster.
 */
import { ClusterError } from './errors';
import type { HostFacts } from './host';
import { SYSCTL_FIX } from './preflight';

/** kind's wait for the node's systemd (seconds). */
export const KIND_BOOT_WAIT_S = 30;
/** kind's own test that a node has booted (sigs.k8s.io/kind pkg/cluster/internal/providers/common/cgroups.go). */
export const NODE_BOOTED = /Reached target .*Multi-User System.*|detected cgroup v1/;

const INOTIFY_EXHAUSTED = /Too many open files|inotify|Failed to allocate manager object/i;

export interface NodeLog {
  node: string;
  log: string;
}

/** The failure, with what the node's log and the host say caused it and where the logs were saved. */
export function kindCreateFailed(cluster: string, nodes: NodeLog[], host: HostFacts, logsDir: string | undefined, image: string): ClusterError {
  if (nodes.length === 0) {
    return new ClusterError(
      'kind create cluster',
      `kind made no node container (its output is above)`,
      `a pull error means the node image ${image} is unreachable: set KIND_NODE_IMAGE, or on a machine without a container registry: npx nx run todo:deploy-local --offline`,
    );
  }
  const saved = logsDir ? `the nodes' logs are saved in ${logsDir} (kind export logs --name ${cluster} ${logsDir})` : `kind export logs --name ${cluster} could not save the nodes' logs`;
  const busy = host.load1 !== undefined ? `load average ${host.load1.toFixed(1)} on ${host.cpus} CPUs` : '';
  const unbooted = nodes.filter((n) => !NODE_BOOTED.test(n.log));
  if (unbooted.length === 0) {
    return new ClusterError('kind create cluster', `the node${nodes.length === 1 ? '' : 's'} booted, then a later step of kind failed (its output is above)`, `${saved}: kubeadm's output and the kubelet's journal are there; the half-made cluster was deleted, so cluster-up starts over when run again`);
  }
  const { node, log } = unbooted[0];
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const inotify = lines.find((l) => INOTIFY_EXHAUSTED.test(l));
  if (inotify) {
    return new ClusterError('kind create cluster: node boot', `node ${node}'s systemd ran out of inotify instances or watches ("${inotify}"): every kind node's systemd, containerd and kubelet take them from root's per-user limit`, `${SYSCTL_FIX}, then run it again; ${saved}`);
  }
  const last = [...lines].reverse().find((l) => /Starting|Started|Finished|Reached target|Failed/.test(l)) ?? lines[lines.length - 1] ?? '(the node printed nothing)';
  const cause = `node ${node}'s systemd had not reached multi-user.target when kind's ${KIND_BOOT_WAIT_S} s wait ended (its last line: "${last}")`;
  if (host.load1 !== undefined && host.load1 > host.cpus) {
    return new ClusterError('kind create cluster: node boot', `${cause}; the machine is busy (${busy}), which slows the boot past kind's fixed wait`, `run it again when the machine is less busy, or stop other work (kind get clusters lists running clusters); ${saved}`);
  }
  return new ClusterError('kind create cluster: node boot', cause, `${saved}; look at the node's journal there (journal.log, the failed units) and \`docker logs\` of the node`);
}
