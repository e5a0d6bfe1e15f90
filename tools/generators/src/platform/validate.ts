/**
 * Option checks shared by the generators. Each failure is an OptionError (the family of @todo/cluster's
 * PlatformError): one line, what is wrong and the fix.
 * They run in normalizeOptions, before a generator touches the tree.
 */
import { PlatformError, clusterFieldProblem } from '@todo/cluster';
import { RESERVED_NAMESPACES, isDnsLabel, isDnsSubdomain } from '@todo/k8s-templates';
import { ENV_TARGET_VERBS, RESERVED_ENV_TARGET_VERBS } from './config';

/** A refused option (of a generator or an executor): one line, "<what is wrong>: <the fix>". */
export class OptionError extends PlatformError {
  constructor(cause: string, fix: string) {
    super('options', cause, fix, `${cause}: ${fix}`);
  }
}

const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

function isReserved(name: string): boolean {
  // Namespaces every cluster already has (the template library's list); environments may not use them.
  return RESERVED_NAMESPACES.includes(name) || name.startsWith('kube-');
}

/** The valid name closest to what was typed, for the error message; never a reserved one. */
function suggestName(value: string): string {
  const label = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return label && !isReserved(label) ? label : 'staging';
}

export function checkName(kind: 'environment' | 'service' | 'namespace', value: unknown, flag: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new OptionError(`Missing ${kind} name`, `pass it as ${flag}, e.g. ${kind === 'service' ? 'worker' : 'staging'}`);
  if (!isDnsLabel(value))
    throw new OptionError(`Invalid ${kind} name "${value}"`, `use a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), e.g. "${suggestName(value)}"`);
  if (isReserved(value))
    throw new OptionError(`The ${kind} name "${value}" is reserved (${RESERVED_NAMESPACES.join(', ')} and every kube-* name belong to Kubernetes)`, `choose another, e.g. "${kind === 'namespace' ? 'todo-' : ''}staging"`);
  return value;
}

/**
 * --cluster: the one rule of the cluster field (@todo/cluster parseClusterField), worded for the flag.
 * Anything else is refused rather than guessed (a typo of "kind" must not become a context name).
 */
export function checkCluster(value: unknown): string {
  const v = typeof value === 'string' ? value.trim() : value;
  if (!clusterFieldProblem(v)) return v as string;
  if (typeof v === 'string' && v.startsWith('context:'))
    throw new OptionError(`Invalid kube context name "${v.slice('context:'.length)}" in --cluster=${v}`, `use the name exactly as \`kubectl config get-contexts -o name\` prints it`);
  throw new OptionError(`Unknown cluster "${String(value)}"`, `use --cluster=kind, --cluster=minikube, or --cluster=context:<name> for an existing kube context (e.g. --cluster=context:my-aks)`);
}

export function checkRegistry(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !REGISTRY.test(value))
    throw new OptionError(`Invalid registry "${String(value)}"`, `use host[:port][/path] in lowercase without a scheme, e.g. --registry=registry.example.com:5000/todo`);
  return value;
}

export function checkHost(value: unknown): string {
  if (!isDnsSubdomain(value))
    throw new OptionError(`Invalid host "${String(value)}"`, `use a lowercase DNS name without scheme, port or path, e.g. --host=staging.todo.example.com`);
  return value as string;
}

export function checkInteger(flag: string, value: unknown, min: number, max: number, hint: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new OptionError(`Invalid ${flag}=${String(value)}`, `use a whole number from ${min} to ${max}${hint ? ` ${hint}` : ''}`);
  return n;
}

export function checkChoice<T extends string>(flag: string, value: unknown, choices: readonly T[], meaning: string): T {
  if (!choices.includes(value as T))
    throw new OptionError(`Unknown ${flag}=${String(value)}`, `use one of ${choices.join(', ')} (${meaning})`);
  return value as T;
}

/** An environment name must not make a target name that collides with another verb's. */
export function checkEnvironmentTargetNames(name: string): void {
  const verbs = [...ENV_TARGET_VERBS, ...RESERVED_ENV_TARGET_VERBS];
  for (const verb of verbs)
    if (name.startsWith(`${verb}-`) || verbs.some((v) => `${verb}-${name}` === v))
      throw new OptionError(`The environment name "${name}" would make target names like "${verb}-${name}" that are hard to tell apart from the ${verb}-<env> targets`, `choose a name that does not start with "${verb}-"`);
}
