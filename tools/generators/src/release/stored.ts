/**
 * What Helm stored about a release: its newest revision read from the release Secrets (status,
 * description, the workloads of its manifest), and the deploy digest kept in the description.
 *
 * The deploy digest (values.ts deployDigest) is kept in the revision's description: Helm replaces
 * the description on every upgrade or rollback made another way ("Upgrade complete", "Rollback to
 * 3"), while release labels are carried forward, so a label would survive a hand upgrade.
 */
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { ClusterError, RunResult, lastLine } from '@todo/cluster';

export const DIGEST_PREFIX = 'deploy-digest=';
export const digestOf = (description: string | undefined) => new RegExp(`${DIGEST_PREFIX}([0-9a-f]{40})`).exec(description ?? '')?.[1];

export interface StoredRelease {
  revision: number;
  status: string;
  labels: Record<string, string>;
  /** The revision's description (helm history's DESCRIPTION). */
  description: string;
  /** Deployment/StatefulSet names of the release manifest. */
  workloads: { kind: string; name: string }[];
}

/** Decodes Helm's release Secret (base64 of gzip'd JSON inside the Secret's base64). */
export function decodeRelease(secret: { metadata: { labels?: Record<string, string> }; data?: { release?: string } }): StoredRelease {
  const labels = secret.metadata.labels ?? {};
  let workloads: StoredRelease['workloads'] = [];
  let description = '';
  if (secret.data?.release) {
    const inner = Buffer.from(Buffer.from(secret.data.release, 'base64').toString('utf8'), 'base64');
    const json = JSON.parse((inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner) : inner).toString('utf8')) as { manifest?: string; info?: { description?: string } };
    description = json.info?.description ?? '';
    workloads = parseAllDocuments(json.manifest ?? '')
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((o): o is { kind: string; metadata: { name: string } } => !!o && (o.kind === 'Deployment' || o.kind === 'StatefulSet') && !!o.metadata?.name)
      .map((o) => ({ kind: o.kind, name: o.metadata.name }));
  }
  return { revision: Number(labels.version ?? 0), status: labels.status ?? 'unknown', labels, description, workloads };
}

/** The newest revision of the release, from its storage Secrets; undefined when never installed. */
export function latestRelease(kubectl: (args: string[]) => RunResult, release: string, namespace: string): StoredRelease | undefined {
  const r = kubectl(['-n', namespace, 'get', 'secret', '-l', `owner=helm,name=${release}`, '-o', 'json']);
  if (r.status !== 0) throw new ClusterError('helm release', `cannot read the release of ${release} in ${namespace}: ${lastLine(r.stderr)}`, 'check your access to Secrets in that namespace (`kubectl auth can-i get secrets -n <namespace>`)');
  const items = (JSON.parse(r.stdout) as { items: { metadata: { labels?: Record<string, string> } }[] }).items;
  const newest = items.sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
  return newest ? decodeRelease(newest as Parameters<typeof decodeRelease>[0]) : undefined;
}

/** Deployments/StatefulSets of the release that are missing or not fully Ready (empty when all are). */
export function notReady(kubectl: (args: string[]) => RunResult, namespace: string, workloads: StoredRelease['workloads']): string[] {
  if (workloads.length === 0) return [];
  const kinds = [...new Set(workloads.map((w) => w.kind.toLowerCase()))].join(',');
  const r = kubectl(['-n', namespace, 'get', kinds, '-o', 'json']);
  if (r.status !== 0) return [`cannot list workloads (${lastLine(r.stderr)})`];
  const live = (JSON.parse(r.stdout) as { items: { kind: string; metadata: { name: string }; spec: { replicas?: number }; status: { readyReplicas?: number } }[] }).items;
  const bad: string[] = [];
  for (const w of workloads) {
    const o = live.find((l) => l.kind === w.kind && l.metadata.name === w.name);
    if (!o) bad.push(`${w.kind} ${w.name} is missing`);
    else if ((o.status.readyReplicas ?? 0) < (o.spec.replicas ?? 1)) bad.push(`${w.kind} ${w.name} has ${o.status.readyReplicas ?? 0}/${o.spec.replicas ?? 1} ready`);
  }
  return bad;
}
