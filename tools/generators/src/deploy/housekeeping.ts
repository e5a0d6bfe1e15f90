/**
 * After a successful deploy: the images it used go into the ledger (dist/deploy/images.json) and ours
 * beyond the last N per service leave the daemon and the kind nodes (src/prune). Never fails the deploy.
 */
import { afterDeploy } from '../prune';
import type { DeployRun } from './run';

export function housekeeping(run: DeployRun, log: (line: string) => void = console.log): void {
  try {
    // The registry tag the load step pushed is ours too: pruned with the rest, so it cannot keep an old image alive.
    const pushed = (i: { record?: { image: string; contentTag: string } }) => (run.registry && i.record ? [`${run.registry}/${i.record.image}:${i.record.contentTag}`] : []);
    const deployed = run.images.flatMap((i) => (i.record ? [{ service: i.service, ref: i.record.ref, id: i.record.id, tags: [...i.record.tags, ...pushed(i)] }] : []));
    const nodes = run.cluster.type === 'kind' && !run.registry ? run.nodes() : [];
    afterDeploy({ workspaceRoot: run.workspaceRoot, keep: run.options.keep ?? 0, docker: run.tools.docker, nodes, deployed, log });
  } catch (e) {
    log(`prune: skipped (${(e as Error).message})`);
  }
}
