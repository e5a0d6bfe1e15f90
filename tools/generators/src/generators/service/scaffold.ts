/**
 * Minimal app of a new service, for when apps/<name> does not exist yet: health endpoints and the
 * files its image needs. Templates in ./files/<type>/ are Handlebars (like @todo/k8s-templates),
 * rendered here and written with tree.write; `__pkg__` in a path becomes the Python package.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Tree } from '@nx/devkit';
import Handlebars from 'handlebars';
import type { ServiceEntry } from '../../platform/config';

const FILES = join(__dirname, 'files');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

function nextVersions(tree: Tree) {
  const fallback = { next: '16.4.6', react: '19.3.1', reactDom: '19.3.1' };
  const text = tree.read('apps/frontend/package.json', 'utf-8');
  if (!text) return fallback;
  const deps = (JSON.parse(text).dependencies ?? {}) as Record<string, string>;
  return { next: deps.next ?? fallback.next, react: deps.react ?? fallback.react, reactDom: deps['react-dom'] ?? fallback.reactDom };
}

export function scaffoldApp(tree: Tree, name: string, entry: ServiceEntry): void {
  const root = join(FILES, entry.type);
  const pkg = (entry.asgiApp ?? name.replace(/-/g, '_')).split(/[.:]/)[0];
  const view = { name, pkg, port: entry.port, asgiApp: entry.asgiApp ?? '', versions: nextVersions(tree) };
  for (const file of walk(root)) {
    const target = relative(root, file).replace(/\.hbs$/, '').replace('__pkg__', pkg);
    const text = Handlebars.compile(readFileSync(file, 'utf8'), { strict: true, noEscape: true })(view);
    tree.write(`apps/${name}/${target}`, text);
  }
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
