/**
 * Building an image only when the daemon lacks its content tag. Shared by the docker-build target
 * and the deploy's image step (and the dev loop's rebuild):
 *
 *   1. resolve the base images (Dockerfile defaults, then $TODO_BASE_IMAGES for offline/mirror
 *      machines, then options.buildArgs) and their ids, pulling a missing one;
 *   2. content key = sha256(build context after the ignore file, Dockerfile, build args, base ids);
 *   3. `docker image inspect <image>:content-<key>`: present -> nothing to build (add the version and
 *      commit tags if missing); absent (never built, or removed with docker rmi) -> docker build;
 *   4. write dist/images/<project>.json (id, tags, size) for kind load / Helm.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ClusterError, OFFLINE_FIX, Runner, capture, commandLine, stream, streamAndCapture } from '@todo/cluster';
import { baseImagesFromEnv, globalArgs } from './base-images';
import { InspectedImage, dockerBin, dockerEnv, inspectImage } from './docker';
import { contentKey } from './key';
import { ImageRecord, humanSize, writeRecord } from './record';
import { gitInfo, sourceUrl, workspaceVersion } from './source';
import { checkTags, contentTag, versionTag } from './tags';
import { OptionError } from '../platform/validate';

/** The docker-build options (the image project's target options; docker-build/schema.json). */
export interface BuildOptions {
  /** Image repository, e.g. todo-backend. */
  image: string;
  /** Dockerfile, relative to the workspace root. */
  dockerfile: string;
  /** Build context, relative to the workspace root (default "."). */
  context?: string;
  /** Environment the image is built for: tag v<version>-<environment> and build argument BUILD_ENV (default "local"). */
  environment?: string;
  /** Key of this image's bases in $TODO_BASE_IMAGES (python, node). */
  baseFlavor?: string;
  /** Extra build arguments (part of the content key). */
  buildArgs?: Record<string, string>;
  /** Version for the v<version>-<env> tag and the label (default: the root package.json's version). */
  version?: string;
  /** PEM bundle passed as build secret ca_bundle (default: $TODO_BUILD_CA_BUNDLE, $NODE_EXTRA_CA_CERTS or $SSL_CERT_FILE when set). */
  caBundle?: string;
  /** Dockerfile stage to build (--target, part of the content key); default: the last stage (the production image). */
  target?: string;
  /** Build even when the content tag is already in the daemon. */
  force?: boolean;
  /** Print what would run. */
  dryRun?: boolean;
}

/** Build arguments that only label the image: not part of the content key. */
const LABEL_ONLY_ARGS = ['REVISION', 'CREATED', 'SOURCE'];

function caBundle(options: BuildOptions): string | undefined {
  const candidates = [options.caBundle, process.env.TODO_BUILD_CA_BUNDLE, process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE];
  return candidates.find((f): f is string => Boolean(f) && existsSync(f as string));
}

export interface BuildPlan {
  image: string;
  environment: string;
  key: string;
  files: number;
  tags: string[];
  contentRef: string;
  buildArgs: Record<string, string>;
  keyArgs: Record<string, string>;
  baseImages: Record<string, { ref: string; id: string }>;
  contextPaths: string[];
}

/**
 * Everything but the build: bases, key, tags. Pulls a missing base image unless dryRun (`pull` false: throws
 * instead). Its reads (base images, git) go through `runner` (a deploy's, so they are read ahead with its
 * checks: deploy/read-ahead.ts).
 */
