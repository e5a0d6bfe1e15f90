/** A service's image project (apps/<service>-image): its docker-build options, from the project graph or its project.json. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import type { BuildOptions } from './build';
import { PlatformError } from '@todo/cluster';

/** The workspace a run reads: its root and, under Nx, the project graph's configurations. */
export type Workspace = Pick<ExecutorContext, 'root'> & Partial<Pick<ExecutorContext, 'projectsConfigurations'>>;

/** The docker-build options of a service's image project, for this environment. */
export function imageProject(service: string, workspace: Workspace, environment: string): { service: string; project: string; build: BuildOptions } {
  const project = `${service}-image`;
  const fromGraph = workspace.projectsConfigurations?.projects?.[project];
  const projectJson = join(workspace.root, 'apps', project, 'project.json');
  const target =
    fromGraph?.targets?.['docker-build'] ??
    (existsSync(projectJson) ? (JSON.parse(readFileSync(projectJson, 'utf8')) as { targets?: Record<string, { options?: unknown }> }).targets?.['docker-build'] : undefined);
  if (!target?.options)
    throw imageProjectMissing(service, project);
  return { service, project, build: { ...(target.options as BuildOptions), environment } };
}

function imageProjectMissing(service: string, project: string): PlatformError {
  const cause = `Service "${service}" has no image project: apps/${project}/project.json with a docker-build target is missing`;
  const fix = `Re-create it with \`npx nx g service ${service}\` (or \`npx nx g chart\`).`;
  return new PlatformError(`build ${service}`, cause, fix, `${cause}. ${fix}`);
}
