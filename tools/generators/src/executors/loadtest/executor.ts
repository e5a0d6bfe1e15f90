/**
 * loadtest-<env>: Locust drives simulated users through the environment's ingress (locustfile.py: sign
 * up, list, create, complete, search, chat) and prints requests/s, p50/p95/p99 per route and errors by
 * status. Locust is pinned in scripts/py-tool.sh and installed once into the cache, outside the checkout.
 * Fails when any request got a 5xx or no HTTP answer (what a user would see as the app failing).
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { commandLine, pinnedTool, stream } from '@todo/cluster';
import { ingressAddressFor } from '../../deploy/steps/smoke';
import { envScope } from '../../platform/scope';
import type { LoadtestExecutorSchema } from './schema';

export interface LoadtestSummary {
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  routes: Record<string, { requests: number; rps: number; p50: number; p95: number; p99: number; failures: number }>;
  errorsByStatus: Record<string, number>;
  throttled: Record<string, number>;
}

/** Requests a user would see as the app failing: 5xx, or no HTTP answer at all (status 0). */
export function serverFailures(s: Pick<LoadtestSummary, 'errorsByStatus'>): number {
  return Object.entries(s.errorsByStatus).reduce((n, [status, count]) => n + (Number(status) === 0 || Number(status) >= 500 ? count : 0), 0);
}

export function locustArgs(o: { locustfile: string; users: number; spawnRate: number; duration: string; url: string }): string[] {
  return ['-f', o.locustfile, '--headless', '--only-summary', '-u', String(o.users), '-r', String(o.spawnRate), '-t', o.duration, '--stop-timeout', '5', '--host', o.url, '--exit-code-on-error', '0'];
}

export default async function loadtestExecutor(options: LoadtestExecutorSchema, context: ExecutorContext) {
  const scope = envScope(options, context);
  const { address, port } = ingressAddressFor(scope.target.cluster, scope.env.host);
  const url = (options.url ?? `http://${address}:${port}`).replace(/\/$/, '');
  const summary = options.summary ?? join(scope.workspaceRoot, 'dist', 'loadtest', `${scope.name}.json`);
  const locustfile = join(__dirname, 'locustfile.py');
  const args = locustArgs({ locustfile, users: options.users ?? 10, spawnRate: options.spawnRate ?? 5, duration: options.duration ?? '30s', url });
  const env = { ...process.env, LOADTEST_HOST_HEADER: scope.env.host, LOADTEST_SUMMARY: summary };
  if (scope.dryRun) {
    console.log(`$ LOADTEST_HOST_HEADER=${scope.env.host} ${commandLine('locust', args)}`);
    return { success: true };
  }
  const locust = pinnedTool(scope.workspaceRoot, 'py-tool.sh', 'locust', 'it installs Locust from PyPI once (python3 with venv and pip needed; PIP_INDEX_URL for a mirror)', 900_000);
  mkdirSync(dirname(summary), { recursive: true });
  console.log(`loadtest: ${options.users ?? 10} users for ${options.duration ?? '30s'} on ${url} (Host: ${scope.env.host}); figures also in ${summary}`);
  const status = stream(locust, args, { env });
  if (status !== 0 || !existsSync(summary)) return { success: false };
  const s = JSON.parse(readFileSync(summary, 'utf8')) as LoadtestSummary;
  const failed = serverFailures(s);
  if (failed) console.error(`loadtest: ${failed} request(s) failed with a 5xx or no answer (errors by status above)`);
  return { success: failed === 0 };
}