export function planBuild(options: BuildOptions, workspaceRoot: string, docker: string, runner: Runner = capture, pull = true): BuildPlan {
  const environment = options.environment ?? 'local';
  const context = options.context ?? '.';
  const dockerfilePath = join(workspaceRoot, options.dockerfile);
  if (!existsSync(dockerfilePath)) throw new OptionError(`Dockerfile not found: ${options.dockerfile}`, 'point --dockerfile at the image project\'s Dockerfile, or re-create it with `npx nx g chart`');
  const defaults = globalArgs(readFileSync(dockerfilePath, 'utf8'));
  const fromEnv = baseImagesFromEnv(workspaceRoot, options.baseFlavor);
  const explicit = options.buildArgs ?? {};
  for (const k of Object.keys(explicit))
    if (LABEL_ONLY_ARGS.includes(k) || ['BUILD_ENV', 'VERSION'].includes(k))
      throw new OptionError(`buildArgs.${k} is set by docker-build itself`, 'use the environment/version options instead');

  // Base images: every global ARG *_IMAGE (BASE_IMAGE, BUILDER_IMAGE), by precedence.
  const baseImages: Record<string, { ref: string; id: string }> = {};
  for (const name of Object.keys(defaults).filter((k) => k.endsWith('_IMAGE'))) {
    const ref = explicit[name] ?? fromEnv[name] ?? defaults[name];
    if (!ref) throw new OptionError(`${options.dockerfile}: ARG ${name} has no default and no value was given`, `give it a default in the Dockerfile, or pass buildArgs.${name}`);
    let found = inspectImage(ref, docker, runner);
    // pull=false (a build started ahead of its step): a missing base is left for the step, which pulls it on the terminal.
    if (!found && !pull) throw new ClusterError('base images', `Base image ${ref} (${name}) is not in the Docker daemon`, 'the build step pulls it');
    if (!found && !options.dryRun) {
      console.log(`Base image ${ref} is not in the daemon; pulling it.`);
      if (stream(docker, ['pull', ref]) !== 0 || !(found = inspectImage(ref, docker)))
        throw new ClusterError(
          'base images',
          `Base image ${ref} (${name}) is not in the Docker daemon and could not be pulled`,
          'without registry access, build local bases with `npx nx run base-images:build` and export TODO_BASE_IMAGES=dist/base-images/images.json ' +
            `(or point it at a file naming mirrored images); ${OFFLINE_FIX}`,
        );
    }
    baseImages[name] = { ref, id: found?.Id ?? `unresolved:${ref}` };
  }

  const version = options.version ?? workspaceVersion(workspaceRoot);
  const keyArgs: Record<string, string> = {
    ...Object.fromEntries(Object.entries(baseImages).map(([k, v]) => [k, v.ref])),
    ...explicit,
    BUILD_ENV: environment,
    VERSION: version,
  };
  const key = contentKey({
    workspaceRoot,
    dockerfile: options.dockerfile,
    context,
    buildArgs: keyArgs,
    baseImageIds: Object.fromEntries(Object.entries(baseImages).map(([k, v]) => [k, v.id])),
    target: options.target,
  });
  const contextPaths = key.entries.filter((e) => e.kind === 'f').map((e) => join(context, e.path));
  const ignore = `${options.dockerfile}.dockerignore`;
  const git = gitInfo(workspaceRoot, [options.dockerfile, ...(existsSync(join(workspaceRoot, ignore)) ? [ignore] : []), ...contextPaths], runner);
  const commitTag = git.commit === 'unknown' ? undefined : git.dirty ? `${git.commit}-dirty` : git.commit;
  const tags = [contentTag(key.key), versionTag(version, environment), ...(commitTag ? [commitTag] : [])];
  checkTags(tags);
  return {
    image: options.image,
    environment,
    key: key.key,
    files: key.files,
    tags,
    contentRef: `${options.image}:${tags[0]}`,
    keyArgs,
    buildArgs: {
      ...keyArgs,
      REVISION: git.dirty ? `${git.revision}-dirty` : git.revision,
      CREATED: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      SOURCE: sourceUrl(workspaceRoot, runner),
    },
    baseImages,
    contextPaths,
  };
}

export function buildArgsFor(plan: BuildPlan, options: BuildOptions, ca: string | undefined): string[] {
  return [
    'build',
    '--progress=plain',
    '--file',
    options.dockerfile,
    ...(options.target ? ['--target', options.target] : []),
    ...plan.tags.flatMap((t) => ['--tag', `${plan.image}:${t}`]),
    ...Object.entries(plan.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    ...(ca ? ['--secret', `id=ca_bundle,src=${ca}`] : []),
    options.context ?? '.',
  ];
}

/** A docker build that ran before ensureImage records it (startBuild, buildStreaming): its exit status, time and output file. */
export interface FinishedBuild {
  status: number;
  seconds: number;
  /** Where its output went (a background build, startBuild); none when it went to the terminal (buildStreaming). */
  logFile?: string;
}

/** A docker build running in the background: wait for `finished`, or stop() it. */
export interface BackgroundBuild {
  readonly finished: Promise<FinishedBuild>;
  stop(): void;
}

/**
 * Starts the build of `plan` in the background, its output into `logFile` (not a pipe: the caller may block
 * in a synchronous command meanwhile, as the deploy does while kind creates the cluster, and a full pipe
 * would stall the build). ensureImage(..., finished) then records it as it would a build it ran itself.
 */
export function startBuild(options: BuildOptions, workspaceRoot: string, plan: BuildPlan, logFile: string): BackgroundBuild {
  const started = Date.now();
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'w');
  const args = buildArgsFor(plan, options, caBundle(options));
  const child = spawn(dockerBin(), args, { cwd: workspaceRoot, env: dockerEnv(), stdio: ['ignore', out, out] });
  closeSync(out); // the child holds its own descriptor
  const finished = new Promise<FinishedBuild>((resolve) => {
    // The exit is seen only when the caller's event loop runs again (maybe long after): the output's last
    // write is when the build ended.
    const end = (status: number) => resolve({ status, seconds: (Math.min(Date.now(), statSync(logFile).mtimeMs) - started) / 1000, logFile });
    child.on('error', () => end(127));
    child.on('close', (code) => end(code ?? 1));
  });
  return { finished, stop: () => void child.kill('SIGTERM') };
}

/** What a build on the terminal says first (ensureImage's own, buildStreaming's). */
const buildingLine = (plan: BuildPlan, force?: boolean) => (force ? `Building ${plan.contentRef} (--force).` : `${plan.contentRef} is not in the daemon: building.`);

