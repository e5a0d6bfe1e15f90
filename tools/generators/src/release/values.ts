/**
 * The values Helm will see, merged the way Helm merges them (files in order, maps deep, lists and
 * scalars replaced, then --set), so the deploy can find the images the chart uses besides our own
 * (the database image) without rendering the chart. --set is read as plain `a.b.c=value` paths:
 * the chart's values never need Helm's list or escape syntax here.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { OptionError } from '../platform/validate';

type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(v) && isMap(out[k]) ? mergeValues(out[k] as Values, v) : v;
  return out;
}

export function applySet(values: Values, set: string): Values {
  const eq = set.indexOf('=');
  if (eq <= 0) throw new OptionError(`--set "${set}" is not key=value`, 'pass --set=<path.to.value>=<value>');
  const path = set.slice(0, eq).split('.');
  const over: Values = {};
  let at = over;
  for (const key of path.slice(0, -1)) at = at[key] = {} as Values;
  at[path[path.length - 1]] = set.slice(eq + 1);
  return mergeValues(values, over);
}

export function effectiveValues(files: string[], sets: string[]): Values {
  let v: Values = {};
  for (const f of files) {
    let parsed: unknown;
    try {
      parsed = parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new OptionError(`Values file ${f} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'fix the file');
    }
    if (parsed !== null && !isMap(parsed)) throw new OptionError(`Values file ${f} must hold a map of values (key: value), not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`, 'write it as key: value lines');
    v = mergeValues(v, (parsed as Values | null) ?? {});
  }
  for (const s of sets) v = applySet(v, s);
  return v;
}

export interface OtherImage {
  /** The reference the chart renders: [registry/]repository:tag[@digest]. */
  ref: string;
  /** The same image without the registry prefix (what a local Docker daemon would call it). */
  source: string;
}

/**
 * Every image block ({repository, tag}) in the values outside services.* (those are ours and set by
 * the deploy). Disabled parts are left out for the one the chart knows: database.postgres only in
 * database.mode postgres.
 */
export function thirdPartyImages(values: Values): OtherImage[] {
  const registry = String((values.global as Values | undefined)?.imageRegistry ?? '').replace(/\/+$/, '');
  const found = new Map<string, OtherImage>();
  const walk = (node: unknown, path: string[]) => {
    if (!isMap(node)) return;
    if (path[0] === 'services') return;
    if (path.join('.') === 'database.postgres' && (values.database as Values | undefined)?.mode !== 'postgres') return;
    if (typeof node.repository === 'string' && node.tag !== undefined && node.tag !== '') {
      const source = `${node.repository}:${String(node.tag)}${node.digest ? `@${String(node.digest)}` : ''}`;
      found.set(source, { ref: registry ? `${registry}/${source}` : source, source });
      return;
    }
    for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(values, []);
  return [...found.values()].sort((a, b) => a.ref.localeCompare(b.ref));
}

/**
 * The chart files that shape what gets rendered: not docs, not the Nx project or cluster configs
 * (.helmignore'd), and not the values files of other environments (ours is hashed as a values file).
 */
function renderedChartFiles(dir: string, top = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = relative(top, p);
    if (/\.md$/i.test(name) || rel === 'project.json' || rel === 'clusters' || /^values-.+\.ya?ml$/.test(rel)) continue;
    if (statSync(p).isDirectory()) out.push(...renderedChartFiles(p, top));
    else out.push(p);
  }
  return out;
}

/**
 * What a release is made of, as one short hash: the chart files that are rendered (templates,
 * schema, defaults, the bundled library chart), the values files and --set in order, the image references, release and
 * namespace. The deploy stores it as a Helm release label; an equal label on the deployed revision
 * (and ready workloads) means there is nothing to upgrade.
 */
export function deployDigest(input: { chartDir: string; valuesFiles: string[]; sets: string[]; images: string[]; release: string; namespace: string }): string {
  const h = createHash('sha256');
  h.update('todo-deploy-digest/v1\0');
  for (const f of renderedChartFiles(input.chartDir)) h.update(`chart:${relative(input.chartDir, f)}\0`).update(readFileSync(f)).update('\0');
  for (const f of input.valuesFiles) h.update(`values:\0`).update(readFileSync(f)).update('\0');
  for (const s of input.sets) h.update(`set:${s}\0`);
  for (const i of input.images) h.update(`image:${i}\0`);
  h.update(`release:${input.release}\0namespace:${input.namespace}\0`);
  // Label values hold at most 63 characters.
  return h.digest('hex').slice(0, 40);
}
