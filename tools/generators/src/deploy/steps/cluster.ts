/**
 * Step "cluster": the environment's cluster exists, runs and has its ingress controller. kind and
 * minikube are created or repaired through @todo/cluster (the code `nx run cluster:cluster-up` runs);
 * an existing context is only checked (its ingress and storage belong to whoever runs it).
 */
import { ClusterError, Runner, ingressManifests, kindUp, lastLine, minikubeUp, registryGap } from '@todo/cluster';
import type { DeployRun } from '../run';
import type { Step, StepCheck } from '../step';

const kindNode = (run: DeployRun) => `${run.cluster.name}-control-plane`;
const log = (m: string) => console.log(`cluster: ${m}`);
/** The run's runner with @todo/cluster's 10-minute ceiling (its `run`): kind create and the waits are bounded. */
const bounded = (run: DeployRun): Runner => (cmd, args, opts = {}) => run.runner(cmd, args, { timeoutMs: 600_000, ...opts });

export const clusterStep: Step<DeployRun> = {
  name: 'cluster',
  needed(run): StepCheck {
    const c = run.cluster;
    if (run.dryRun) return { needed: true, reason: `ensure ${c.type} cluster ${c.name} (dry run: not checked)` };
    if (c.type === 'context') {
      const r = run.kubectl(['get', '--raw', '/readyz']);
      if (r.status !== 0)
        throw new ClusterError('cluster', `kube context "${c.context}" is not reachable: ${lastLine(r.stderr)}`, '`kubectl config get-contexts` lists the contexts; fix "cluster" in environments.json or your kubeconfig');
      return { needed: false, reason: `context ${c.context} reachable (ingress and storage are the cluster owner's)` };
    }
    if (c.type === 'minikube') {
      const r = run.runner(run.tools.minikube!, ['status', `--profile=${c.name}`, '--output=json']);
      return r.status === 0 ? { needed: false, reason: `minikube profile ${c.name} running` } : { needed: true, reason: `minikube profile ${c.name} is not running: starting it` };
    }
    const clusters = run.runner(run.tools.kind!, ['get', 'clusters']);
    if (clusters.status !== 0) throw new ClusterError('cluster', `\`kind get clusters\` failed: ${lastLine(clusters.stderr)}`, 'check that Docker runs and kind works (`kind get clusters`)');
    if (!clusters.stdout.split('\n').map((s) => s.trim()).includes(c.name)) return { needed: true, reason: `kind cluster ${c.name} does not exist: creating it` };
    const running = run.runner(run.tools.docker, ['inspect', '-f', '{{.State.Running}}', kindNode(run)]).stdout.trim();
    if (running !== 'true') return { needed: true, reason: `kind node ${kindNode(run)} is not running: starting it` };
    if (run.localRegistry) {
      const r = run.localRegistry;
      const gap = registryGap(r, run.nodes(), run.tools.docker, run.runner);
      if (gap === 'config-path') {
        run.withoutLocalRegistry();
        log(`${c.name} was created without the local registry (containerd's config_path is set only at creation): images go by \`kind load\`. To move them by layer: npx nx run cluster:cluster-down, then deploy again (or --localRegistry=false to keep kind load and stop this note)`);
      } else if (gap) return { needed: true, reason: `the local registry ${r.name} (localhost:${r.hostPort}) ${gap === 'container' ? 'is not running or not on the kind network' : 'is not configured on every node'}: repairing` };
    }
    // The ingress controller's Deployments, as cluster-up installs them (INGRESS_MANIFESTS; Traefik by default).
    for (const d of ingressManifests().deployments) {
      const [ns, name] = d.split('/');
      const ing = run.kubectl(['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.status.readyReplicas}']);
      if (ing.status !== 0 || !(Number(ing.stdout) >= 1))
        return { needed: true, reason: `cluster ${c.name} exists but ${ing.status !== 0 ? `${d} cannot be read through context ${run.kubeContext} (${lastLine(ing.stderr)})` : `its ingress controller ${d} is not ready`}: repairing` };
    }
    return { needed: false, reason: `kind cluster ${c.name} running, ingress ready${run.localRegistry ? `, local registry localhost:${run.localRegistry.hostPort}` : ''}` };
  },
  async run(run) {
    const c = run.cluster;
    if (run.dryRun) {
      console.log(`$ nx run cluster:cluster-up --env=${run.name}  (dry run)`);
      return true;
    }
    // The images build while the cluster comes up (their build steps wait for them): neither needs the other.
    if (c.type === 'minikube') {
      run.buildAhead(log);
      await minikubeUp(c, { minikube: run.tools.minikube!, kubectl: run.tools.kubectl }, bounded(run), log);
      return true;
    }
    const node = run.runner(run.tools.docker, ['inspect', '-f', '{{.State.Running}}', kindNode(run)]).stdout.trim();
    if (node === 'false') {
      // A stopped node (after a reboot): start it rather than recreate it, which would lose the volumes.
      if (run.stream(run.tools.docker, ['start', kindNode(run)]) !== 0) return false;
    } else if (node !== 'true') run.buildAhead(log); // no node: kind creates the cluster, a cold deploy's longest wait
    await kindUp(run.kind!, { kind: run.tools.kind!, kubectl: run.tools.kubectl, docker: run.tools.docker }, bounded(run), log);
    return true;
  },
};
