/**
 * Steps "load <service>" and "other images": the cluster can run the images. kind nodes get them with
 * `kind load` when their containerd lacks the exact image id (DeployRun.nodeImages); minikube with
 * `minikube image load`; an environment with a registry gets a push unless the registry already has
 * this image's digest under the tag. "other images" does the same for images the chart uses that we
 * don't build (the database), when the Docker daemon has them; otherwise the cluster pulls them.
 */
import { ClusterError, capture, minikubeImageLoadArgs, stream } from '@todo/cluster';
import { containerdNames, inspectImage } from '../../images/docker';

export { containerdNames };
import { OtherImage, effectiveValues, thirdPartyImages } from '../../release/values';
import type { DeployRun, ServiceImage } from '../run';
import type { Step } from '../step';

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

export function loadStep(image: ServiceImage): Step<DeployRun> {
  const target = (run: DeployRun) => {
    const record = run.record(image)!;
    return run.registry ? `${run.registry}/${record.image}:${record.contentTag}` : record.ref;
  };
  return {
    name: `load ${image.service}`,
    async needed(run) {
      const record = run.record(image);
      if (!record) return { needed: true, reason: `load ${image.build.image} (dry run: not checked)` };
      const ref = target(run);
      if (run.registry) {
        const local = inspectImage(ref, run.tools.docker) ?? inspectImage(record.ref, run.tools.docker);
        if (await registryHas(ref, local?.RepoDigests ?? [])) return { needed: false, reason: `${ref} is in the registry with this image's digest` };
        return { needed: true, reason: `push ${ref} to ${run.registry}` };
      }
      if (run.cluster.type === 'minikube') {
        const ls = capture(run.tools.minikube!, ['image', 'ls', `--profile=${run.cluster.name}`]).stdout.split('\n').map((s) => s.trim());
        return containerdNames(ref).some((n) => ls.includes(n)) ? { needed: false, reason: `minikube already has ${ref}` } : { needed: true, reason: `minikube image load ${ref}` };
      }
      if (run.cluster.type !== 'kind') throw new ClusterError(`load ${image.service}`, `environment ${run.name} deploys to an existing cluster (${run.kubeContext}) without a registry, so its nodes cannot get ${ref}`, `give the environment a registry: npx nx g env ${run.name} --force --cluster=${run.env.cluster} --registry=<registry>`);
      const missing = nodesMissing(run, ref, record.id);
      return missing.length
        ? { needed: true, reason: `node ${missing.join(', ')} lacks ${ref} (${record.id.slice(7, 19)}): kind load` }
        : { needed: false, reason: `the node already has ${ref} (${record.id.slice(7, 19)})` };
    },
    run(run) {
      const record = run.record(image);
      if (run.dryRun || !record) {
        console.log(`$ kind load docker-image ${image.build.image}:<content tag> --name ${run.cluster.name}  (dry run)`);
        return true;
      }
      const ref = target(run);
      if (run.registry) {
        if (capture(run.tools.docker, ['tag', record.ref, ref]).status !== 0) return false;
        if (stream(run.tools.docker, ['push', ref]) !== 0) {
          throw new ClusterError(`push ${image.service}`, `docker push ${ref} failed`, `log in (\`docker login ${run.registry}\`) and check that the registry is reachable; a local registry must be in Docker's insecure-registries unless it is localhost`);
        }
        return true;
      }
      if (run.cluster.type === 'minikube') return stream(run.tools.minikube!, minikubeImageLoadArgs(run.cluster.name, ref)) === 0;
      if (stream(run.tools.kind!, ['load', 'docker-image', ref, '--name', run.cluster.name]) !== 0) {
        run.forgetNodeImages();
        return false;
      }
      run.loadedIntoNodes(record.id, containerdNames(ref));
      return true;
    },
  };
}

/** The other images the Docker daemon has and the cluster lacks, and those the cluster will pull. */
async function otherImagesToLoad(run: DeployRun): Promise<{ todo: OtherImage[]; present: OtherImage[]; pulled: OtherImage[] }> {
  const images = thirdPartyImages(effectiveValues(run.valuesFiles, run.sets));
  const local = images.map((i) => ({ image: i, found: inspectImage(i.ref, run.tools.docker) ?? inspectImage(i.source, run.tools.docker) }));
  const todo: OtherImage[] = [];
  for (const { image, found } of local) {
    if (!found) continue;
    const missing = run.registry ? !(await registryHas(image.ref, found.RepoDigests ?? [])) : nodesMissing(run, image.ref, found.Id).length > 0;
    if (missing) todo.push(image);
  }
  return { todo, present: local.filter((l) => l.found).map((l) => l.image), pulled: local.filter((l) => !l.found).map((l) => l.image) };
}

export const otherImagesStep: Step<DeployRun> = {
  name: 'other images',
  async needed(run) {
    const images = thirdPartyImages(effectiveValues(run.valuesFiles, run.sets));
    if (images.length === 0) return { needed: false, reason: 'none' };
    if ((run.cluster.type !== 'kind' && !run.registry) || run.dryRun) return { needed: false, reason: `the cluster pulls ${images.map((i) => i.ref).join(', ')}` };
    const { todo, present, pulled } = await otherImagesToLoad(run);
    const also = pulled.length ? `; the cluster pulls ${pulled.map((i) => i.ref).join(', ')}` : '';
    return todo.length
      ? { needed: true, reason: `${run.registry ? 'push' : 'kind load'} ${todo.map((i) => i.ref).join(', ')} from the Docker daemon${also}` }
      : { needed: false, reason: `${present.map((i) => i.ref).join(', ') || 'nothing'} already ${run.registry ? 'in the registry' : 'on the node'}${also}` };
  },
  async run(run) {
    const { todo } = await otherImagesToLoad(run);
    run.forgetNodeImages();
    return todo.every((i) => {
      if (!run.registry) return stream(run.tools.kind!, ['load', 'docker-image', i.ref, '--name', run.cluster.name]) === 0;
      if (i.ref !== i.source && !inspectImage(i.ref, run.tools.docker) && capture(run.tools.docker, ['tag', i.source, i.ref]).status !== 0) return false;
      return stream(run.tools.docker, ['push', i.ref]) === 0;
    });
  },
};
