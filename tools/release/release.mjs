// Cuts a release of the images and the chart with nx release (+ @nx/docker), keeping them in step.
//
//   node tools/release/release.mjs <patch|minor|major|x.y.z> [--registry ghcr.io/org] [--dry-run] [--skip-publish]
//
// 1. version: nx release version (nx.json "release"): apps/*-image/package.json and the root package.json
//    get the new version; @nx/docker tags each image <registry>/<repository>:v<version> (the images come
//    from the content-tag builder, see prepare-images.mjs).
// 2. chart: environments.json chart.version = the version, then `nx g chart` rewrites Chart.yaml
//    (version, and appVersion from the root package.json) and the values' image tags.
// 3. changelog: CHANGELOG.md from the commits since the last v* tag; commit and tag v<version>.
// 4. publish: @nx/docker pushes the versioned references (nx-release-publish of each image project).
// The Helm chart's OCI push is not something @nx/docker does: release.yml runs `helm push` after this.
//
// --dry-run prints the whole plan and changes nothing (no file, no tag, no push; NX_DRY_RUN is set so
// @nx/docker does not run `docker tag` either, which it otherwise does even in a dry run).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ReleaseClient } from 'nx/release';

const root = join(import.meta.dirname, '..', '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { registry: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'skip-publish': { type: 'boolean', default: false } },
});
const specifier = positionals[0];
if (!specifier || !/^(patch|minor|major|\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$/.test(specifier)) {
  console.error('usage: node tools/release/release.mjs <patch|minor|major|x.y.z> [--registry <host/namespace>] [--dry-run] [--skip-publish]');
  process.exit(2);
}
const dryRun = values['dry-run'];
if (dryRun) process.env.NX_DRY_RUN = 'true';
const registry = values.registry?.replace(/\/+$/, '').toLowerCase();
const client = new ReleaseClient(registry ? { docker: { registryUrl: registry } } : {});

const { workspaceVersion, projectsVersionData, releaseGraph } = await client.releaseVersion({
  specifier,
  dryRun,
  gitCommit: false,
  gitTag: false,
  stageChanges: !dryRun,
});
if (!workspaceVersion) throw new Error('nx release version resolved no version');

// The chart in step: its version and appVersion are the release's.
const envFile = join(root, 'environments.json');
const environments = JSON.parse(readFileSync(envFile, 'utf8'));
console.log(`\nrelease: chart ${environments.chart.name} version ${environments.chart.version} -> ${workspaceVersion}, appVersion ${workspaceVersion}`);
if (!dryRun) {
  environments.chart.version = workspaceVersion;
  writeFileSync(envFile, `${JSON.stringify(environments, null, 2)}\n`);
  execFileSync('npx', ['nx', 'g', 'chart'], { cwd: root, stdio: 'inherit' });
  execFileSync('git', ['add', '-A', 'environments.json', 'charts', 'apps'], { cwd: root, stdio: 'inherit' });
}

await client.releaseChangelog({ releaseGraph, version: workspaceVersion, versionData: projectsVersionData, dryRun, gitCommit: !dryRun, gitTag: !dryRun });

for (const [project, data] of Object.entries(projectsVersionData)) {
  console.log(`release: ${project} ${data.currentVersion} -> ${data.newVersion}; image tag ${data.dockerVersion ?? '(none)'}`);
}
if (values['skip-publish']) process.exit(0);
if (dryRun) {
  // @nx/docker's publish reads the reference `nx release version` wrote (tmp/<root>/.docker-version), which a
  // dry run does not write; say what it would push instead.
  for (const [project, data] of Object.entries(projectsVersionData)) {
    const repository = JSON.parse(readFileSync(join(root, 'apps', project, 'project.json'), 'utf8')).release.docker.repositoryName;
    console.log(`release: would push ${registry ? `${registry}/` : ''}${repository}:${data.dockerVersion}`);
  }
} else {
  const results = await client.releasePublish({ releaseGraph, versionData: projectsVersionData, dryRun });
  if (Object.values(results).some((r) => r.code !== 0)) process.exit(1);
}
