/**
 * Step "build <service>": the service image is in the Docker daemon under its content tag (the key
 * over its inputs), else it is built. The daemon is asked once per run (DeployRun.daemonImage): a
 * skipped build is recorded from that same answer. `force` (the dashboard's "rebuild" button: the
 * user asked for it, e.g. doubting what the daemon holds) builds anyway; Docker's layer cache keeps
 * that quick when nothing changed.
 */
import type { DeployRun, ServiceImage } from '../run';
import type { Step } from '../step';

export function buildStep(image: ServiceImage, force?: string): Step<DeployRun> {
  return {
    name: `build ${image.service}`,
    needed(run) {
      const { contentRef } = run.plan(image);
      if (force) return { needed: true, reason: `${force}: building ${contentRef} again (Docker's layer cache keeps unchanged layers)` };
      const ahead = run.buildingAhead(image);
      if (ahead === 'checks') return { needed: true, reason: `${contentRef} is not in the Docker daemon: building ${image.project} (started in the background with the checks: waiting for it)` };
      if (ahead) return { needed: true, reason: `${contentRef} is being built in the background (while the cluster was created): waiting for it` };
      return run.daemonImage(image)
        ? { needed: false, reason: `${contentRef} is in the Docker daemon (its inputs are unchanged)` }
        : { needed: true, reason: `${contentRef} is not in the Docker daemon: building ${image.project}` };
    },
    async run(run) {
      await run.build(image, !!force);
      return true;
    },
  };
}
