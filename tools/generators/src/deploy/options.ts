/**
 * The deploy's options, resolved once before the DeployRun is built (steps read them from
 * run.options and never look at the environment again):
 *   offline  --offline, else TODO_OFFLINE=1: the stand-ins are built or reused now, because they set the
 *            variables (KIND_NODE_IMAGE, KIND_BIN, ...) the run's target and tools are resolved from,
 *            and their values file (the PostgreSQL stand-in) goes before the user's --values
 *   keep     --keep, else TODO_KEEP_IMAGES, else 3: a bad value is refused before anything runs
 */
import { keepCount } from '../prune';
import { offlineRequested, offlineStandIns } from './offline';
import type { DeployOptions } from './run';

export type ResolvedDeployOptions = DeployOptions & { offline: boolean; keep: number };

export async function resolveDeployOptions(options: DeployOptions, workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedDeployOptions> {
  const keep = keepCount(options.keep, env);
  const offline = offlineRequested(options.offline, env);
  const standIns = offline ? await offlineStandIns(workspaceRoot, options.dryRun) : '';
  return { ...options, offline, keep, values: [...(standIns ? [standIns] : []), ...(options.values ?? [])] };
}
