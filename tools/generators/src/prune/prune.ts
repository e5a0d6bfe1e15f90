/**
 * Keep-last-N for the images our deploys made: beyond the last N deployed per service (ledger.ts),
 * each image is removed from the Docker daemon and from every kind node, unless a container still
 * uses it. Run after every successful deploy (deploy --keep, default 3) and by prune-<env>.
 */
import { capture } from '@todo/cluster';
import { type Ledger, ledgerFile, planPrune, readLedger, recordDeployed, writeLedger } from './ledger';
import { imagesInUse, removeFromDaemon, removeFromNode } from './state';
import { OptionError } from '../platform/validate';

export const DEFAULT_KEEP = 3;

/** --keep, else TODO_KEEP_IMAGES, else 3. 0 turns pruning off. */
export function keepCount(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? (env.TODO_KEEP_IMAGES !== undefined && env.TODO_KEEP_IMAGES !== '' ? Number(env.TODO_KEEP_IMAGES) : DEFAULT_KEEP);
  if (!Number.isInteger(raw) || raw < 0) throw new OptionError(`--keep / TODO_KEEP_IMAGES is "${flag ?? env.TODO_KEEP_IMAGES}"`, 'use a whole number of images to keep per service (0 keeps all)');
  return raw;
}

/** The node containers of a kind cluster ([] when it does not exist or kind is unavailable). */
export function kindNodes(kind: string | undefined, cluster: string): string[] {
  if (!kind) return [];
  const r = capture(kind, ['get', 'nodes', '--name', cluster]);
  return r.status === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !/^No kind nodes/.test(s)) : [];
}

export interface PruneOptions {
  workspaceRoot: string;
  keep: number;
  docker: string;
  /** kind node containers to prune too (none for a registry or minikube environment). */
  nodes: string[];
  /** Images just deployed: never removed. */
  protectedRefs?: string[];
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface PruneResult {
  removedDaemon: string[];
  removedNode: string[];
  keptInUse: string[];
  problems: string[];
}

export function pruneImages(o: PruneOptions): PruneResult {
  const log = o.log ?? console.log;
  const ledger = readLedger(ledgerFile(o.workspaceRoot));
  const result: PruneResult = { removedDaemon: [], removedNode: [], keptInUse: [], problems: [] };
  const protectedRefs = new Set(o.protectedRefs ?? []);
  // Nothing beyond the last N (every deploy that changed no image): no need to ask what containers use,
  // which is a docker ps/inspect and two crictl calls per node, paid after every deploy otherwise.
  if (planPrune(ledger, o.keep, new Set(), protectedRefs).remove.length === 0) {
    log(`prune: keep the last ${o.keep} per service: nothing to remove`);
    return result;
  }
  const inUse = imagesInUse(o.docker, o.nodes);
  if (inUse.errors.length) {
    // Without knowing what runs, nothing is safe to remove.
    result.problems.push(...inUse.errors);
    log(`prune: skipped (cannot tell which images containers use: ${inUse.errors.join('; ')})`);
    return result;
  }
  const plan = planPrune(ledger, o.keep, inUse.ids, protectedRefs);
  result.keptInUse = plan.keptInUse.map((e) => e.ref);
  const gone = new Set<string>();
  for (const e of plan.remove) {
    if (o.dryRun) {
      log(`prune (dry run): would remove ${e.ref} from the Docker daemon${o.nodes.length ? ` and ${o.nodes.join(', ')}` : ''}`);
      continue;
    }
    const d = removeFromDaemon(o.docker, e);
    result.removedDaemon.push(...d.removed);
    if (d.error) result.problems.push(`${e.ref} (daemon): ${d.error}`);
    let nodeOk = true;
    for (const node of o.nodes) {
      const n = removeFromNode(o.docker, node, e);
      if (n.removed) result.removedNode.push(`${node}:${e.ref}`);
      if (n.error) {
        nodeOk = false;
        result.problems.push(`${e.ref} (${node}): ${n.error}`);
      }
    }
    if (!d.error && nodeOk) gone.add(e.ref);
  }
  if (!o.dryRun && gone.size) {
    const left: Ledger = Object.fromEntries(Object.entries(ledger).map(([s, es]) => [s, es.filter((e) => !gone.has(e.ref))]));
    writeLedger(ledgerFile(o.workspaceRoot), left);
  }
  const kept = plan.keptInUse.length ? `; kept in use: ${result.keptInUse.join(', ')}` : '';
  const removed = gone.size ? `removed ${[...gone].join(', ')}` : 'nothing to remove';
  log(`prune: keep the last ${o.keep} per service: ${o.dryRun ? `${plan.remove.length} to remove` : removed}${kept}${result.problems.length ? `; problems: ${result.problems.join('; ')}` : ''}`);
  return result;
}

/** After a deploy: records the images it used, then prunes beyond the last `keep`. */
export function afterDeploy(o: PruneOptions & { deployed: { service: string; ref: string; id: string; tags: string[] }[] }): PruneResult | undefined {
  const file = ledgerFile(o.workspaceRoot);
  writeLedger(file, recordDeployed(readLedger(file), o.deployed));
  if (o.keep === 0) return undefined;
  return pruneImages({ ...o, protectedRefs: o.deployed.map((d) => d.ref) });
}
