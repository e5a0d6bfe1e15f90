/**
 * Sync: changed files go into a service's running pods as one tar stream through `kubectl exec`
 * (unpacked in the container by the rule's command, into the code emptyDir the server reloads from),
 * removed files are removed there, and each pod gets the sync marker. No image build, no Helm upgrade.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Children } from './children';
import { KubeScope, kube, listPods } from './kube';
import { SYNC_ANNOTATION } from '../release/sync-marker';
import { SyncRule, containerPath } from './sync-rules';
import { ClusterError } from '@todo/cluster';

export interface SyncRequest {
  service: string;
  rule: SyncRule;
  workspaceRoot: string;
  /** Workspace-relative files under rule.from to copy, and to remove. */
  files: string[];
  deleted: string[];
  /** Only these pods (a rollout's new pods, found unmarked before a first copy marked them). */
  onlyPods?: string[];
}

/** A tar archive of `files` (workspace-relative, under rule.from), paths relative to rule.from. */
export function tarOf(workspaceRoot: string, rule: SyncRule, files: string[]): Buffer {
  const rel = files.map((f) => f.slice(rule.from.length));
  const r = spawnSync('tar', ['-c', '-f', '-', '-C', join(workspaceRoot, rule.from), '--', ...rel], { maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new ClusterError('sync', `tar could not run here: ${r.error.message}`, 'the sync needs tar on PATH: install it');
  if (r.status !== 0) throw new ClusterError('sync', `tar failed: ${r.stderr.toString().trim()}`, 'fix what tar names; the next change retries');
  return r.stdout;
}

/** Returns the pods written to. Throws with kubectl's or tar's message. */
export async function syncIntoPods(children: Children, k: KubeScope, req: SyncRequest): Promise<string[]> {
  const pods = (await listPods(children, k, req.service)).filter((p) => !p.deleting && p.phase === 'Running' && (!req.onlyPods || req.onlyPods.includes(p.name)));
  if (pods.length === 0) return [];
  const archive = req.files.length ? tarOf(req.workspaceRoot, req.rule, req.files) : undefined;
  await Promise.all(
    pods.map(async (pod) => {
      if (archive) {
        const r = await kube(children, k, ['exec', '-i', pod.name, '-c', req.rule.container, '--', ...req.rule.extract], archive);
        if (r.status !== 0) throw new ClusterError('sync', `unpacking the changed files in ${pod.name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`, 'the next change retries; a pod that keeps failing is replaced by a rebuild');
      }
      if (req.deleted.length) {
        const r = await kube(children, k, ['exec', pod.name, '-c', req.rule.container, '--', ...req.rule.remove, ...req.deleted.map((f) => containerPath(req.rule, f))]);
        if (r.status !== 0) throw new ClusterError('sync', `removing the deleted files in ${pod.name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`, 'the next change retries; a pod that keeps failing is replaced by a rebuild');
      }
    }),
  );
  // The marker's presence is what counts (release/sync-marker.ts): a pod marked by an earlier sync keeps
  // the time of its first one, and an edit costs no third kubectl call.
  const unmarked = pods.filter((p) => p.annotations[SYNC_ANNOTATION] === undefined).map((p) => p.name);
  if (unmarked.length === 0) return pods.map((p) => p.name);
  const marked = await kube(children, k, ['annotate', 'pod', '--overwrite', ...unmarked, `${SYNC_ANNOTATION}=${new Date().toISOString()}`]);
  if (marked.status !== 0) throw new ClusterError('sync', `could not mark the synced pods (${SYNC_ANNOTATION}): ${marked.stderr.trim()}`, 'check your access to pods in the namespace (`kubectl auth can-i patch pods`)');
  return pods.map((p) => p.name);
}
