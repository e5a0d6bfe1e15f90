/**
 * The Job that migrates a restored database before its writers start again (restore-<env>).
 *
 * A restored dump may be of an older schema revision. The writers' own migrate init container cannot
 * be relied on: a deploy whose migrations did not change renders the Deployment without it (the
 * chart's migrate skip), and scaling back reuses that template. So the restore renders the service's
 * Deployment with the release's values (`helm template` answers no `lookup`, so the chart always
 * includes its init containers there) and runs that pod once as a Job: the init containers before
 * `migrate` (wait-for-database; in dev mode the code copy) stay init containers, `migrate` is the
 * Job's container, nothing is served. The pod keeps the service's labels, service account, security
 * context and volumes, so the database's NetworkPolicy admits it as it admits the service.
 */
import { parseAllDocuments, stringify } from 'yaml';

export const MIGRATE_CONTAINER = 'migrate';

type Container = { name: string };
type PodSpec = { initContainers?: Container[]; containers: Container[]; restartPolicy?: string; [key: string]: unknown };

/**
 * The Job (as YAML for `kubectl create -f -`) from the Deployment `helm template --show-only` rendered;
 * undefined when that pod has no migrate init container (a service without migrations).
 */
export function migrateJobYaml(renderedDeployment: string, jobName: string, activeDeadlineSeconds = 600): string | undefined {
  const deployment = parseAllDocuments(renderedDeployment)
    .map((d) => d.toJS())
    .find((d) => d?.kind === 'Deployment');
  if (!deployment) return undefined;
  const template = deployment.spec.template as { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
  const init = template.spec.initContainers ?? [];
  const at = init.findIndex((c) => c.name === MIGRATE_CONTAINER);
  if (at < 0) return undefined;
  const labels = { ...(template.metadata?.labels ?? {}), 'todo.dev/operation': 'migrate' };
  const spec: PodSpec = { ...template.spec, initContainers: init.slice(0, at), containers: [init[at]], restartPolicy: 'Never' };
  if (!spec.initContainers!.length) delete spec.initContainers;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      template: { metadata: { labels }, spec },
    },
  };
  return stringify(job);
}
