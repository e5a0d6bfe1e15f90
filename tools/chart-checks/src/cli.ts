/**
 * Command line of the chart checks (for people; the test suite uses the same functions):
 *   node -r @swc-node/register tools/chart-checks/src/cli.ts schemas   generate the kubeconform schemas (once)
 *   node -r @swc-node/register tools/chart-checks/src/cli.ts check     render every scenario with Helm 3 and 4, kubeconform, policy; print figures
 */
import { join } from 'node:path';
import { kubeconform } from './kubeconform';
import { checkPolicy, formatFinding } from './policy';
import { HELMS, helmLint, render } from './render';
import { allScenarios, readPlatformConfig } from './scenarios';
import { VERSIONS, ensureSchemas } from './schemas';
import { WORKSPACE } from './tools';

function schemas(): number {
  for (const v of VERSIONS.kubernetes) {
    const r = ensureSchemas(v, { log: console.log });
    console.log(`Kubernetes ${v}: ${r.files} schemas in ${r.dir}${r.generated ? ' (generated)' : ' (cached)'}`);
  }
  return 0;
}

function check(): number {
  const started = Date.now();
  const config = readPlatformConfig();
  const chartDir = join(WORKSPACE, config.chart.directory);
  const scenarios = allScenarios(config);
  let failures = 0;
  const fail = (line: string) => {
    failures++;
    console.log(`FAIL ${line}`);
  };
  for (const v of VERSIONS.kubernetes) ensureSchemas(v, { log: console.log });
  for (const kv of VERSIONS.kubernetes) {
    const documents: Record<string, string> = {};
    for (const helm of HELMS)
      for (const s of scenarios) {
        if (kv === VERSIONS.kubernetes[0]) {
          const lint = helmLint(helm, chartDir, s, kv);
          if (!lint.ok) fail(`${helm} lint --strict ${s.name}:\n${lint.output}`);
        }
        try {
          const r = render(helm, chartDir, s, kv);
          documents[`${helm}-${s.name}`] = r.text;
          for (const f of checkPolicy(r.objects)) fail(`policy ${helm} ${s.name} ${kv}: ${formatFinding(f)}`);
          if (helm === 'helm4' && kv === VERSIONS.kubernetes[0] && s.name.startsWith('env:'))
            console.log(`${s.name}: ${r.objects.length} resources`);
        } catch (e) {
          fail(String((e as Error).message));
        }
      }
    const k = kubeconform(documents, kv);
    console.log(`kubeconform -strict, Kubernetes ${kv}: ${k.valid} valid, ${k.invalid} invalid, ${k.errors} errors, ${k.skipped} skipped`);
    for (const p of k.problems) fail(`kubeconform ${kv}: ${p}`);
  }
  console.log(`${scenarios.length} scenarios x ${HELMS.length} Helm majors x ${VERSIONS.kubernetes.length} Kubernetes versions: ${failures ? `${failures} failure(s)` : 'all checks pass'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return failures ? 1 : 0;
}

const command = process.argv[2];
const commands: Record<string, () => number> = { schemas, check };
if (!commands[command]) {
  console.error(`usage: cli.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
process.exit(commands[command]());
