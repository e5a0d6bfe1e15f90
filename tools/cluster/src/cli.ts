/**
 * nx run cluster:cluster-up | cluster-down | cluster-status | tools
 *   node -r @swc-node/register tools/cluster/src/cli.ts <up|down|status|tools> [flags]
 *
 * Flags: --env=<environment> (default local; its "cluster" in environments.json picks kind/minikube/context)
 *        --cluster=kind|minikube|context:<name> (overrides the environment), --name=<cluster name> (default todo),
 *        --registry (kind: local registry), --http-port=N --https-port=N
 * Environment: KIND_CLUSTER_NAME, KIND_NODE_IMAGE, KIND_HTTP_PORT, KIND_HTTPS_PORT, KIND_REGISTRY, CLUSTER_KUBECONFIG,
 *        INGRESS_MANIFESTS, TRAEFIK_IMAGE, METRICS_SERVER_IMAGE, KIND_LOAD_IMAGES, CLUSTER_STATE_DIR, TOOLS_MIRROR, <TOOL>_BIN, MINIKUBE_CPUS, MINIKUBE_MEMORY.
 */
import type { ClusterTarget } from './environments';
import { ClusterError } from './errors';
import { must, run } from './exec';
import { assertHealthy, kindDown, kindOptions, kindStatus, kindUp, StatusCheck, Tools } from './kind';
import { minikubeDeleteArgs, minikubeOptions, minikubeStatusArgs, minikubeUp } from './minikube';
import { targetFor } from './target';
import { installAll, resolveTool } from './tools';

const log = (m: string) => process.stderr.write(`cluster: ${m}\n`);

export function parseFlags(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) out[m[1]] = m[2] ?? true;
  }
  return out;
}

function printChecks(checks: StatusCheck[]): void {
  const w = Math.max(...checks.map((c) => c.check.length));
  for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : c.optional ? 'warn' : 'FAIL'}  ${c.check.padEnd(w)}  ${c.detail}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const f = parseFlags(rest);
  if (cmd === 'tools') {
    for (const r of await installAll()) log(`${r.tool} ${r.version}: ${r.installed ? 'installed' : 'already installed'} (${r.path})`);
    return;
  }
  if (!['up', 'down', 'status'].includes(cmd ?? '')) {
    throw new ClusterError('cli', `unknown command "${cmd ?? ''}"`, 'use one of: up, down, status, tools');
  }
  const { cluster: target } = targetFor(typeof f.env === 'string' ? f.env : 'local', {
    override: typeof f.cluster === 'string' ? f.cluster : undefined,
    name: typeof f.name === 'string' ? f.name : undefined,
  });
  if (target.type === 'kind') return kindCommand(cmd, target, f);
  if (target.type === 'minikube') return minikubeCommand(cmd, target);
  return contextCommand(cmd, target);
}

async function kindCommand(cmd: string, target: ClusterTarget, f: Record<string, string | true>): Promise<void> {
  const o = kindOptions(target.name, process.env, {
    ...(f.registry ? { registry: true } : {}),
    ...(typeof f['http-port'] === 'string' ? { httpPort: Number(f['http-port']) } : {}),
    ...(typeof f['https-port'] === 'string' ? { httpsPort: Number(f['https-port']) } : {}),
  });
  const t: Tools = { kind: await resolveTool('kind'), kubectl: cmd === 'down' ? '' : await resolveTool('kubectl'), docker: process.env.DOCKER || 'docker' };
  if (cmd === 'up') {
    await kindUp(o, t, run, log);
    printChecks(kindStatus(o, t, run));
  } else if (cmd === 'down') {
    kindDown(o, t, run, log);
  } else {
    const checks = kindStatus(o, t, run);
    printChecks(checks);
    assertHealthy(o.name, checks);
  }
}

async function minikubeCommand(cmd: string, target: ClusterTarget): Promise<void> {
  const minikube = await resolveTool('minikube');
  const o = minikubeOptions(target.name);
  if (cmd === 'up') {
    await minikubeUp(target, { minikube, kubectl: await resolveTool('kubectl') }, run, log);
  } else if (cmd === 'down') {
    must(run, 'minikube delete', 'minikube delete --all', minikube, minikubeDeleteArgs(o.profile), { inherit: true });
  } else {
    const r = run(minikube, minikubeStatusArgs(o.profile));
    process.stdout.write(r.stdout);
    if (r.status !== 0) throw new ClusterError('cluster-status', `minikube profile "${o.profile}" is not running`, 'nx run cluster:cluster-up');
  }
}

async function contextCommand(cmd: string, target: ClusterTarget): Promise<void> {
  const kubectl = await resolveTool('kubectl');
  if (cmd === 'down') {
    throw new ClusterError('cluster-down', `context "${target.context}" is an existing cluster that this tool did not create`, 'delete it with the tool that created it');
  }
  const r = run(kubectl, ['--context', target.context, 'get', '--raw', '/readyz'], { timeoutMs: 60_000 });
  if (r.status !== 0) {
    throw new ClusterError('cluster', `kube context "${target.context}" is not reachable: ${r.stderr.trim().split('\n').pop() || `kubectl exited ${r.status}`}`, '`kubectl config get-contexts` lists the contexts; fix the "cluster" field in environments.json or your kubeconfig');
  }
  log(`context "${target.context}" reachable (readyz ok). Ingress and storage are up to whoever runs that cluster; see docs/cluster.md`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e instanceof ClusterError ? e.format() : (e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

export { main };
