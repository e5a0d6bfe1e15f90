/**
 * What a changed file asks of the cluster, decided from the Nx project graph and the images' build
 * contexts:
 *
 *   chart file (templates, schema, values.yaml, this environment's values)  -> upgrade (helm, no images)
 *   Dockerfile / its ignore file / dependency manifest of a service image   -> rebuild that service
 *     (its requirements.txt, or its package.json / the npm lockfile: installed into the dev pods first)
 *   a file the image copies and the dev pods run from the synced code dir   -> sync into its pods
 *   any other file inside an image's build context                          -> rebuild that service
 *   anything else (README, tests, another project's files)                  -> nothing
 *
 * A file reaches a service only when the file's project is the service's image project or one of
 * its (transitive) dependencies in the graph, or when it belongs to no project (root manifests), and
 * then only when the image's build context (its .dockerignore applied) contains it.
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import type { ProjectGraph } from '@nx/devkit';
import { isExcluded, parseIgnoreFile, type IgnorePattern } from '../images/dockerignore';
import type { SyncRule } from './sync-rules';

/** Files that change what gets installed into an image: they need a build, never a sync. */
export const DEPENDENCY_FILES = /^(requirements(-[\w.-]+)?\.txt|pyproject\.toml|poetry\.lock|uv\.lock|package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Dockerfile(\.[\w.-]+)?)$/;

export interface ServiceImageInfo {
  service: string;
  /** The image project, e.g. backend-image. */
  project: string;
  dockerfile: string;
  /** Build context, relative to the workspace root ("." for the root). */
  context: string;
  sync: SyncRule;
}

export interface ChangePlan {
  /** Per service: workspace-relative files to copy into its pods, and files to remove there. */
  sync: Map<string, { files: string[]; deleted: string[] }>;
  /** Services whose image must be rebuilt, with the file that asks for it. */
  rebuild: Map<string, string>;
  /** Services (among `rebuild`) whose changed dependency file (requirements.txt, package.json, package-lock.json) is installed into their running pods first (packages.ts), with that file. */
  install: Map<string, string>;
  /** Chart files changed: helm upgrade. */
  upgrade: string[];
  /** Files that change nothing in the cluster. */
  ignored: string[];
}

export interface ClassifierInput {
  workspaceRoot: string;
  graph: ProjectGraph;
  /** file -> project, from the graph's file map (files created later are placed by project root). */
  fileOwners: Map<string, string>;
  images: ServiceImageInfo[];
  /** Chart folder relative to the workspace root, e.g. charts/todo. */
  chartDir: string;
  environment: string;
  /** Extra values files (--values), workspace-relative when inside the workspace. */
  extraValues: string[];
}

export class Classifier {
  private readonly closure = new Map<string, Set<string>>();
  private readonly ignores = new Map<string, IgnorePattern[]>();
  private readonly roots: [string, string][];

  constructor(private readonly input: ClassifierInput) {
    for (const image of input.images) {
      this.closure.set(image.service, dependencyClosure(input.graph, image.project));
      const ignoreFile = [`${image.dockerfile}.dockerignore`, join(image.context, '.dockerignore')].map((f) => join(input.workspaceRoot, f)).find(existsSync);
      this.ignores.set(image.service, ignoreFile ? parseIgnoreFile(readFileSync(ignoreFile, 'utf8')) : []);
    }
    // Longest root first: a file belongs to the deepest project folder that holds it.
    this.roots = Object.values(input.graph.nodes)
      .map((n) => [n.data.root, n.name] as [string, string])
      .filter(([root]) => root && root !== '.')
      .sort((a, b) => b[0].length - a[0].length);
  }

  /** The project a workspace-relative file belongs to (undefined: no project, e.g. a root manifest). */
  ownerOf(file: string): string | undefined {
    return this.input.fileOwners.get(file) ?? this.roots.find(([root]) => file.startsWith(`${root}/`))?.[1];
  }

  private chartChange(file: string): boolean | undefined {
    const { chartDir, environment, extraValues } = this.input;
    if (extraValues.includes(file)) return true;
    if (!file.startsWith(`${chartDir}/`)) return undefined;
    const rel = file.slice(chartDir.length + 1);
    if (/\.md$/i.test(rel) || rel === 'project.json' || rel.startsWith('clusters/')) return false;
    const values = /^values-(.+)\.ya?ml$/.exec(rel);
    return !values || values[1] === environment;
  }

  classify(changes: Map<string, 'update' | 'delete'>): ChangePlan {
    const plan: ChangePlan = { sync: new Map(), rebuild: new Map(), install: new Map(), upgrade: [], ignored: [] };
    for (const [file, kind] of [...changes.entries()].sort()) {
      const chart = this.chartChange(file);
      if (chart !== undefined) {
        (chart ? plan.upgrade : plan.ignored).push(file);
        continue;
      }
      const owner = this.ownerOf(file);
      let used = false;
      for (const image of this.input.images) {
        if (owner !== undefined && !this.closure.get(image.service)!.has(owner)) continue;
        const action = this.actionFor(image, file);
        if (action === 'none') continue;
        used = true;
        if (action === 'rebuild') {
          if (!plan.rebuild.has(image.service)) plan.rebuild.set(image.service, file);
          if (image.sync.packages?.triggers.includes(file) && kind === 'update') plan.install.set(image.service, file);
          continue;
        }
        const entry = plan.sync.get(image.service) ?? { files: [], deleted: [] };
        (kind === 'delete' ? entry.deleted : entry.files).push(file);
        plan.sync.set(image.service, entry);
      }
      if (!used) plan.ignored.push(file);
    }
    // A service that is rebuilt gets the synced files with its new image.
    for (const service of plan.rebuild.keys()) plan.sync.delete(service);
    return plan;
  }

  private actionFor(image: ServiceImageInfo, file: string): 'none' | 'rebuild' | 'sync' {
    if (file === image.dockerfile || file === `${image.dockerfile}.dockerignore`) return 'rebuild';
    const inContext = image.context === '.' ? file : file.startsWith(`${image.context}/`) ? file.slice(image.context.length + 1) : undefined;
    if (inContext === undefined || isExcluded(inContext, this.ignores.get(image.service)!)) return 'none';
    if (DEPENDENCY_FILES.test(basename(file))) return 'rebuild';
    return file.startsWith(image.sync.from) ? 'sync' : 'rebuild';
  }
}

/** A project and everything it depends on, transitively. */
export function dependencyClosure(graph: ProjectGraph, project: string): Set<string> {
  const seen = new Set<string>();
  const todo = [project];
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p) || !graph.nodes[p]) continue;
    seen.add(p);
    for (const d of graph.dependencies[p] ?? []) todo.push(d.target);
  }
  return seen;
}

/** Workspace-relative, slash-separated. */
export const relativeFile = (workspaceRoot: string, abs: string) => relative(workspaceRoot, abs).split(/[\\/]/).join(posix.sep);
