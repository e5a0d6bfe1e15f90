/** The pinned versions (versions.json) and paths of the cluster tool. */
import { join } from 'node:path';
import { homedir } from 'node:os';

export interface ToolSpec {
  version: string;
  baseUrl: string;
  /** path of the download below baseUrl; {version} {os} {arch} are filled in */
  file: string;
  /** path of the published checksum file below baseUrl ("<hex>" or "<hex>  <name>") */
  checksumFile: string;
  /** for archives: the binary's path inside the .tar.gz; null for plain binaries */
  archive: string | null;
  /** pinned SHA-256 of the download per "<os>-<arch>"; may be empty (see versions.json $comment) */
  sha256: Record<string, string>;
}

export interface Versions {
  kindNodeImage: string;
  traefik: { image: string };
  metricsServer: { image: string };
  registry: { image: string; name: string; hostPort: number };
  minikube: { cpus: number; memoryMb: number; kubernetesVersion: string };
  tools: Record<ToolName, ToolSpec>;
}

export type ToolName = 'kind' | 'kubectl' | 'helm' | 'minikube';
export const TOOL_NAMES: ToolName[] = ['kind', 'kubectl', 'helm', 'minikube'];

export const PROJECT_ROOT = join(__dirname, '..');
export const WORKSPACE_ROOT = join(PROJECT_ROOT, '..', '..');

export const versions: Versions = require('../versions.json');

/** Where per-cluster secrets (the encryption key) live: outside the repo, 0700. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLUSTER_STATE_DIR) return env.CLUSTER_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'todo-platform', 'clusters');
}

/** The project-local tool folder (gitignored by the .gitignore the installer writes into .tools/). */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOOLS_DIR || join(WORKSPACE_ROOT, '.tools');
}
