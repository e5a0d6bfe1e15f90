/**
 * A warm --offline in milliseconds: the last resolution (dist/deploy/offline.json) is reused when the
 * recipes it came from are unchanged (a hash of every file the build scripts read: tools/offline-kind,
 * tools/base-images, scripts/go-tool.sh), the stand-ins given by variables are the same ones (their
 * values, and the base images file's content, are part of the key), and what it names is still there
 * (the images in the Docker daemon, the binaries on disk). Otherwise the build scripts run, which are
 * cached themselves but still take a second or more of shell and `docker` calls on every run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { capture } from '@todo/cluster';

const RECIPES = ['tools/offline-kind', 'tools/base-images', 'scripts/go-tool.sh', 'tools/cluster/scripts'];
const SKIP = new Set(['test', 'node_modules', 'README.md']);

export const resolutionFile = (root: string) => join(root, 'dist', 'deploy', 'offline.json');

/**
 * Hash of the recipes' files (names and contents), the cache directory they build into, and the
 * stand-ins given by variables (`given`: name -> value; a given base images file by its content too,
 * since it can be rewritten in place): a resolution made with other variables, or none, is not reused.
 */
export function recipesKey(root: string, cacheDir: string, given: Record<string, string> = {}): string {
  const h = createHash('sha256').update(cacheDir);
  for (const [k, v] of Object.entries(given).sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`\0${k}=${v}\0`);
    if (k === 'TODO_BASE_IMAGES' && existsSync(v)) h.update(readFileSync(v));
  }
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) if (!SKIP.has(n)) walk(join(p, n));
    } else h.update(relative(root, p)).update(readFileSync(p));
  };
  for (const r of RECIPES) if (existsSync(join(root, r))) walk(join(root, r));
  return h.digest('hex').slice(0, 16);
}

export interface Resolution {
  key: string;
  values: Record<string, string>;
}

/** The stored values when the key matches and every image and binary they name still exists. */
export function reusable(root: string, key: string, docker = 'docker'): Record<string, string> | undefined {
  const file = resolutionFile(root);
  if (!existsSync(file)) return undefined;
  let r: Resolution;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Resolution;
  } catch {
    return undefined;
  }
  if (r.key !== key) return undefined;
  const v = r.values;
  for (const bin of ['KIND_BIN', 'HELM_BIN', 'KUBECTL_BIN', 'TODO_BASE_IMAGES']) if (!v[bin] || !existsSync(v[bin])) return undefined;
  const images = [v.KIND_NODE_IMAGE, v.TRAEFIK_IMAGE, v.METRICS_SERVER_IMAGE, v.KIND_REGISTRY_IMAGE, v.POSTGRES_IMAGE, ...baseImages(v.TODO_BASE_IMAGES)];
  if (images.some((i) => !i) || capture(docker, ['image', 'inspect', '--format', '{{.Id}}', ...images]).status !== 0) return undefined;
  return v;
}

/** Every image a base-images file names (python/node bases, postgres). */
function baseImages(file: string): string[] {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    return Object.values(j).flatMap((o) => Object.values(o));
  } catch {
    return [''];
  }
}

export function storeResolution(root: string, key: string, values: Record<string, string>): void {
  const file = resolutionFile(root);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ key, values }, null, 2)}\n`);
}
