// nx release's docker pre-version command (nx.json release.docker.preVersionCommand).
//
// @nx/docker versions an image by `docker tag <project root as a name> <registry>/<repository>:v<version>`
// (apps/backend-image -> apps-backend-image). Our images come from the content-tag builder
// (docker-build: skips when the daemon has the content tag), so this builds them that way and gives each
// that local name. The name has no tag, so Docker calls it :latest; it never leaves this machine (only the
// versioned reference is pushed), and docker-build itself still never makes a latest tag.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
// The release group: every image project (nx.json release.projects is "tag:type:image").
const projects = JSON.parse(execFileSync('npx', ['nx', 'show', 'projects', '--projects', 'tag:type:image', '--json'], { cwd: root, encoding: 'utf8' }));
const docker = process.env.DOCKER || 'docker';
const inDaemon = (ref) => {
  try {
    execFileSync(docker, ['image', 'inspect', ref], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

// A dry run builds nothing: it names the images already built (`npx nx release --dry-run` needs them,
// because @nx/docker runs `docker tag` even then); tools/release/release.mjs --dry-run needs none.
const dryRun = process.env.NX_DRY_RUN === 'true';
if (dryRun) console.log(`release: dry run: not building ${projects.join(', ')}; naming what docker-build already built`);
else run('npx', ['nx', 'run-many', '-t', 'docker-build', '-p', projects.join(','), '--output-style=static']);
for (const project of projects) {
  const file = join(root, 'dist', 'images', `${project}.json`);
  if (dryRun && !existsSync(file)) {
    console.log(`release: ${project} has not been built (no ${file}); run npx nx run ${project}:docker-build for a full dry run`);
    continue;
  }
  const record = JSON.parse(readFileSync(file, 'utf8'));
  // The record outlives the image when something removed it since (docker rmi, prune-<env> of another
  // checkout whose deploy made the same content tag): a dry run says so; a real run has just built it.
  if (dryRun && !inDaemon(record.ref)) {
    console.log(`release: ${project}'s ${record.ref} (${file}) is no longer in the Docker daemon; run npx nx run ${project}:docker-build for a full dry run`);
    continue;
  }
  const alias = `apps/${project}`.replace(/[\\/\s]+/g, '-').toLowerCase();
  run(docker, ['tag', record.ref, alias]);
  console.log(`release: ${record.ref} is ${alias} for nx release`);
}