/**
 * The build of `plan` now, its output to the terminal line by line, without blocking this process: the
 * dev loop's rebuild runs this way, so the loop keeps syncing other saves while an image builds (a
 * synchronous build would stop its event loop, file watcher included). `spawner`: the deploy run's.
 */
export async function buildStreaming(options: BuildOptions, workspaceRoot: string, plan: BuildPlan, spawner: typeof streamAndCapture = streamAndCapture): Promise<FinishedBuild> {
  const started = Date.now();
  console.log(buildingLine(plan, options.force));
  const r = await spawner(dockerBin(), buildArgsFor(plan, options, caBundle(options)), { cwd: workspaceRoot, env: dockerEnv(), discard: true });
  return { status: r.status, seconds: (Date.now() - started) / 1000 };
}

/** The last lines of a background build's output (printed when it failed). */
const tailOf = (file: string, lines = 40) => readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');

/**
 * Makes sure the image of `plan` is in the daemon (building it when its content tag is missing), tags
 * it and writes its record. Returns the record (undefined in a dry run); throws when the build fails.
 * The deploy executor calls this for each service image.
 */
export function ensureImage(
  options: BuildOptions,
  workspaceRoot: string,
  project: string,
  plan: BuildPlan = planBuild(options, workspaceRoot, dockerBin()),
  /** Print only builds and failures (the deploy prints its own line for an image already built). */
  quiet = false,
  /** The content tag's inspect result when the caller already has it (the deploy looked once). */
  inspected?: { image: InspectedImage | undefined },
  /** The build already ran (startBuild in the background, or buildStreaming): record its outcome instead of building. */
  finished?: FinishedBuild,
): ImageRecord | undefined {
  const started = Date.now();
  const docker = dockerBin();
  const refs = plan.tags.map((t) => `${plan.image}:${t}`);
  const info = (line: string) => (quiet ? undefined : console.log(line));
  info(`${plan.contentRef}: key over ${plan.files} context files, ${relative(workspaceRoot, join(workspaceRoot, options.dockerfile))}, build args ${Object.keys(plan.keyArgs).join(', ')}`);

  let image = options.force || finished ? undefined : inspected ? inspected.image : inspectImage(plan.contentRef, docker);
  const built = !image;
  if (image) {
    info(`${plan.contentRef} is in the daemon (${image.Id.slice(7, 19)}): inputs unchanged, nothing to build.`);
    for (const ref of refs.filter((r) => !(image!.RepoTags ?? []).includes(r))) {
      if (options.dryRun) console.log(`$ ${commandLine(docker, ['tag', plan.contentRef, ref])}  (dry run)`);
      else if (capture(docker, ['tag', plan.contentRef, ref]).status !== 0) throw new ClusterError('docker tag', `docker tag ${plan.contentRef} ${ref} failed`, 'check the Docker daemon (`docker info`) and retry');
    }
  } else {
    const args = buildArgsFor(plan, options, caBundle(options));
    if (options.dryRun) {
      console.log(`$ DOCKER_BUILDKIT=1 ${commandLine(docker, args)}  (dry run)`);
      return undefined;
    }
    const fix = `fix what the output names; a pull error there means a base image is unreachable: ${OFFLINE_FIX}`;
    if (finished?.logFile) {
      const output = relative(workspaceRoot, finished.logFile);
      if (finished.status !== 0) {
        console.error(tailOf(finished.logFile));
        throw new ClusterError('docker build', `docker build of ${plan.contentRef} failed in the background (the last lines of its output are above; all of it: ${output})`, fix);
      }
      console.log(`${plan.contentRef}: built in the background in ${finished.seconds.toFixed(1)}s (its output: ${output})`);
    } else {
      // On the terminal: already run (buildStreaming), or run here.
      if (!finished) console.log(buildingLine(plan, options.force));
      const status = finished ? finished.status : stream(docker, args, { cwd: workspaceRoot, env: dockerEnv() });
      if (status !== 0) throw new ClusterError('docker build', `docker build of ${plan.contentRef} failed (its output is above)`, fix);
    }
    image = inspectImage(plan.contentRef, docker);
    if (!image) throw new ClusterError('docker build', `docker build succeeded but ${plan.contentRef} is not in the daemon`, 'check the Docker daemon (`docker images`) and retry');
  }
  if (options.dryRun) return undefined;

  const record: ImageRecord = {
    project,
    image: plan.image,
    environment: plan.environment,
    ref: plan.contentRef,
    id: image.Id,
    tags: refs,
    contentTag: plan.tags[0],
    key: plan.key,
    size: image.Size,
    sizeHuman: humanSize(image.Size),
    built,
    buildArgs: plan.buildArgs,
    baseImages: plan.baseImages,
    recordedAt: new Date().toISOString(),
  };
  const path = writeRecord(workspaceRoot, record);
  (built ? console.log : info)(`${built ? 'Built' : 'Up to date:'} ${refs.join(', ')} (${record.sizeHuman}) in ${((Date.now() - started) / 1000).toFixed(1)}s; record: ${relative(workspaceRoot, path)}`);
  return record;
}

