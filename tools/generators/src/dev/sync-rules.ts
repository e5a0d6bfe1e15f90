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
  /** Where a changed dependency file can be installed into the running pods first (packages.ts); none: rebuild only. */
  packages?: PackagesRule;
}

/**
 * A service's dependency file, and the dev pods' folder its packages go to: pip, a FastAPI service's
 * requirements.txt into an emptyDir on PYTHONPATH; npm, a Next.js service's package.json into the app's
 * node_modules in its code emptyDir (npm-packages.ts).
 */
export interface PackagesRule {
  tool: 'pip' | 'npm';
  /** Workspace-relative dependency file the image installs, e.g. apps/backend/requirements.txt, apps/frontend/package.json. */
  manifest: string;
  /** Workspace-relative files whose change is installed into the pods (the manifest, and npm's lockfile). */
  triggers: string[];
  /** Workspace-relative lockfile the image's install follows (npm: the root package-lock.json). */
  lockfile?: string;
  /** The container folder, e.g. /opt/dev/packages/, /repo/apps/frontend/node_modules/. */
  to: string;
  /**
   * Writes a tar stream from stdin into the folder. pip: its content replaced (so a package removed since
   * is gone too); npm: the package folders named after it replaced, the image's others kept.
   */
  extract: string[];
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
/** As PYTHON_EXTRACT, into a folder emptied first (its own entries only: the folder is a mount point). */
const PYTHON_REPLACE = `import os, shutil, sys, tarfile, time
now = time.time()
for name in os.listdir(sys.argv[1]):
    path = os.path.join(sys.argv[1], name)
    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as archive:
    archive.extractall(sys.argv[1], filter=lambda member, dest: tarfile.data_filter(member, dest).replace(mtime=now, deep=False))`;
/** The dev image's packages folder: libs/k8s-templates docker/fastapi.Dockerfile.hbs (PYTHONPATH, --watch) and the chart's dev-packages emptyDir. */
export const DEV_PACKAGES_DIR = '/opt/dev/packages/';
/** The Next.js dev image has sh and tar: the named packages' folders removed (another version's files), then unpacked over the rest. */
const NPM_MERGE = 'set -e; dir=$1; shift; mkdir -p "$dir"; cd "$dir"; rm -rf -- "$@"; exec tar -x -m -f - -C "$dir"';
const PYTHON_REMOVE = `import contextlib, os, sys
for path in sys.argv[1:]:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)`;

/** The workspace's npm lockfile (workspaces: one at the root), which the Next.js images' `npm ci` follows. */
export const NPM_LOCKFILE = 'package-lock.json';

export function syncRule(service: string, spec: Pick<ServiceEntry, 'type' | 'asgiApp'>): SyncRule {
  if (spec.type === 'fastapi') {
    const pkg = (spec.asgiApp ?? '').split(/[.:]/)[0];
    if (!pkg) throw new ClusterError('sync', `service ${service} (fastapi) has no asgiApp in environments.json, so its Python package is unknown`, `re-create it with \`npx nx g service ${service} --force --asgiApp=<module:app>\``);
    const to = `/app/${pkg}/`;
    return {
      from: `apps/${service}/${pkg}/`,
      to,
      container: service,
      extract: ['python3', '-c', PYTHON_EXTRACT, to],
      remove: ['python3', '-c', PYTHON_REMOVE],
      packages: { tool: 'pip', manifest: `apps/${service}/requirements.txt`, triggers: [`apps/${service}/requirements.txt`], to: DEV_PACKAGES_DIR, extract: ['python3', '-c', PYTHON_REPLACE, DEV_PACKAGES_DIR] },
    };
  }
  // The Next.js dev image is the builder base, which has tar and rm. Its dependencies come from the
  // workspace's root lockfile (the Dockerfile's deps stage: npm ci --workspace=apps/<service>).
  const to = `/repo/apps/${service}/`;
  const manifest = `apps/${service}/package.json`;
  const nodeModules = `${to}node_modules/`;
  return {
    from: `apps/${service}/`,
    to,
    container: service,
    extract: ['tar', '-x', '-m', '-f', '-', '-C', to],
    remove: ['rm', '-f', '--'],
    packages: { tool: 'npm', manifest, triggers: [manifest, NPM_LOCKFILE], lockfile: NPM_LOCKFILE, to: nodeModules, extract: ['sh', '-c', NPM_MERGE, 'sh', nodeModules] },
  };
}

/** The container path of a workspace-relative file under the rule. */
export const containerPath = (rule: SyncRule, file: string) => `${rule.to}${file.slice(rule.from.length)}`;
