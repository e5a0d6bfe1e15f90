/* The dev-loop suite's cluster is shared by its files (dev-loop.sequencer.js): deleted once, after the last (on failure too). */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function deleteDevLoopCluster() {
  const root = join(__dirname, '../..');
  const kind = spawnSync('bash', ['scripts/go-tool.sh', 'kind'], { cwd: root, encoding: 'utf8' }).stdout.trim().split('\n').pop();
  if (!kind) return;
  // Its own kubeconfig (the files' copies are gone by now): never the user's.
  spawnSync(kind, ['delete', 'cluster', '--name', 'todo-dev-e2e', '--kubeconfig', join(require('node:os').tmpdir(), 'todo-dev-e2e-teardown.kubeconfig')], { stdio: 'inherit' });
  // The cluster's local registry (the deploy's copyEnv names it <cluster>-registry): a container beside the nodes.
  spawnSync(process.env.DOCKER || '/usr/bin/docker', ['rm', '-f', 'todo-dev-e2e-registry'], { stdio: 'ignore' });
};
