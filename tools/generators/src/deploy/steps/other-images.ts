/**
 * Step "other images": the images the chart uses that we don't build (the database) are loaded into
 * the kind nodes or pushed to the registry when the Docker daemon has them and the cluster lacks them
 * (image-presence.ts); otherwise the cluster pulls them.
 */
import { inspectImage } from '../../images/docker';
import { OtherImage, effectiveValues, thirdPartyImages } from '../../release/values';
import type { DeployRun } from '../run';
import type { Step } from '../step';
import { nodesMissing, registryHas } from './image-presence';

/** The other images the Docker daemon has and the cluster lacks, and those the cluster will pull. */
async function otherImagesToLoad(run: DeployRun): Promise<{ todo: OtherImage[]; present: OtherImage[]; pulled: OtherImage[] }> {
  const images = thirdPartyImages(effectiveValues(run.valuesFiles, run.sets));
  const local = images.map((i) => ({ image: i, found: inspectImage(i.ref, run.tools.docker, run.runner) ?? inspectImage(i.source, run.tools.docker, run.runner) }));
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
    // Each transfer without blocking the process (DeployRun.streamAsync: the dev loop syncs meanwhile).
    for (const i of todo) {
      if (!run.registry) {
        if ((await run.streamAsync(run.tools.kind!, ['load', 'docker-image', i.ref, '--name', run.cluster.name])) !== 0) return false;
        continue;
      }
      if (i.ref !== i.source && !inspectImage(i.ref, run.tools.docker, run.runner) && run.runner(run.tools.docker, ['tag', i.source, i.ref]).status !== 0) return false;
      if ((await run.streamAsync(run.tools.docker, ['push', i.ref])) !== 0) return false;
    }
    return true;
  },
};
