/**
 * The platform's naming and numbering conventions, shared by the templates' views and the generators:
 * the uids images run as, the default base images, image and library chart names, URL variables.
 */

/** Numeric user and group every image runs as (Pod Security "restricted" needs a non-zero number). */
export const APP_UID = 10001;

/** uid/gid of the postgres user in the official Debian-based postgres images. */
export const POSTGRES_UID = 999;

/**
 * Default base of each image type: the official image a user would pull, pinned to an exact version
 * (Alpine: the smallest official variant both apps run on). Build arguments replace them (a mirror,
 * or tools/base-images on a machine without a registry). Used for both the build and runtime stages.
 */
export const DEFAULT_BASE_IMAGES = {
  fastapi: 'python:3.13.18-alpine3.24',
  nextjs: 'node:26.12.1-alpine3.24',
} as const;

/** What a base of each image type must provide; tools/base-images builds local bases by these names. */
export const BASE_IMAGE_FLAVORS = {
  fastapi: 'python',
  nextjs: 'node',
} as const;

/** Name of a service's image (the chart's image.repository). */
export function imageName(service: string): string {
  return `todo-${service}`;
}

/** The Python package of an ASGI app reference: "todo_api.main:app" -> "todo_api". */
export function pythonPackageOf(asgiApp: string): string {
  return asgiApp.split(/[.:]/)[0];
}

/** FOO-bar -> FOO_BAR_URL: the variable a service reads another service's URL from. */
export function urlEnvVar(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** Library chart of a chart: `<chart>-lib`, vendored unpacked under `charts/`. */
export function libraryChartName(chart: string): string {
  return `${chart}-lib`;
}
