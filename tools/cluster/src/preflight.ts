/** Checks before creating a cluster: Docker reachable, ingress ports free. */
import { createServer } from 'node:net';
import { dockerNotRunning, portInUse } from './errors';
import { Runner } from './exec';

export function checkDocker(runner: Runner, docker = 'docker'): void {
  const r = runner(docker, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 });
  if (r.status !== 0) throw dockerNotRunning(r.stderr || r.stdout);
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
