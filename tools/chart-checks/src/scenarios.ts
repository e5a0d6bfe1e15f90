/**
 * What the chart is rendered with: every environment of environments.json (values.yaml then
 * values-<env>.yaml, like the deploy target), and scenarios on top of the first environment that
 * switch on what no environment uses yet, so every template renders at least once and gets checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE } from './tools';

export interface Scenario {
  name: string;
  /** Values files relative to the chart directory, in order. */
  valuesFiles: string[];
  /** --set pairs. */
  set: string[];
  namespace: string;
}

export interface PlatformConfig {
  chart: { name: string; directory: string; kubernetesVersion: string };
  services: Record<string, { type: string; port: number; ingressPath?: string }>;
  environments: Record<string, { namespace: string; database: string; ai: string; replicas: number }>;
}

export function readPlatformConfig(root = WORKSPACE): PlatformConfig {
  return JSON.parse(readFileSync(join(root, 'environments.json'), 'utf8'));
}

export function environmentScenarios(config: PlatformConfig): Scenario[] {
  return Object.entries(config.environments).map(([name, env]) => ({
    name: `env:${name}`,
    valuesFiles: ['values.yaml', `values-${name}.yaml`],
    set: [],
    namespace: env.namespace,
  }));
}

/** Extra scenarios: each database mode, dev mode, backup and restore, HTTPRoute with HPA, existing secrets, groq, routing/policies/tests off. */
export function extraScenarios(config: PlatformConfig): Scenario[] {
  const [base, env] = Object.entries(config.environments)[0];
  const apis = Object.entries(config.services).filter(([, s]) => s.type === 'fastapi').map(([n]) => n);
  const all = Object.keys(config.services);
  const scenario = (name: string, ...set: string[]): Scenario => ({
    name,
    valuesFiles: ['values.yaml', `values-${base}.yaml`],
    set,
    namespace: env.namespace,
  });
  const scenarios = [
    scenario('backup', 'backup.enabled=true', 'backup.timeZone=Europe/Berlin'),
    scenario('restore', 'backup.enabled=true', 'backup.restore.file=latest', 'backup.restore.runId=check'),
    scenario('sqlite', 'database.mode=sqlite', ...all.map((s) => `services.${s}.replicaCount=1`)),
    scenario(
      'external-groq',
      'database.mode=external',
      'database.external.existingSecret=todo-database',
      'ai.provider=groq',
      'ai.groq.existingSecret=todo-groq',
      'backup.enabled=true',
      'backup.persistence.existingClaim=todo-backups',
    ),
    scenario('groq-apikey', 'ai.provider=groq', 'ai.groq.apiKey=gsk_not_a_real_key'),
    scenario(
      'httproute-hpa',
      'ingress.enabled=false',
      'httpRoute.enabled=true',
      ...all.flatMap((s) => [`services.${s}.autoscaling.enabled=true`, `services.${s}.autoscaling.targetMemoryUtilizationPercentage=80`]),
    ),
    scenario(
      'existing-secrets',
      'auth.existingSecret=todo-auth',
      'database.postgres.auth.existingSecret=todo-postgres',
      'global.imageRegistry=registry.example.com/todo',
      'global.imagePullSecrets[0]=registry-credentials',
      'ingress.tls.enabled=true',
      'ingress.tls.secretName=todo-tls',
      ...all.map((s) => `services.${s}.image.digest=sha256:${'0'.repeat(64)}`),
      ...all.map((s) => `services.${s}.replicaCount=3`),
      ...all.map((s) => `services.${s}.podAntiAffinityPreset=hard`),
    ),
    // Development mode (nx run todo:dev-<env>): still restricted, non-root, read-only root filesystem.
    scenario('dev-mode', 'dev.enabled=true'),
    scenario('dev-mode-sqlite-no-migrations', 'dev.enabled=true', 'database.mode=sqlite', ...all.map((s) => `services.${s}.replicaCount=1`), ...apis.map((s) => `services.${s}.migrations.enabled=false`)),
    scenario('no-routing-policies-tests', 'ingress.enabled=false', 'networkPolicy.enabled=false', 'tests.enabled=false', ...apis.map((s) => `services.${s}.migrations.enabled=false`)),
  ];
  return scenarios;
}

export function allScenarios(config = readPlatformConfig()): Scenario[] {
  return [...environmentScenarios(config), ...extraScenarios(config)];
}
