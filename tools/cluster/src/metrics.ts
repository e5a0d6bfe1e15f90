/**
 * The cluster's resource metrics API (metrics.k8s.io): metrics-server, applied by cluster-up from
 * manifests/metrics-server with @METRICS_SERVER_IMAGE@ replaced by METRICS_SERVER_IMAGE (default
 * versions.json metricsServer.image, the official image). `kubectl top`, the chart's
 * HorizontalPodAutoscaler and `nx run todo:status-<env>` read it. Offline, offline-kind builds the image
 * from the Go module proxy and cluster-up loads it into the nodes (KIND_LOAD_IMAGES).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from './exec';
import { PROJECT_ROOT, versions } from './versions';

export const METRICS_SERVER = { namespace: 'kube-system', deployment: 'metrics-server' } as const;

export function metricsServerManifest(env: NodeJS.ProcessEnv = process.env): string {
  const image = env.METRICS_SERVER_IMAGE || versions.metricsServer.image;
  return readFileSync(join(PROJECT_ROOT, 'manifests', 'metrics-server', 'metrics-server.yaml'), 'utf8').replace(/@METRICS_SERVER_IMAGE@/g, image);
}

/** Images to copy from the local Docker daemon into every node (`kind load docker-image`): KIND_LOAD_IMAGES, space-separated. */
export function imagesToLoad(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KIND_LOAD_IMAGES ?? '').split(/\s+/).filter(Boolean);
}

export interface MetricsApi {
  available: boolean;
  detail: string;
}

/**
 * Whether the metrics API answers. A cluster without one (made before cluster-up installed
 * metrics-server, or a context cluster) is reported, never an error: callers print `detail`.
 */
export function metricsApi(kubectl: string, scope: string[], runner: Runner): MetricsApi {
  const r = runner(kubectl, [...scope, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'], { timeoutMs: 30_000 });
  if (r.status === 0) return { available: true, detail: 'metrics.k8s.io answers' };
  const why = r.stderr.trim().split('\n').pop() || `kubectl exited ${r.status}`;
  return { available: false, detail: `not available (${why}); \`nx run cluster:cluster-up\` installs metrics-server on a kind cluster` };
}
