/**
 * Whether the cluster already has an image, by where it gets it: a kind node's containerd (the exact
 * image id under one of its names; DeployRun.nodeImages) or the environment's registry (this image's
 * digest under the tag). The load and other-images steps ask before they load or push.
 */
import { containerdNames } from '../../images/docker';
import type { DeployRun } from '../run';

/** kind nodes lacking `ref` with image id `id` (any id when undefined). */
export function nodesMissing(run: DeployRun, ref: string, id: string | undefined): string[] {
  const names = containerdNames(ref);
  return run.nodes().filter((n) => !run.nodeImages(n).some((i) => (!id || i.id === id) && i.repoTags.some((t) => names.includes(t))));
}

/** True when the registry serves `ref` with one of the local image's digests. */
export async function registryHas(ref: string, localDigests: string[]): Promise<boolean> {
  const m = /^([^/]+)\/(.+):([^:@]+)$/.exec(ref);
  if (!m) return false;
  const [, host, repo, tag] = m;
  const scheme = /^(localhost|127\.0\.0\.1)(:|$)/.test(host) ? 'http' : 'https';
  try {
    // localhost may resolve to ::1 first, while a local registry publishes on 127.0.0.1.
    const address = host.replace(/^localhost(?=:|$)/, '127.0.0.1');
    const res = await fetch(`${scheme}://${address}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      signal: AbortSignal.timeout(5000),
    });
    const digest = res.headers.get('docker-content-digest');
    return res.ok && !!digest && localDigests.includes(`${host}/${repo}@${digest}`);
  } catch {
    return false;
  }
}
