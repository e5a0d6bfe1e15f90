/**
 * Step "build <service>": the service image is in the Docker daemon under its content tag (the key
 * over its inputs), else it is built. The daemon is asked once per run (DeployRun.daemonImage): a
 * skipped build is recorded from that same answer.
 */
import type { DeployRun, ServiceImage } from '../run';
import type { Step } from '../step';

export function buildStep(image: ServiceImage): Step<DeployRun> {
  return {
    name: `build ${image.service}`,
    needed(run) {
      const { contentRef } = run.plan(image);
      return run.daemonImage(image)
        ? { needed: false, reason: `${contentRef} is in the Docker daemon (its inputs are unchanged)` }
        : { needed: true, reason: `${contentRef} is not in the Docker daemon: building ${image.project}` };
    },
    run(run) {
      run.build(image);
      return true;
    },
  };
}
