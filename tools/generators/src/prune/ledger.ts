/**
 * What "ours" means for pruning: the images this workspace's deploys used, in the order they were last
 * deployed (dist/deploy/images.json). Only refs listed here are ever removed, so an image we did not
 * tag (another checkout's, a base image, anything else in the daemon) is never touched.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LedgerEntry {
  /** <repository>:content-<key> */
  ref: string;
  /** Image id (sha256:...), the same in the daemon and on a kind node. */
  id: string;
  /** Every tag our build gave it (content, version, commit), as refs. */
  tags: string[];
  deployedAt: string;
}

/** Per service, oldest first (a re-deployed image moves to the end). */
export type Ledger = Record<string, LedgerEntry[]>;

export const ledgerFile = (workspaceRoot: string) => join(workspaceRoot, 'dist', 'deploy', 'images.json');

export function readLedger(file: string): Ledger {
  if (!existsSync(file)) return {};
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { services?: Ledger }).services ?? {};
  } catch {
    return {};
  }
}

export function writeLedger(file: string, ledger: Ledger): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ note: 'images deployed from this workspace, oldest first; prune-<env> and deploy --keep remove the older ones', services: ledger }, null, 2)}\n`);
}

/** Adds (or moves to the end) the images a deploy just used. */
export function recordDeployed(ledger: Ledger, images: { service: string; ref: string; id: string; tags: string[] }[], now = new Date()): Ledger {
  const next: Ledger = { ...ledger };
  for (const i of images) {
    const list = (next[i.service] ?? []).filter((e) => e.ref !== i.ref);
    list.push({ ref: i.ref, id: i.id, tags: i.tags, deployedAt: now.toISOString() });
    next[i.service] = list;
  }
  return next;
}

/**
 * Which entries to remove: all but the last `keep` per service, except those whose image id is in
 * use (a container in the daemon or on a node) or that are protected (the images just deployed).
 */
export function planPrune(ledger: Ledger, keep: number, inUse: Set<string>, protectedRefs: Set<string> = new Set()): { remove: LedgerEntry[]; keptInUse: LedgerEntry[] } {
  const remove: LedgerEntry[] = [];
  const keptInUse: LedgerEntry[] = [];
  for (const entries of Object.values(ledger)) {
    const old = entries.slice(0, Math.max(0, entries.length - keep));
    for (const e of old) {
      if (protectedRefs.has(e.ref)) continue;
      if (inUse.has(e.id)) keptInUse.push(e);
      else remove.push(e);
    }
  }
  return { remove, keptInUse };
}
