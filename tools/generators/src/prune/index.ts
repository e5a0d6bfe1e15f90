/**
 * Keep-last-N of the images our deploys made (prune-<env>, and deploy after each success):
 *   ledger.ts  what is ours: dist/deploy/images.json, the images deployed from this workspace in order
 *   state.ts   what containers use, and removal from the Docker daemon and a kind node
 *   prune.ts   the policy: beyond the last N per service, never one in use, never one just deployed
 */
export { DEFAULT_KEEP, afterDeploy, keepCount, kindNodes, pruneImages } from './prune';
export type { PruneOptions, PruneResult } from './prune';
export { ledgerFile, readLedger } from './ledger';
export type { Ledger, LedgerEntry } from './ledger';
