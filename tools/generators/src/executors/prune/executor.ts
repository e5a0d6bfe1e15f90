/**
 * prune-<env> (`npx nx run todo:prune-local --keep=2`): the images this workspace deployed, beyond the
 * last N per service, leave the Docker daemon and the environment's kind nodes (src/prune).
 */
import type { ExecutorContext } from '@nx/devkit';
import { findTool } from '@todo/cluster';
import { dockerBin } from '../../images/docker';
import { envScope } from '../../platform/scope';
import { keepCount, kindNodes, pruneImages } from '../../prune';
import type { PruneExecutorSchema } from './schema';

export default async function pruneExecutor(options: PruneExecutorSchema, context: ExecutorContext) {
  try {
    const scope = envScope(options, context);
    const keep = keepCount(options.keep);
    // kind nodes hold loaded copies; a registry or minikube environment: only the daemon is pruned.
    const { cluster } = scope.target;
    const nodes = cluster.type === 'kind' && !scope.env.registry ? kindNodes(findTool('kind'), cluster.name) : [];
    const r = pruneImages({ workspaceRoot: scope.workspaceRoot, keep, docker: dockerBin(), nodes, dryRun: scope.dryRun });
    return { success: r.problems.length === 0 };
  } catch (e) {
    console.error(`prune: ${(e as Error).message}`);
    return { success: false };
  }
}
