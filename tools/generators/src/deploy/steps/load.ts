/**
 * Step "load <service>": the cluster can run the service's image. kind nodes get it with `kind load`
 * when their containerd lacks the exact image id (image-presence.ts); minikube with `minikube image
 * load`; an environment with a registry gets a push unless the registry already has this image's
 * digest under the tag.
 */
import { ClusterError, minikubeImageLoadArgs } from '@todo/cluster';
import { containerdNames, inspectImage } from '../../images/docker';
import type { DeployRun, ServiceImage } from '../run';
import type { Step } from '../step';
import { nodesMissing, registryHas } from './image-presence';

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
        const local = inspectImage(ref, run.tools.docker, run.runner) ?? inspectImage(record.ref, run.tools.docker, run.runner);
        if (await registryHas(ref, local?.RepoDigests ?? [])) return { needed: false, reason: `${ref} is in the registry with this image's digest` };
        return { needed: true, reason: `push ${ref} to ${run.registry}` };
      }
      if (run.cluster.type === 'minikube') {
        const ls = run.runner(run.tools.minikube!, ['image', 'ls', `--profile=${run.cluster.name}`]).stdout.split('\n').map((s) => s.trim());
        return containerdNames(ref).some((n) => ls.includes(n)) ? { needed: false, reason: `minikube already has ${ref}` } : { needed: true, reason: `minikube image load ${ref}` };
      }
      if (run.cluster.type !== 'kind') throw new ClusterError(`load ${image.service}`, `environment ${run.name} deploys to an existing cluster (${run.kubeContext}) without a registry, so its nodes cannot get ${ref}`, `give the environment a registry: npx nx g env ${run.name} --force --cluster=${run.env.cluster} --registry=<registry>`);
      const missing = nodesMissing(run, ref, record.id);
      return missing.length
        ? { needed: true, reason: `node ${missing.join(', ')} lacks ${ref} (${record.id.slice(7, 19)}): kind load` }
        : { needed: false, reason: `the node already has ${ref} (${record.id.slice(7, 19)})` };
    },
    async run(run) {
      const record = run.record(image);
      if (run.dryRun || !record) {
        console.log(`$ kind load docker-image ${image.build.image}:<content tag> --name ${run.cluster.name}  (dry run)`);
        return true;
      }
      const ref = target(run);
      if (run.registry) {
        if (run.runner(run.tools.docker, ['tag', record.ref, ref]).status !== 0) return false;
        if ((await run.streamAsync(run.tools.docker, ['push', ref])) !== 0) {
          throw new ClusterError(`push ${image.service}`, `docker push ${ref} failed`, `log in (\`docker login ${run.registry}\`) and check that the registry is reachable; a local registry must be in Docker's insecure-registries unless it is localhost`);
        }
        return true;
      }
      if (run.cluster.type === 'minikube') return (await run.streamAsync(run.tools.minikube!, minikubeImageLoadArgs(run.cluster.name, ref))) === 0;
      if ((await run.streamAsync(run.tools.kind!, ['load', 'docker-image', ref, '--name', run.cluster.name])) !== 0) {
        run.forgetNodeImages();
        return false;
      }
      run.loadedIntoNodes(record.id, containerdNames(ref));
      return true;
    },
  };
}
