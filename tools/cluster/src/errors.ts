/**
 * The platform's one family of errors: every failure the user can act on says which step failed, why,
 * and what to do next (the kind CLI's habit). PlatformError is the base; the family is
 *
 *   ClusterError        a step of the cluster, the deploy or a Day-2 target (message: step, cause, fix)
 *   OptionError         a generator's or executor's option (@todo/generators; message: one line, cause and fix)
 *   TemplateInputError  a template's input (@todo/k8s-templates; message: one line naming the field)
 *
 * Whoever prints a failure tests for PlatformError: one of ours prints as text (describe(): a ClusterError
 * on three lines, the one-line members as their message), anything else is a bug and keeps its stack.
 */
export class PlatformError extends Error {
  constructor(
    readonly step: string,
    readonly cause: string,
    readonly fix: string,
    message = `${step}: ${cause}\n  fix: ${fix}`,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** What the deploy prints after "deploy: ": the message (a one-line member says cause and fix in it). */
  describe(): string {
    return this.message;
  }
}

/** A failed step of the cluster, the deploy or a Day-2 target: described on three lines. */
export class ClusterError extends PlatformError {
  constructor(step: string, cause: string, fix: string) {
    super(step, cause, fix);
  }

  describe(): string {
    return `error in step "${this.step}"\n  cause: ${this.cause}\n  fix:   ${this.fix}`;
  }

  /** The CLI's three lines (exit 1, no stack). */
  format(): string {
    return `cluster: ${this.describe()}`;
  }
}

/**
 * The fix every download failure names (a tool, a node image, a base image): on a machine with package
 * registries but no download site or container registry, --offline builds all of it from them.
 */
export const OFFLINE_FIX = 'with no download site or container registry (package registries only): npx nx run todo:deploy-local --offline builds everything from them';

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
    `run \`nx run cluster:tools\` (TOOLS_MIRROR=<url> for a mirror), install ${tool} yourself, or point ${tool.toUpperCase()}_BIN at a binary; ${OFFLINE_FIX}`,
  );

export const clusterMissing = (name: string, kind: string) =>
  new ClusterError(
    'cluster',
    `${kind} cluster "${name}" does not exist`,
    `create it: nx run cluster:cluster-up${name === 'todo' ? '' : ` (KIND_CLUSTER_NAME=${name})`}`,
  );
