/**
 * Port-forwards that survive a rollout. Each target listens on its fixed local port itself (a small
 * TCP proxy) and hands each connection to a `kubectl port-forward pod/<ready pod> :<port>` tunnel. When
 * the pod goes away (a rollout, a crash), the tunnel is dropped and the next connection opens one to
 * a ready pod of the new set: the local port never closes, so clients only see a retry at worst.
 * (Skaffold's and kubectl's own forwards die with their pod.)
 */
import { type Server, createServer, connect } from 'node:net';
import type { PodSummary } from '../release/pods';
import type { Children } from './children';
import { KubeScope, follow } from './kube';
import { ClusterError } from '@todo/cluster';
import { OptionError } from '../platform/validate';

export interface ForwardTarget {
  /** What the user reads: a service name, or "database". */
  name: string;
  /** app.kubernetes.io/component of its pods. */
  component: string;
  remotePort: number;
  localPort: number;
}

interface Tunnel {
  pod: string;
  port: number;
  /** Ends its kubectl port-forward. */
  close: AbortController;
}

export class PortForwards {
  private readonly servers: Server[] = [];
  private readonly tunnels = new Map<string, Promise<Tunnel>>();
  private pods: PodSummary[] = [];

  constructor(
    private readonly children: Children,
    private readonly k: KubeScope,
    private readonly targets: ForwardTarget[],
    private readonly address = '127.0.0.1',
  ) {}

  /** Binds every local port; rejects (naming the port) when one is taken. */
  async listen(): Promise<void> {
    for (const t of this.targets) {
      const server = createServer((socket) => {
        socket.on('error', () => socket.destroy());
        this.tunnel(t)
          .then((tunnel) => {
            const upstream = connect(tunnel.port, '127.0.0.1');
            upstream.on('error', () => {
              socket.destroy();
              this.drop(t.name);
            });
            socket.pipe(upstream).pipe(socket);
          })
          .catch(() => socket.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
          reject(new ClusterError('port-forward', e.code === 'EADDRINUSE' ? `local port ${this.address}:${t.localPort} (${t.name}) is already in use` : e.message, 'stop what holds the port, or choose other ports with --portOffset')),
        );
        server.listen(t.localPort, this.address, () => resolve());
      });
      this.servers.push(server);
    }
  }

  /** New pod list: tunnels whose pod is no longer Ready are dropped (the next connection opens a new one). */
  update(pods: PodSummary[]): void {
    this.pods = pods;
    for (const t of this.targets) {
      const current = this.tunnels.get(t.name);
      if (!current) continue;
      void current.then(
        (tunnel) => {
          if (!pods.some((p) => p.name === tunnel.pod && p.ready && !p.deleting)) this.drop(t.name);
        },
        () => undefined,
      );
    }
  }

  private drop(name: string): void {
    const current = this.tunnels.get(name);
    this.tunnels.delete(name);
    void current?.then((t) => t.close.abort(), () => undefined);
  }

  private tunnel(t: ForwardTarget): Promise<Tunnel> {
    const existing = this.tunnels.get(t.name);
    if (existing) return existing;
    const made = this.open(t);
    this.tunnels.set(t.name, made);
    made.catch(() => this.tunnels.delete(t.name));
    return made;
  }

  private open(t: ForwardTarget): Promise<Tunnel> {
    const pod = this.pods.find((p) => p.component === t.component && p.ready && !p.deleting);
    if (!pod) return Promise.reject(new ClusterError('port-forward', `no ready pod of ${t.name}`, `see why: nx run todo:status-<env>`));
    return new Promise((resolve, reject) => {
      const close = new AbortController();
      let tunnel: Tunnel | undefined;
      const timer = setTimeout(() => {
        close.abort();
        reject(new ClusterError('port-forward', `kubectl port-forward to ${pod.name} did not start`, 'it is retried; check the pod with kubectl describe'));
      }, 10_000);
      const onLine = (line: string) => {
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(line);
        if (!m || tunnel) return;
        clearTimeout(timer);
        resolve((tunnel = { pod: pod.name, port: Number(m[1]), close }));
      };
      void follow(this.children, this.k, ['port-forward', `pod/${pod.name}`, `:${t.remotePort}`, '--address', '127.0.0.1'], { onLine, signal: close.signal }).then(() => {
        clearTimeout(timer);
        reject(new ClusterError('port-forward', `kubectl port-forward to ${pod.name} ended`, 'it is retried; check the pod with kubectl describe'));
        // The next connection opens a new tunnel (to a ready pod of the new set).
        void this.tunnels.get(t.name)?.then((x) => x === tunnel && this.tunnels.delete(t.name), () => undefined);
      });
    });
  }

  describe(): string[] {
    return this.targets.map((t) => `${t.name}: ${this.address}:${t.localPort} -> ${t.component} pods, port ${t.remotePort}`);
  }

  async close(): Promise<void> {
    for (const name of [...this.tunnels.keys()]) this.drop(name);
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Each service on <offset + its port>, and PostgreSQL on <offset + 5432> when the chart runs it. */
export function forwardTargets(services: Record<string, { port: number }>, withDatabase: boolean, offset: number): ForwardTarget[] {
  const targets = Object.entries(services).map(([name, s]) => ({ name, component: name, remotePort: s.port, localPort: offset + s.port }));
  if (withDatabase) targets.push({ name: 'database', component: 'postgres', remotePort: 5432, localPort: offset + 5432 });
  for (const t of targets) if (t.localPort > 65535) throw new OptionError(`--portOffset=${offset} puts ${t.name} on port ${t.localPort}, above 65535`, 'choose a smaller --portOffset');
  return targets;
}
