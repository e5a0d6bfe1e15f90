/** Step "namespace": the environment's namespace exists, labelled for restricted Pod Security. */
import { render } from '@todo/k8s-templates';
import { lastLine } from '@todo/cluster';
import type { DeployRun } from '../run';
import type { Step } from '../step';

export const namespaceStep: Step<DeployRun> = {
  name: 'namespace',
  needed(run) {
    if (run.dryRun) return { needed: true, reason: `ensure namespace ${run.namespace} (dry run: not checked)` };
    const r = run.kubectl(['get', 'namespace', run.namespace, '-o', 'json']);
    if (r.status !== 0)
      return { needed: true, reason: /NotFound|not found/.test(r.stderr) ? `create namespace ${run.namespace}` : `cannot read namespace ${run.namespace}: ${lastLine(r.stderr)}` };
    const labels = (JSON.parse(r.stdout).metadata?.labels ?? {}) as Record<string, string>;
    return labels['pod-security.kubernetes.io/enforce'] === 'restricted'
      ? { needed: false, reason: `namespace ${run.namespace} exists with restricted Pod Security` }
      : { needed: true, reason: `label namespace ${run.namespace} for restricted Pod Security` };
  },
  run(run) {
    const manifest = render('k8s/namespace.yaml', { name: run.namespace, environment: run.name });
    return run.execOrPrint(run.tools.kubectl, [...run.target.kubectlContext, 'apply', '-f', '-'], manifest);
  },
};
