/**
 * prune-<env> (`npx nx run todo:prune-local --keep=2`): the images this workspace deployed, beyond the
 * last N per service, leave the Docker daemon and the environment's kind nodes (prune.ts).
 */
import type { ExecutorContext } from '@nx/devkit';
import { parseClusterField } from '../../../../cluster/src/environments';
import { resolveTool } from '../../../../cluster/src/tools';
import { dockerBin } from '../lib/docker';
import { envScope } from '../lib/context';
import { keepCount, kindNodes, pruneImages } from './prune';
import type { PruneExecutorSchema } from './schema';

/** kind's node containers for a kind environment without a registry; else none (only the daemon is pruned). */
export async function nodesOf(envCluster: string, registry: string | undefined, chartName: string): Promise<string[]> {
  if (envCluster !== 'kind' || registry) return [];
  const cluster = parseClusterField(envCluster, process.env.KIND_CLUSTER_NAME || chartName);
  const kind = await resolveTool('kind', { autoInstall: false }).catch(() => undefined);
  return kindNodes(kind, cluster.name);
}

export default async function pruneExecutor(options: PruneExecutorSchema, context: ExecutorContext) {
  try {
    const scope = envScope(options, context);
    const keep = keepCount(options.keep);
    const nodes = await nodesOf(scope.env.cluster, scope.env.registry, scope.config.chart.name);
    const r = pruneImages({ workspaceRoot: scope.workspaceRoot, keep, docker: dockerBin(), nodes, dryRun: scope.dryRun });
    return { success: r.problems.length === 0 };
  } catch (e) {
    console.error(`prune: ${(e as Error).message}`);
    return { success: false };
  }
}
