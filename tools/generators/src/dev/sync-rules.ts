/**
 * Where a service's sources live in its dev pods. These mirror the `dev` stages of the Dockerfile
 * templates and the code emptyDir of the chart's dev mode (libs/k8s-templates: docker/*.Dockerfile.hbs,
 * service/deployment.yaml.hbs): change them together.
 */
import type { ServiceEntry } from '../platform/config';

export interface SyncRule {
  /** Workspace-relative prefix of the synced files (ends with "/"). */
  from: string;
  /** The folder in the container that `from` maps to (the code emptyDir holds it). */
  to: string;
  /** Container name in the pod. */
  container: string;
}

export function syncRule(service: string, spec: Pick<ServiceEntry, 'type' | 'asgiApp'>): SyncRule {
  if (spec.type === 'fastapi') {
    const pkg = (spec.asgiApp ?? '').split(/[.:]/)[0];
    if (!pkg) throw new Error(`service ${service} (fastapi) has no asgiApp in environments.json, so its Python package is unknown`);
    return { from: `apps/${service}/${pkg}/`, to: `/app/${pkg}/`, container: service };
  }
  return { from: `apps/${service}/`, to: `/repo/apps/${service}/`, container: service };
}

/** The container path of a workspace-relative file under the rule. */
export const containerPath = (rule: SyncRule, file: string) => `${rule.to}${file.slice(rule.from.length)}`;
