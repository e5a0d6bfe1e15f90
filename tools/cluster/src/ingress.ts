/**
 * The ingress controller, pluggable: every *.yaml in INGRESS_MANIFESTS (default tools/cluster/manifests/traefik)
 * is applied with @TRAEFIK_IMAGE@ replaced by TRAEFIK_IMAGE (default versions.json traefik.image, the official
 * image), then each Deployment in them is waited for. Tests point TRAEFIK_IMAGE at the offline-kind build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, versions } from './versions';

export interface IngressManifests {
  yaml: string;
  /** "<namespace>/<name>" of every Deployment, to wait for */
  deployments: string[];
}

export function ingressManifests(env: NodeJS.ProcessEnv = process.env): IngressManifests {
  const dir = env.INGRESS_MANIFESTS || join(PROJECT_ROOT, 'manifests', 'traefik');
  const image = env.TRAEFIK_IMAGE || versions.traefik.image;
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no *.yaml in INGRESS_MANIFESTS=${dir}`);
  const yaml = files.map((f) => readFileSync(join(dir, f), 'utf8').replace(/@TRAEFIK_IMAGE@/g, image)).join('\n---\n');
  return { yaml, deployments: deploymentsIn(yaml) };
}

export function deploymentsIn(yaml: string): string[] {
  const out: string[] = [];
  for (const doc of yaml.split(/^---\s*$/m)) {
    if (!/^kind:\s*Deployment\s*$/m.test(doc)) continue;
    const meta = /^metadata:\s*\n((?:[ \t]+.*\n?)*)/m.exec(doc)?.[1] ?? '';
    const name = /^\s+name:\s*"?([^"\s]+)/m.exec(meta)?.[1];
    const ns = /^\s+namespace:\s*"?([^"\s]+)/m.exec(meta)?.[1] ?? 'default';
    if (name) out.push(`${ns}/${name}`);
  }
  return out;
}
