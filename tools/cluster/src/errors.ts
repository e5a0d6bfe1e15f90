/**
 * Every failure the user can act on is a ClusterError: which step failed, why, and what to do next
 * (the kind CLI's habit). The CLI prints it as three lines and exits 1; nothing else prints a stack.
 */
export class ClusterError extends Error {
  constructor(
    readonly step: string,
    readonly cause: string,
    readonly fix: string,
  ) {
    super(`${step}: ${cause}\n  fix: ${fix}`);
    this.name = 'ClusterError';
  }

  format(): string {
    return `cluster: error in step "${this.step}"\n  cause: ${this.cause}\n  fix:   ${this.fix}`;
  }
}

export const dockerNotRunning = (detail: string) =>
  new ClusterError(
    'preflight: docker',
    `the Docker daemon is not reachable (${detail.trim().split('\n').slice(-1)[0] || 'docker info failed'})`,
    'start Docker (Docker Desktop, or `sudo systemctl start docker` on Linux) and check that `docker info` works for this user',
  );

export const portInUse = (port: number, address: string, envVar: string) =>
  new ClusterError(
    'preflight: ports',
    `host port ${address}:${port} is already in use, and kind maps the ingress there`,
    `stop whatever listens on it (\`sudo lsof -iTCP:${port} -sTCP:LISTEN\`) or pick another port: ${envVar}=${port === 443 ? 8443 : 8080} nx run cluster:cluster-up`,
  );

export const toolMissing = (tool: string, detail: string) =>
  new ClusterError(
    `tools: ${tool}`,
    `${tool} is not on PATH and could not be installed into .tools/bin (${detail})`,
    `run \`nx run cluster:tools\` (TOOLS_MIRROR=<url> for a mirror), install ${tool} yourself, or point ${tool.toUpperCase()}_BIN at a binary`,
  );

export const clusterMissing = (name: string, kind: string) =>
  new ClusterError(
    'cluster',
    `${kind} cluster "${name}" does not exist`,
    `create it: nx run cluster:cluster-up${name === 'todo' ? '' : ` (KIND_CLUSTER_NAME=${name})`}`,
  );
