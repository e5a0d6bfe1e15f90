/**
 * `nx g service <name> --type=fastapi|nextjs --port=N`: registers the service in environments.json,
 * then renders its image project and re-renders the chart (its templates, values stanza and the
 * network policy rules of every service it talks to). Scaffolds apps/<name> when it is missing.
 */
import { Tree, formatFiles, logger } from '@nx/devkit';
import { CONFIG_FILE, PlatformConfig, ServiceEntry } from '../../platform/config';
import { readConfig, writeAll, writeConfig } from '../../platform/files';
import { OptionError, checkChoice, checkInteger, checkName } from '../../platform/validate';
import { scaffoldApp } from './scaffold';
import type { ServiceGeneratorSchema } from './schema';

/** Component names the chart already uses for its own objects. */
const RESERVED_SERVICE_NAMES = ['postgres', 'default-deny', 'allow-dns', 'auth', 'database', 'groq', 'backup', 'test', 'secrets', 'restore', 'lib'];

export interface NormalizedServiceOptions {
  name: string;
  entry: ServiceEntry;
  config: PlatformConfig;
  scaffold: boolean;
  replaced: boolean;
}

export function normalizeOptions(tree: Tree, options: ServiceGeneratorSchema): NormalizedServiceOptions {
  const config = readConfig(tree);
  if (!config) throw new OptionError(`${CONFIG_FILE} not found`, `run \`npx nx g chart\` first to create the platform`);
  const name = checkName('service', options.name, 'the first argument (npx nx g service <name> --type=fastapi)');
  if (RESERVED_SERVICE_NAMES.includes(name))
    throw new OptionError(`The service name "${name}" is taken by the chart's own objects (${RESERVED_SERVICE_NAMES.join(', ')})`, `choose another`);
  const exists = name in config.services;
  if (exists && !options.force)
    throw new OptionError(`Service "${name}" already exists in ${CONFIG_FILE}`, `pass --force to replace it, or choose another name`);
  if (name.length > 40)
    throw new OptionError(`Service name "${name}" is ${name.length} characters`, `use at most 40 so "<release>-${name}" stays a valid object name`);
  const type = checkChoice('--type', options.type, ['fastapi', 'nextjs'] as const, 'a Python API or a Next.js server');
  const port = checkInteger('--port', options.port ?? (type === 'fastapi' ? 8000 : 3000), 1024, 65535,
    '(ports below 1024 need privileges the containers do not have)');
  let ingressPath: string | undefined;
  if (options.ingressPath !== undefined && options.ingressPath !== '') {
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(options.ingressPath))
      throw new OptionError(`Invalid --ingressPath=${options.ingressPath}`, `use a path starting with "/", e.g. --ingressPath=/admin`);
    const owner = Object.entries(config.services).find(([n, s]) => n !== name && s.ingressPath === options.ingressPath);
    if (owner) throw new OptionError(`--ingressPath=${options.ingressPath} is already routed to service "${owner[0]}"`, `choose another path`);
    ingressPath = options.ingressPath;
  }
  const connectsTo = (options.connectsTo ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const target of connectsTo) {
    if (target === name) throw new OptionError(`--connectsTo lists "${name}" itself`, `list the other services it calls`);
    if (!(target in config.services))
      throw new OptionError(`--connectsTo=${target}`, `no such service; known: ${Object.keys(config.services).join(', ')}`);
  }
  const entry: ServiceEntry = { type, port };
  if (ingressPath) entry.ingressPath = ingressPath;
  if (connectsTo.length) entry.connectsTo = connectsTo;
  if (type === 'fastapi') {
    const asgiApp = options.asgiApp ?? `${name.replace(/-/g, '_')}.main:app`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/.test(asgiApp))
      throw new OptionError(`Invalid --asgiApp=${asgiApp}`, `use module:attribute, e.g. --asgiApp=${name.replace(/-/g, '_')}.main:app`);
    entry.asgiApp = asgiApp;
    const previous = config.services[name];
    if (previous?.migrateModule) entry.migrateModule = previous.migrateModule;
  } else if (options.asgiApp !== undefined) {
    throw new OptionError('--asgiApp is for --type=fastapi only', 'leave it out for nextjs');
  }
  const scaffold = !tree.exists(`apps/${name}`);
  return { name, entry, config, scaffold, replaced: exists };
}

export async function serviceGenerator(tree: Tree, options: ServiceGeneratorSchema) {
  const { name, entry, config, scaffold, replaced } = normalizeOptions(tree, options);
  config.services[name] = entry;
  writeConfig(tree, config);
  if (scaffold) scaffoldApp(tree, name, entry);
  writeAll(tree, config);
  await formatFiles(tree);
  return () => {
    logger.info(
      `${replaced ? 'Replaced' : 'Added'} service "${name}" (${entry.type}, port ${entry.port}): apps/${name}-image, ` +
        `${config.chart.directory}/templates/${name}/` +
        (scaffold ? `, and a minimal app in apps/${name}` : '') +
        (scaffold && entry.type === 'nextjs' ? ' (run `npm install` to link the new workspace)' : ''),
    );
  };
}

export default serviceGenerator;
