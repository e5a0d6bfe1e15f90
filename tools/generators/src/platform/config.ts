/**
 * environments.json: the one file that lists the platform's services and environments.
 * Generators write it; the inferred targets (plugin.ts) and the executors read it.
 *
 * This module only uses node:fs/path and @todo/cluster (which the plugin loads anyway) at run time, so
 * the createNodes plugin stays cheap to load; the entry types are the template library's own (type-only
 * imports cost nothing at run time).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError, unknownEnvironment } from '@todo/cluster';
import type { AiProvider, DatabaseMode, ServiceSpec, ServiceType } from '@todo/k8s-templates';

export type { AiProvider, DatabaseMode, ServiceType };

export const CONFIG_FILE = 'environments.json';
export const CONFIG_SCHEMA = './tools/generators/environments.schema.json';

/** A service as environments.json stores it: keyed by its name, so the name is not repeated. */
export type ServiceEntry = Omit<ServiceSpec, 'name'>;

export interface EnvironmentEntry {
  /** kind | minikube | context:<kube-context> */
  cluster: string;
  namespace: string;
  host: string;
  replicas: number;
  /** autoscaling between replicas and this (absent: off) */
  maxReplicas?: number;
  database: DatabaseMode;
  ai: AiProvider;
  registry?: string;
  values?: Record<string, unknown>;
}

export interface ChartEntry {
  name: string;
  directory: string;
  version: string;
  /** Kubernetes version of the local clusters; also what lint/template check the chart against. */
  kubernetesVersion: string;
}

export interface PlatformConfig {
  $schema?: string;
  chart: ChartEntry;
  services: Record<string, ServiceEntry>;
  environments: Record<string, EnvironmentEntry>;
}

/** Per-environment target verbs: deploy-<env>, status-<env>, ... */
export const ENV_TARGET_VERBS = [
  'deploy', 'status', 'rollback', 'uninstall', 'backup', 'restore', 'prune', 'dev', 'logs', 'port-forward', 'ui', 'loadtest',
] as const;
/** Target names reserved for later issues: no environment name or target may take them. */
export const RESERVED_ENV_TARGET_VERBS: readonly string[] = [];

/** The platform as it is first generated (`nx g chart` on a workspace without environments.json). */
export function seedConfig(): PlatformConfig {
  return {
    $schema: CONFIG_SCHEMA,
    chart: { name: 'todo', directory: 'charts/todo', version: '0.1.0', kubernetesVersion: '1.34.0' },
    services: {
      backend: { type: 'fastapi', port: 8000, asgiApp: 'todo_api.main:app', migrateModule: 'todo_api.migrate' },
      frontend: { type: 'nextjs', port: 3000, ingressPath: '/', connectsTo: ['backend'] },
    },
    environments: {
      local: { cluster: 'kind', namespace: 'todo-local', host: 'todo.localhost', replicas: 1, database: 'postgres', ai: 'mock' },
      dev: { cluster: 'kind', namespace: 'todo-dev', host: 'dev.todo.localhost', replicas: 2, maxReplicas: 4, database: 'postgres', ai: 'mock' },
    },
  };
}

export function parseConfig(text: string, source = CONFIG_FILE): PlatformConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PlatformError(source, `${source} is not valid JSON (${(e as Error).message})`, 'fix it or restore it from git');
  }
  const c = parsed as PlatformConfig;
  if (!c || typeof c !== 'object' || !c.chart || typeof c.services !== 'object' || typeof c.environments !== 'object')
    throw new PlatformError(source, `${source} needs "chart", "services" and "environments"`, 'run `nx g chart` to seed it');
  return c;
}

export function serializeConfig(config: PlatformConfig): string {
  const { $schema, chart, services, environments, ...rest } = config;
  return `${JSON.stringify({ $schema: $schema ?? CONFIG_SCHEMA, chart, services, environments, ...rest }, null, 2)}\n`;
}

/** Reads environments.json from disk (executors, plugin). */
export function readConfigFromDisk(workspaceRoot: string): PlatformConfig {
  const path = join(workspaceRoot, CONFIG_FILE);
  if (!existsSync(path)) throw new PlatformError(CONFIG_FILE, `${CONFIG_FILE} not found in ${workspaceRoot}`, 'run `npx nx g chart` to create it');
  return parseConfig(readFileSync(path, 'utf8'));
}

export function environmentOrThrow(config: PlatformConfig, name: string): EnvironmentEntry {
  const env = config.environments[name];
  if (!env) throw unknownEnvironment(name, Object.keys(config.environments));
  return env;
}
