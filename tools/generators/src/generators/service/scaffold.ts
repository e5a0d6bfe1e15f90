/**
 * Minimal app of a new service, for when apps/<name> does not exist yet: health endpoints and the
 * files its image needs, rendered by the template library (renderApp: templates/app/<type>/) and
 * written with tree.write; its project.json through @nx/devkit (platform/files.ts writeProject).
 */
import type { ProjectConfiguration, Tree } from '@nx/devkit';
import { renderApp } from '@todo/k8s-templates';
import type { ServiceEntry } from '../../platform/config';
import { writeProject } from '../../platform/files';

function nextVersions(tree: Tree) {
  const fallback = { next: '16.4.6', react: '19.3.1', reactDom: '19.3.1' };
  const text = tree.read('apps/frontend/package.json', 'utf-8');
  if (!text) return fallback;
  const deps = (JSON.parse(text).dependencies ?? {}) as Record<string, string>;
  return { next: deps.next ?? fallback.next, react: deps.react ?? fallback.react, reactDom: deps['react-dom'] ?? fallback.reactDom };
}

/** The app's Nx project: serve (uvicorn or next dev), and for Next.js a cached build. */
function appProject(name: string, entry: ServiceEntry, pkg: string): ProjectConfiguration & { name: string } {
  const root = `apps/${name}`;
  if (entry.type === 'fastapi')
    return {
      name,
      root,
      projectType: 'application',
      sourceRoot: `${root}/${pkg}`,
      tags: ['lang:python', 'type:app'],
      targets: {
        serve: {
          executor: 'nx:run-commands',
          continuous: true,
          options: { cwd: root, command: `python3 -m uvicorn ${entry.asgiApp} --host 127.0.0.1 --port ${entry.port}` },
        },
      },
    };
  return {
    name,
    root,
    projectType: 'application',
    sourceRoot: root,
    tags: ['lang:ts', 'type:app'],
    targets: {
      build: {
        executor: 'nx:run-commands',
        options: { cwd: root, command: 'next build', env: { NEXT_TELEMETRY_DISABLED: '1' } },
        cache: true,
        inputs: ['production', '{workspaceRoot}/package-lock.json'],
        outputs: ['{projectRoot}/.next/!(cache)', '{projectRoot}/.next/!(cache)/**/*'],
      },
      serve: { executor: 'nx:run-commands', continuous: true, options: { cwd: root, command: `next dev --port ${entry.port}` } },
    },
  };
}

export function scaffoldApp(tree: Tree, name: string, entry: ServiceEntry): void {
  const pkg = (entry.asgiApp ?? name.replace(/-/g, '_')).split(/[.:]/)[0];
  const files = renderApp({ name, type: entry.type, port: entry.port, pkg, asgiApp: entry.asgiApp ?? '', versions: nextVersions(tree) });
  for (const [path, text] of Object.entries(files)) tree.write(`apps/${name}/${path}`, text);
  writeProject(tree, appProject(name, entry, pkg));
  if (entry.type === 'nextjs') {
    // The image runs `npm ci` at the root: the app must be an npm workspace.
    const pkgJson = JSON.parse(tree.read('package.json', 'utf-8') ?? '{}');
    const workspaces: string[] = Array.isArray(pkgJson.workspaces) ? pkgJson.workspaces : [];
    if (!workspaces.includes(`apps/${name}`)) {
      pkgJson.workspaces = [...workspaces, `apps/${name}`];
      tree.write('package.json', `${JSON.stringify(pkgJson, null, 2)}\n`);
    }
  }
}
