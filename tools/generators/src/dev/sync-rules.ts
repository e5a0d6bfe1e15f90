/**
 * Where a service's sources live in its dev pods, and the commands that write them there. These mirror
 * the `dev` stages of the Dockerfile templates and the code emptyDir of the chart's dev mode
 * (libs/k8s-templates: docker/*.Dockerfile.hbs, service/deployment.yaml.hbs): change them together.
 */
import type { ServiceEntry } from '../platform/config';
import { ClusterError } from '@todo/cluster';

export interface SyncRule {
  /** Workspace-relative prefix of the synced files (ends with "/"). */
  from: string;
  /** The folder in the container that `from` maps to (the code emptyDir holds it). */
  to: string;
  /** Container name in the pod. */
  container: string;
  /** Unpacks a tar stream from stdin into `to`, each file's mtime set to now (the servers reload on a changed mtime). */
  extract: string[];
  /** Removes the container paths appended to it; a path already gone is no error. */
  remove: string[];
}

/**
 * The FastAPI dev image is the runtime base: python, no shell, no tar, no rm. The paths are arguments,
 * never part of the code, so any file name is safe; tarfile's `data` filter refuses absolute paths,
 * `..` and links out of the folder, as tar does.
 */
const PYTHON_EXTRACT = `import sys, tarfile, time
now = time.time()
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as archive:
    archive.extractall(sys.argv[1], filter=lambda member, dest: tarfile.data_filter(member, dest).replace(mtime=now, deep=False))`;
const PYTHON_REMOVE = `import contextlib, os, sys
for path in sys.argv[1:]:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)`;

export function syncRule(service: string, spec: Pick<ServiceEntry, 'type' | 'asgiApp'>): SyncRule {
  if (spec.type === 'fastapi') {
    const pkg = (spec.asgiApp ?? '').split(/[.:]/)[0];
    if (!pkg) throw new ClusterError('sync', `service ${service} (fastapi) has no asgiApp in environments.json, so its Python package is unknown`, `re-create it with \`npx nx g service ${service} --force --asgiApp=<module:app>\``);
    const to = `/app/${pkg}/`;
    return { from: `apps/${service}/${pkg}/`, to, container: service, extract: ['python3', '-c', PYTHON_EXTRACT, to], remove: ['python3', '-c', PYTHON_REMOVE] };
  }
  // The Next.js dev image is the builder base, which has tar and rm.
  const to = `/repo/apps/${service}/`;
  return { from: `apps/${service}/`, to, container: service, extract: ['tar', '-x', '-m', '-f', '-', '-C', to], remove: ['rm', '-f', '--'] };
}

/** The container path of a workspace-relative file under the rule. */
export const containerPath = (rule: SyncRule, file: string) => `${rule.to}${file.slice(rule.from.length)}`;
