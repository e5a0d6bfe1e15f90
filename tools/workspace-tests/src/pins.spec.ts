/**
 * One version per tool: what users install (tools/cluster/versions.json) and what the offline path
 * builds from the Go module proxy (scripts/go-tool.sh, tools/offline-kind/versions.env and its wrapper
 * module) must name the same kind, Helm 3, Traefik, metrics-server and kubectl, so the tests run what users get.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE } from './copy';

const read = (p: string) => readFileSync(join(WORKSPACE, p), 'utf8');
const clusterVersions = JSON.parse(read('tools/cluster/versions.json'));
const offlineEnv = Object.fromEntries(
  read('tools/offline-kind/versions.env')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=(\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2]]),
);

/** The version scripts/go-tool.sh builds a tool at (`<tool>) ... ver=vX.Y.Z;`). */
function goToolVersion(tool: string): string {
  const m = new RegExp(`^\\s*${tool}\\)[^\\n]*\\bver=(v[0-9.]+);`, 'm').exec(read('scripts/go-tool.sh'));
  if (!m) throw new Error(`scripts/go-tool.sh has no ${tool}) case with ver=...`);
  return m[1];
}

describe('pinned tool versions agree between the user path and the offline build', () => {
  it('kind', () => {
    expect({ 'go-tool.sh': goToolVersion('kind') }).toEqual({ 'go-tool.sh': clusterVersions.tools.kind.version });
  });

  it('Helm 3', () => {
    expect({ 'go-tool.sh': goToolVersion('helm3') }).toEqual({ 'go-tool.sh': clusterVersions.tools.helm.version });
  });

  it('Traefik: the official image tag, offline-kind versions.env and the wrapper module', () => {
    const tag = /:(v[0-9.]+)$/.exec(clusterVersions.traefik.image)?.[1];
    expect({ 'offline-kind TRAEFIK_VERSION': offlineEnv.TRAEFIK_VERSION }).toEqual({ 'offline-kind TRAEFIK_VERSION': tag });
    expect(read('tools/offline-kind/go/traefik/go.mod')).toMatch(new RegExp(`^require github\\.com/traefik/traefik/v3 ${tag?.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('metrics-server: the official image tag and offline-kind versions.env (a 0.8 release the Go module proxy serves)', () => {
    const tag = /^registry\.k8s\.io\/metrics-server\/metrics-server:(v0\.8\.[0-9]+)$/.exec(clusterVersions.metricsServer.image)?.[1];
    expect({ 'offline-kind METRICS_SERVER_VERSION': offlineEnv.METRICS_SERVER_VERSION }).toEqual({ 'offline-kind METRICS_SERVER_VERSION': tag ?? clusterVersions.metricsServer.image });
  });

  it('kubectl and the offline node: the same Kubernetes release', () => {
    expect({ 'offline-kind K8S_VERSION': offlineEnv.K8S_VERSION }).toEqual({ 'offline-kind K8S_VERSION': clusterVersions.tools.kubectl.version });
  });

  it('the local registry: the offline build is the Distribution release line the official image runs', () => {
    const major = /^docker\.io\/library\/registry:(\d+)$/.exec(clusterVersions.registry.image)?.[1];
    const built = goToolVersion('registry');
    expect({ 'go-tool.sh registry': built.split('.')[0] }).toEqual({ 'go-tool.sh registry': `v${major}` });
    expect(built).toMatch(/^v3\.1\.\d+$/);
    expect(read('scripts/go-tool.sh')).toMatch(/registry\)\s+pkg=github\.com\/distribution\/distribution\/v3\/cmd\/registry;/);
  });

  it('the kind node image is the Kubernetes minor the offline node runs', () => {
    const minor = (v: string) => /^v?(\d+\.\d+)\./.exec(v)?.[1];
    const node = /^kindest\/node:(v[0-9.]+)@sha256:[0-9a-f]{64}$/.exec(clusterVersions.kindNodeImage)?.[1] ?? 'unpinned';
    expect(minor(node)).toBe(minor(offlineEnv.K8S_VERSION));
  });
});
