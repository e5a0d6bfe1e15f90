/**
 * `nx g manifests <env>`: plain Kubernetes manifests for `kubectl apply -k`, from the same source as
 * the Helm deploys: `helm template` of the chart (as it is in the tree) with values-<env>.yaml.
 * Secrets are not written (their values are generated or secret); the kustomization's
 * secretGenerator reads <name>.env files the user creates from the .env.example files.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { Tree, formatFiles, logger } from '@nx/devkit';
import { render } from '@todo/k8s-templates';
import { parseAllDocuments, stringify } from 'yaml';
import { CONFIG_FILE } from '../../platform/config';
import { readConfig } from '../../platform/files';
import { OptionError, checkName } from '../../platform/validate';
import { Helm, capture, findHelm, unknownEnvironment } from '@todo/cluster';
import { templateArgs } from '../../release/chart';
import type { ManifestsGeneratorSchema } from './schema';

export function normalizeOptions(tree: Tree, options: ManifestsGeneratorSchema, helm: () => Helm = () => findHelm(tree.root)) {
  const config = readConfig(tree);
  if (!config) throw new OptionError(`${CONFIG_FILE} not found`, `run \`npx nx g chart\` first to create the platform`);
  const name = checkName('environment', options.environment, 'the first argument (npx nx g manifests <env>)');
  if (!(name in config.environments))
    throw unknownEnvironment(name, Object.keys(config.environments));
  const outputPath = normalize(options.outputPath ?? 'deploy/manifests').replace(/\/+$/, '');
  if (outputPath.startsWith('..') || outputPath.startsWith('/'))
    throw new OptionError(`Invalid --outputPath=${options.outputPath}`, `use a folder inside the workspace, e.g. deploy/manifests`);
  if (!tree.exists(`${config.chart.directory}/Chart.yaml`))
    throw new OptionError(`${config.chart.directory}/Chart.yaml not found`, `run \`npx nx g chart\` first`);
  return { config, name, dir: `${outputPath}/${name}`, helm: helm() };
}

/** Writes the chart as it is in the tree (generated output included) to a temp folder for helm. */
function materializeChart(tree: Tree, chartDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'todo-manifests-'));
  const walk = (dir: string) => {
    for (const child of tree.children(dir)) {
      const path = `${dir}/${child}`;
      if (tree.isFile(path)) {
        const target = join(root, path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, tree.read(path) as Buffer);
      } else walk(path);
    }
  };
  walk(chartDir);
  return root;
}

export async function manifestsGenerator(tree: Tree, options: ManifestsGeneratorSchema) {
  const { config, name, dir, helm } = normalizeOptions(tree, options);
  const env = config.environments[name];
  const tmp = materializeChart(tree, config.chart.directory);
  let rendered: string;
  try {
    const r = capture(helm.bin, templateArgs(config, join(tmp, config.chart.directory), name));
    if (r.status !== 0) throw new Error(`helm template failed for ${name}: ${r.stderr.trim()}`);
    rendered = r.stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const kept: string[] = [];
  const secrets: Array<{ name: string; keys: string[] }> = [];
  for (const doc of parseAllDocuments(rendered)) {
    const obj = doc.toJS() as { kind?: string; metadata?: { name: string; annotations?: Record<string, string> }; data?: Record<string, string> } | null;
    if (!obj) continue;
    // Helm hooks (the `helm test` pod) are Helm's to run; kubectl apply would start them as plain objects.
    if (obj.metadata?.annotations?.['helm.sh/hook']) continue;
    if (obj.kind === 'Secret') secrets.push({ name: obj.metadata!.name, keys: Object.keys(obj.data ?? {}) });
    else kept.push(doc.toString({ lineWidth: 0 }).trimEnd());
  }
  const header = (what: string) =>
    `# ${what} of environment "${name}", rendered by \`nx g manifests ${name}\` (helm template of ${config.chart.directory}); do not edit.\n`;
  for (const child of tree.exists(dir) ? tree.children(dir) : []) if (!child.endsWith('.env')) tree.delete(`${dir}/${child}`);
  tree.write(`${dir}/namespace.yaml`, render('k8s/namespace.yaml', { name: env.namespace, environment: name }));
  tree.write(`${dir}/resources.yaml`, `${header('Resources')}---\n${kept.join('\n---\n')}\n`);
  for (const s of secrets)
    tree.write(`${dir}/${s.name}.env.example`, `# Copy to ${s.name}.env and fill in (kept out of git). Keys of the Secret ${s.name}:\n${s.keys.map((k) => `${k}=`).join('\n')}\n`);
  tree.write(`${dir}/.gitignore`, '# The secret values kustomize reads; never commit them.\n*.env\n');
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: env.namespace,
    resources: ['namespace.yaml', 'resources.yaml'],
    ...(secrets.length
      ? {
          secretGenerator: secrets.map((s) => ({ name: s.name, envs: [`${s.name}.env`] })),
          generatorOptions: { disableNameSuffixHash: true },
        }
      : {}),
  };
  tree.write(
    `${dir}/kustomization.yaml`,
    `${header('Kustomization')}# Create ${secrets.map((s) => `${s.name}.env`).join(', ') || 'nothing'} from the .env.example files, then: kubectl apply -k ${dir}\n${stringify(kustomization)}`,
  );
  await formatFiles(tree);
  return () => logger.info(`Wrote ${dir}/ (${kept.length} objects; Secrets from ${secrets.map((s) => `${s.name}.env`).join(', ') || 'none'}).`);
}

export default manifestsGenerator;
