/** --offline for the deploy executor: one call before the deploy context is built (standins.ts). */
import { prepareOffline } from './standins';

export { offlineRequested } from './standins';

/** Exports the stand-ins and returns their values file ('' in a dry run, which builds nothing and only says so). */
export function offlineStandIns(root: string, dryRun?: boolean): string {
  if (!dryRun) return prepareOffline(root).valuesFile;
  console.log('offline (dry run): would build or reuse the kind node image, Traefik, kind/kubectl/helm, the base images and the PostgreSQL stand-in');
  return '';
}
