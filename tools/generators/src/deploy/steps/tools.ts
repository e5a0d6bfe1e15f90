/** Step "tools": docker, kubectl, helm and the cluster's CLI found, or the pinned ones installed into .tools/bin. */
import type { DeployRun } from '../run';
import type { Step } from '../step';

export const toolsStep: Step<DeployRun> = {
  name: 'tools',
  async needed(run) {
    const missing = await run.findTools(false);
    if (missing.length) return { needed: true, reason: `${missing.join(', ')} not found (PATH, <TOOL>_BIN, .tools/bin): installing the pinned, checksum-verified versions into .tools/bin` };
    const t = run.tools;
    return { needed: false, reason: `docker, kubectl, helm ${t.helm.version}${t.kind ? ', kind' : ''}${t.minikube ? ', minikube' : ''} found` };
  },
  async run(run) {
    if (run.dryRun) {
      console.log('$ nx run cluster:tools  (dry run)');
      return true;
    }
    await run.findTools(true);
    return true;
  },
};
