/**
 * Inferred targets: reads environments.json (the only list of environments) and adds, for each
 * environment, one target per verb of ENV_TARGET_VERBS (platform/config.ts: deploy, status, rollback,
 * uninstall, backup, restore, prune, dev, logs, port-forward, ui, loadtest), named <verb>-<env>, to the chart project
 * (charts/todo, project "todo"). All environments share the same executors; only the option differs.
 *
 * Registered in nx.json `plugins` as "@todo/generators"; Nx loads this TypeScript through the
 * tsconfig path of that name, without a build step.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateNodes, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { targetFor } from '@todo/cluster';
import { CONFIG_FILE, ENV_TARGET_VERBS, PlatformConfig, readConfigFromDisk } from './platform/config';

export interface PluginOptions {
  /** Prefix of the executors (the plugin's package name). */
  executorPrefix?: string;
}

const DESCRIPTIONS: Record<(typeof ENV_TARGET_VERBS)[number], string> = {
  deploy: 'tools, cluster, namespace, images built and loaded, helm upgrade --install --wait (rolls back on failure), smoke check; each step only when needed',
  status: 'helm status and the pods',
  rollback: 'helm rollback to the previous revision',
  uninstall: 'helm uninstall (database volumes and the Secret are kept)',
  backup: 'pg_dump -Fc now, from the backup CronJob (needs backup.enabled)',
  restore: 'stops the API (scale to 0), the schema replaced by the newest dump (or --file=<name>.dump) in one transaction, scales back (migrate runs first; needs backup.enabled)',
  prune: 'remove our images beyond the last N per service (--keep, default 3) from Docker and the kind nodes',
  dev: 'the inner loop: deploy with the dev configuration, then sync, rebuild or upgrade on each change, with the pod logs',
  logs: "the services' pod logs, followed across rollouts (--service, --since)",
  'port-forward': 'each service and the database on fixed local ports, kept across rollouts',
  ui: 'the dashboard on 127.0.0.1 (pods, images, the last deploy, logs; restart and deploy), until Ctrl-C',
  loadtest: 'Locust users through the ingress (sign up, list, create, complete, search, chat; --users, --duration): req/s, p50/p95/p99 per route, errors by status',
};

export function environmentTargets(config: PlatformConfig, prefix = '@todo/generators'): Record<string, TargetConfiguration> {
  const targets: Record<string, TargetConfiguration> = {};
  for (const [name, env] of Object.entries(config.environments)) {
    for (const verb of ENV_TARGET_VERBS) {
      targets[`${verb}-${name}`] = {
        executor: `${prefix}:${verb}`,
        options: { environment: name },
        cache: false,
        metadata: {
          description: `${DESCRIPTIONS[verb]}: environment ${name}, namespace ${env.namespace}, context ${targetFor(name, { config }).kubeContext}`,
          technologies: ['helm'],
        },
      };
    }
  }
  return targets;
}

export const createNodes: CreateNodes<PluginOptions> = [
  CONFIG_FILE,
  (configFiles, options, context) =>
    configFiles
      .filter((file) => file === CONFIG_FILE)
      .map((file): readonly [string, CreateNodesResult] => {
        const config = readConfigFromDisk(context.workspaceRoot);
        const root = config.chart.directory;
        // The chart project is generated output; until `nx g chart` ran there is nothing to attach to.
        if (!existsSync(join(context.workspaceRoot, root, 'project.json'))) return [file, {}];
        return [
          file,
          {
            projects: {
              [root]: {
                targets: environmentTargets(config, options?.executorPrefix),
                metadata: {
                  targetGroups: { Environments: Object.keys(config.environments).flatMap((e) => ENV_TARGET_VERBS.map((v) => `${v}-${e}`)) },
                },
              },
            },
          },
        ];
      }),
];
