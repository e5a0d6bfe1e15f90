/** The deploy executor's housekeeping: one call after a successful deploy (prune.ts does the work). */
import type { DeployContext } from '../deploy/context';
import { afterDeploy, keepCount, kindNodes } from './prune';

/** Records the images this deploy used and removes ours beyond the last N (never one in use); never fails the deploy. */
export function housekeeping(ctx: DeployContext, keep: number | undefined): void {
  try {
    const deployed = ctx.images.flatMap((i) => (i.record ? [{ service: i.service, ref: i.record.ref, id: i.record.id, tags: i.record.tags }] : []));
    const nodes = ctx.cluster.type === 'kind' && !ctx.registry ? kindNodes(ctx.tools.kind, ctx.cluster.name) : [];
    afterDeploy({ workspaceRoot: ctx.workspaceRoot, keep: keepCount(keep), docker: ctx.tools.docker, nodes, deployed });
  } catch (e) {
    console.log(`prune: skipped (${(e as Error).message})`);
  }
}
