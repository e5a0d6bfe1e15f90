/**
 * `nx g env <name>`: adds an environment to environments.json and writes its values file.
 * All options are checked in normalizeOptions; on any error nothing is written.
 */
import { Tree, formatFiles, logger } from '@nx/devkit';
import { targetFor } from '@todo/cluster';
import { CONFIG_FILE, ENV_TARGET_VERBS, EnvironmentEntry, PlatformConfig } from '../../platform/config';
import { readConfig, writeAll, writeConfig } from '../../platform/files';
import {
  OptionError,
  checkChoice,
  checkCluster,
  checkEnvironmentTargetNames,
  checkHost,
  checkInteger,
  checkName,
  checkRegistry,
} from '../../platform/validate';
import type { EnvGeneratorSchema } from './schema';

export interface NormalizedEnvOptions {
  name: string;
  entry: EnvironmentEntry;
  config: PlatformConfig;
  replaced: boolean;
}

export function normalizeOptions(tree: Tree, options: EnvGeneratorSchema): NormalizedEnvOptions {
  const config = readConfig(tree);
  if (!config) throw new OptionError(`${CONFIG_FILE} not found`, `run \`npx nx g chart\` first to create the platform`);
  const name = checkName('environment', options.name, 'the first argument (npx nx g env <name>)');
  checkEnvironmentTargetNames(name);
  const exists = name in config.environments;
  if (exists && !options.force)
    throw new OptionError(`Environment "${name}" already exists in ${CONFIG_FILE}`, `pass --force to replace it, or choose another name`);
  const namespace = checkName('namespace', options.namespace ?? `todo-${name}`, '--namespace');
  const owner = Object.entries(config.environments).find(([other, e]) => other !== name && e.namespace === namespace);
  if (owner)
    throw new OptionError(`Namespace "${namespace}" is already used by environment "${owner[0]}"`, `pass --namespace=<another>`);
  const cluster = checkCluster(options.cluster ?? 'kind');
  const registry = checkRegistry(options.registry);
  const host = checkHost(options.host ?? `${name}.todo.localhost`);
  const database = checkChoice('--database', options.database ?? 'postgres', ['postgres', 'sqlite', 'external'] as const,
    'postgres in the release, sqlite file, or external URL in a Secret');
  const replicas = checkInteger('--replicas', options.replicas ?? 1, 1, 20, '');
  if (database === 'sqlite' && replicas !== 1)
    throw new OptionError(`--replicas=${replicas} with --database=sqlite`, `SQLite has one writer, so use --replicas=1 or --database=postgres`);
  const maxReplicas = autoscalingMax(options, replicas, database);
  const ai = checkChoice('--ai', options.ai ?? 'mock', ['mock', 'groq'] as const, 'mock is offline, groq needs the Secret todo-groq');
  const entry: EnvironmentEntry = { cluster, namespace, host, replicas, ...(maxReplicas ? { maxReplicas } : {}), database, ai, ...(registry ? { registry } : {}) };
  // A replaced environment keeps its extra chart values.
  const previous = config.environments[name];
  if (previous?.values) entry.values = previous.values;
  return { name, entry, config, replaced: exists };
}

/**
 * Autoscaling "where it fits": on for an environment of two or more replicas (meant to scale), off for
 * one replica (a laptop's local environment: one pod per service, and the dev loop syncs into it) and
 * for SQLite (one writer). The in-cluster PostgreSQL takes 2 x 8 connections per API pod out of 90.
 */
function autoscalingMax(options: EnvGeneratorSchema, replicas: number, database: string): number | undefined {
  const cap = database === 'postgres' ? 5 : 20;
  const on = options.autoscaling ?? (options.maxReplicas !== undefined || (replicas >= 2 && replicas < cap && database !== 'sqlite'));
  if (!on) {
    if (options.maxReplicas !== undefined) throw new OptionError(`--max-replicas=${options.maxReplicas} with --no-autoscaling`, 'drop one of them');
    return undefined;
  }
  if (database === 'sqlite') throw new OptionError('--autoscaling with --database=sqlite', 'SQLite has one writer, so use --database=postgres to scale');
  if (replicas > cap) throw new OptionError(`--autoscaling with --replicas=${replicas}: the in-cluster PostgreSQL serves at most ${cap} API pods`, 'lower --replicas or use --database=external');
  const max = checkInteger('--max-replicas', options.maxReplicas ?? Math.min(Math.max(2 * replicas, replicas + 1), cap), replicas, cap,
    database === 'postgres' ? '(the in-cluster PostgreSQL: 2 x 8 connections per API pod of its 90)' : '');
  return max;
}

export async function envGenerator(tree: Tree, options: EnvGeneratorSchema) {
  const { name, entry, config, replaced } = normalizeOptions(tree, options);
  config.environments[name] = entry;
  writeConfig(tree, config);
  writeAll(tree, config);
  await formatFiles(tree);
  return () => {
    logger.info(
      `${replaced ? 'Replaced' : 'Added'} environment "${name}" (namespace ${entry.namespace}, context ${targetFor(name, { config }).kubeContext}).\n` +
        `Targets on project ${config.chart.name}: ${ENV_TARGET_VERBS.map((verb) => `${verb}-${name}`).join(', ')}\n` +
        `  npx nx run ${config.chart.name}:deploy-${name}` +
        (entry.database === 'external' ? `\nCreate the Secret ${config.chart.name}-database (key DATABASE_URL) in ${entry.namespace} first.` : '') +
        (entry.ai === 'groq' ? `\nCreate the Secret ${config.chart.name}-groq (key GROQ_API_KEY) in ${entry.namespace} first.` : ''),
    );
  };
}

export default envGenerator;
