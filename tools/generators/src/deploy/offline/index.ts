/**
 * --offline (or TODO_OFFLINE=1) for the deploy: resolved once, before the DeployRun is built, because
 * the stand-ins set the variables (KIND_NODE_IMAGE, KIND_BIN, ...) that its target and tool
 * resolution read (standins.ts builds or reuses them; reuse.ts makes a warm run take milliseconds).
 */
import { prepareOffline } from './standins';

export { offlineRequested, prepareOffline, firstRunEstimate, OFFLINE_VARIABLES } from './standins';

/** Exports the stand-ins and returns their values file ('' in a dry run, which builds nothing and only says so). */
export async function offlineStandIns(root: string, dryRun?: boolean): Promise<string> {
  if (!dryRun) return (await prepareOffline(root)).valuesFile;
  console.log('offline (dry run): would build or reuse the kind node image, Traefik, kind/kubectl/helm, the base images and the PostgreSQL stand-in');
  return '';
}
