/**
 * The Docker CLI as the image executors use it: the client binary and its environment, `image inspect`,
 * and the names containerd gives a reference. The rest of what they know about images is beside it:
 * key.ts (the content key), tags.ts, source.ts (commit and source labels), record.ts (dist/images/*.json),
 * base-images.ts.
 */
import { existsSync } from 'node:fs';
import { ClusterError, Runner, capture } from '@todo/cluster';

/**
 * The docker client: $DOCKER, else Debian's /usr/bin/docker (BuildKit-capable; a newer client on PATH
 * may lack buildx), else `docker` on PATH.
 */
export function dockerBin(): string {
  if (process.env.DOCKER) return process.env.DOCKER;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export function dockerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_BUILDKIT: '1' };
}

export interface InspectedImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests?: string[] | null;
  Size: number;
  Created: string;
  Config: { Labels: Record<string, string> | null; User: string; ExposedPorts?: Record<string, unknown> };
}

/** `docker image inspect` of one reference; undefined when the daemon does not have it. Throws when Docker is unusable. */
export function inspectImage(ref: string, docker = dockerBin(), runner: Runner = capture): InspectedImage | undefined {
  const r = runner(docker, ['image', 'inspect', ref]);
  if (r.status === 0) return (JSON.parse(r.stdout) as InspectedImage[])[0];
  if (/no such image/i.test(r.stderr)) return undefined;
  throw new ClusterError(
    'docker',
    `Docker is not usable (${docker}: ${(r.stderr || r.stdout).trim().split('\n')[0] || 'no output'})`,
    'start the daemon (on the CI machines: bash .ci/start-docker.sh) or set DOCKER to a working client',
  );
}

/** containerd's names for a Docker reference (docker.io/library/ for official-style names). */
export function containerdNames(ref: string): string[] {
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return [ref];
  return ref.includes('/') ? [ref, `docker.io/${ref}`] : [ref, `docker.io/library/${ref}`];
}
