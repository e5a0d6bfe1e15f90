/**
 * minikube, as commands. minikube cannot start on our test machines (its base image comes from a
 * container registry), so this path is covered by unit tests of exactly these commands
 * (minikube.spec.ts) and by docs/cluster.md. Profile "todo" gives kube context "todo".
 *
 * Ingress: the same Traefik manifests as kind (manifests/traefik, NodePorts 30080/30443), not the ingress
 * addon (that addon is ingress-nginx, retired in March 2026); `--ports` publishes the NodePorts on the
 * host's loopback with the docker driver. Encryption at rest: minikube copies $MINIKUBE_HOME/files/<path>
 * into the node at <path> on start, and /var/lib/minikube/certs is already mounted into the API server pod.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureEncryptionConfig } from './encryption';
import { must, Runner } from './exec';
import { ingressManifests } from './ingress';
import { INGRESS_NODE_PORTS } from './kind-config';
import { versions } from './versions';

export interface MinikubeOptions {
  profile: string;
  cpus: number;
  memoryMb: number;
  kubernetesVersion: string;
  driver: string;
  httpPort: number;
  httpsPort: number;
  listenAddress: string;
}

export function minikubeOptions(profile: string, env: NodeJS.ProcessEnv = process.env): MinikubeOptions {
  return {
    profile,
    cpus: Number(env.MINIKUBE_CPUS || versions.minikube.cpus),
    memoryMb: Number(env.MINIKUBE_MEMORY || versions.minikube.memoryMb),
    kubernetesVersion: env.MINIKUBE_KUBERNETES_VERSION || versions.minikube.kubernetesVersion,
    driver: env.MINIKUBE_DRIVER || 'docker',
    httpPort: Number(env.KIND_HTTP_PORT || 80),
    httpsPort: Number(env.KIND_HTTPS_PORT || 443),
    listenAddress: env.CLUSTER_LISTEN_ADDRESS || '127.0.0.1',
  };
}

/** In the minikube node; under /var/lib/minikube/certs, which minikube mounts into kube-apiserver. */
export const MINIKUBE_ENCRYPTION_FILE = '/var/lib/minikube/certs/encryption/config.yaml';

/** Where to put the EncryptionConfiguration so minikube syncs it to MINIKUBE_ENCRYPTION_FILE. */
export function minikubeFilesPath(minikubeHome: string): string {
  return join(minikubeHome, 'files', MINIKUBE_ENCRYPTION_FILE);
}

export function minikubeStartArgs(o: MinikubeOptions): string[] {
  const args = [
    'start',
    `--profile=${o.profile}`,
    `--driver=${o.driver}`,
    `--kubernetes-version=${o.kubernetesVersion}`,
    `--cpus=${o.cpus}`,
    `--memory=${o.memoryMb}`,
    `--extra-config=apiserver.encryption-provider-config=${MINIKUBE_ENCRYPTION_FILE}`,
    '--addons=storage-provisioner,default-storageclass',
    '--wait=all',
  ];
  if (o.driver === 'docker' || o.driver === 'podman') {
    args.push(`--ports=${o.listenAddress}:${o.httpPort}:${INGRESS_NODE_PORTS.http}`, `--ports=${o.listenAddress}:${o.httpsPort}:${INGRESS_NODE_PORTS.https}`);
  }
  return args;
}

export const minikubeImageLoadArgs = (profile: string, image: string) => ['image', 'load', image, `--profile=${profile}`];
export const minikubeStatusArgs = (profile: string) => ['status', `--profile=${profile}`, '--output=json'];
export const minikubeDeleteArgs = (profile: string) => ['delete', `--profile=${profile}`];

/** The whole `cluster-up` for minikube, in order (kubectl steps apply the same Traefik manifests as kind). */
export function minikubeUpPlan(o: MinikubeOptions, minikubeHome: string, traefikManifest: string): string[][] {
  return [
    ['install', '-D', '-m', '0600', '<encryption config>', minikubeFilesPath(minikubeHome)],
    ['minikube', ...minikubeStartArgs(o)],
    ['kubectl', '--context', o.profile, 'apply', '-f', traefikManifest],
    ['kubectl', '--context', o.profile, '-n', 'traefik', 'rollout', 'status', 'deployment/traefik', '--timeout=180s'],
  ];
}

/**
 * cluster-up for minikube: the encryption config synced into the node, `minikube start`, then the same
 * ingress manifests as kind, waited for. The deploy's cluster step calls this directly.
 */
export async function minikubeUp(
  target: { name: string; context: string },
  tools: { minikube: string; kubectl: string },
  runner: Runner,
  log: (m: string) => void,
): Promise<void> {
  const o = minikubeOptions(target.name);
  const enc = ensureEncryptionConfig(target.name);
  const home = process.env.MINIKUBE_HOME || join(homedir(), '.minikube');
  const dest = minikubeFilesPath(home);
  mkdirSync(join(dest, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(dest, readFileSync(enc.file), { mode: 0o600 });
  must(runner, 'minikube start', `\`minikube logs --profile=${o.profile}\`; \`minikube delete --profile=${o.profile}\` and retry; lower MINIKUBE_MEMORY/MINIKUBE_CPUS if the machine is small`, tools.minikube, minikubeStartArgs(o), { inherit: true, timeoutMs: 1_200_000 });
  const ing = ingressManifests();
  must(runner, 'ingress: apply', 'kubectl get events -A', tools.kubectl, ['--context', target.context, 'apply', '-f', '-'], { input: ing.yaml });
  for (const d of ing.deployments) {
    const [ns, n] = d.split('/');
    must(runner, `ingress: wait for ${d}`, `kubectl --context ${target.context} -n ${ns} describe deployment/${n}`, tools.kubectl, ['--context', target.context, '-n', ns, 'rollout', 'status', `deployment/${n}`, '--timeout=180s']);
  }
  log(`minikube profile "${o.profile}" ready (context ${target.context}); load images with: minikube image load <image> --profile=${o.profile}`);
}
