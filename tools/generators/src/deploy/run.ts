/**
 * DeployRun: one deploy of one environment, and everything its steps share (kind's ActionContext is
 * the model). It is built once from the options; the environment's target (@todo/cluster targetFor)
 * is derived there and read by reference afterwards. The run owns the shared state and its caches:
 * the resolved tools, the node image lists, each service image's plan, daemon inspect and record, and
 * the release as last read. Steps call its methods; they keep no state of their own.
 *
 * The run also owns how processes start (as Helm's action configuration and kind's context do): every
 * step runs its commands through `run.runner` (@todo/cluster's Runner, the one cluster-up takes) and
 * the helm upgrade through `run.spawn`, so a step's test gives the run recorders and asserts on the
 * commands (deploy/steps/*.spec.ts).
 */
import { ReadAhead } from './read-ahead';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ClusterError, EnvTarget, Helm, KindOptions, RegistryOptions, RunResult, Runner, ToolName, capture, commandLine, dockerNotRunning, execOrPrint, kindOptions, lastLine, probeHelm, registryOptions, resolveTool, streamAndCapture } from '@todo/cluster';
import { BackgroundBuild, BuildOptions, BuildPlan, FinishedBuild, buildStreaming, ensureImage, planBuild, startBuild } from '../images/build';
import { InspectedImage, dockerBin, inspectImage } from '../images/docker';
import { ImageRecord } from '../images/record';
import { Workspace, imageProject } from '../images/project';
import type { EnvironmentEntry, PlatformConfig } from '../platform/config';
import { EnvContext, EnvExecutorOptions, envScope } from '../platform/scope';
import { StoredRelease, latestRelease } from '../release/stored';
import { OptionError } from '../platform/validate';

export interface DeployOptions extends EnvExecutorOptions {
  /** Helm --timeout; default 5m. */
  timeout?: string;
  /** Extra --set key=value pairs (after the values files). */
  set?: string[];
  /** Extra values files, after values.yaml and values-<env>.yaml. */
  values?: string[];
  /** Check the app through the ingress at the end (default true). */
  smoke?: boolean;
  /** Build or reuse the offline stand-ins first (else TODO_OFFLINE; resolved in options.ts). */
  offline?: boolean;
  /** Our images kept per service after a success (else TODO_KEEP_IMAGES, else 3; 0 keeps all). */
  keep?: number;
  /**
   * Leave pods that carry the dev loop's sync marker in place (the loop's own passes: dev/bridge.ts).
   * Every other deploy replaces them with image-built ones (deploy/steps/release.ts). Not an executor option.
   */
  keepSyncedPods?: boolean;
  /**
   * kind: move images through the cluster's local registry (created with the cluster, kind's
   * local-registry pattern; only the layers a node lacks move). Default true; false (or
   * TODO_LOCAL_REGISTRY=false) loads them with `kind load` instead. Environments with a "registry" push there.
   */
  localRegistry?: boolean;
}

/** What a build started ahead of its step was started with (DeployRun.buildAhead). */
export type BuildAheadOrigin = 'checks' | 'cluster';

/** --localRegistry, else TODO_LOCAL_REGISTRY (false/0/no turns it off), else on. */
export function localRegistryWanted(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  return !['0', 'false', 'no'].includes((env.TODO_LOCAL_REGISTRY ?? '').toLowerCase());
}

export interface ServiceImage {
  service: string;
  /** The image project (apps/<service>-image). */
  project: string;
  build: BuildOptions;
  /** Owned by the run: set by plan(), record() and build(). */
  plan?: BuildPlan;
  record?: ImageRecord;
  /** The daemon's answer for the content tag, asked once per run (refreshed after a build). */
  inspected?: { image: InspectedImage | undefined };
}

export interface DeployTools {
  docker: string;
  kubectl: string;
  helm: Helm;
  kind?: string;
  minikube?: string;
}

export interface NodeImage {
  id: string;
  repoTags: string[];
}

export type { Workspace } from '../images/project';

/** A command that runs while the caller goes on (streamAndCapture's shape): the helm upgrade, watched while it waits. */
export type Spawner = typeof streamAndCapture;

/** How a run starts processes; a test gives recorders (the defaults run the real commands). */
export interface DeployProcesses {
  /** Commands that finish: captured, or with `inherit` on the terminal. Default: @todo/cluster capture. */
  runner?: Runner;
  /** Default: @todo/cluster streamAndCapture. */
  spawn?: Spawner;
}

export class DeployRun implements EnvContext {
  // The environment's scope (platform/scope.ts), assigned once in the constructor.
  readonly workspaceRoot!: string;
  readonly config!: PlatformConfig;
  readonly name!: string;
  readonly env!: EnvironmentEntry;
  readonly release!: string;
  readonly namespace!: string;
  readonly target!: EnvTarget;
  readonly chartDir!: string;
  readonly dryRun!: boolean;
  /** kind only: ports, node image, kubeconfig. */
  readonly kind?: KindOptions;
  /** Registry the images are pushed to (environment "registry", or the kind cluster's local one); empty: loaded into the node. */
  registry: string;
  /** kind with its local registry (localRegistryWanted): its container, port and name. */
  localRegistry?: RegistryOptions;
  readonly images: ServiceImage[];
  /** -f files in order: values.yaml, values-<env>.yaml, then --values. */
  readonly valuesFiles: string[];
  sets: string[];
  readonly timeout: string;
  /** Set by findTools() (the tools step). */
  tools!: DeployTools;
  private nodeList?: string[];
  private readonly nodeImageLists = new Map<string, NodeImage[]>();
  private releaseRead?: StoredRelease;
  /** Builds started ahead of their step (buildAhead), by service, with what they were started with. */
  private readonly buildsAhead = new Map<string, BackgroundBuild & { startedWith: BuildAheadOrigin }>();
  /** Why the release step's check found the release stale; undefined when it found it current (or has not run). */
  releaseStale?: string;
  /** Every command of the run's steps goes through it (see the file's comment); the checks' reads may be answered ahead (read-ahead.ts). */
  readonly runner: Runner;
  readonly readAhead: ReadAhead;
  /** How long the run waited for the checks' reads started together, before its first step (runStepsReadingAhead). */
  readAheadSeconds = 0;
  /** How long resolving the options took before the run was built (--offline's stand-ins: deployEnvironment). */
  optionsSeconds = 0;
  readonly spawn: Spawner;

  constructor(readonly options: DeployOptions, workspace: Workspace, processes: DeployProcesses = {}) {
    Object.assign(this, envScope(options, workspace));
    this.readAhead = new ReadAhead(processes.runner ?? capture);
    this.runner = this.readAhead.runner;
    this.spawn = processes.spawn ?? streamAndCapture;
    const extra = (options.values ?? []).map((f) => (isAbsolute(f) ? f : join(this.workspaceRoot, f)));
    for (const f of extra) if (!existsSync(f)) throw new OptionError(`Values file ${f} (--values) does not exist`, 'pass an existing file (relative to the workspace root)');
    const envValues = join(this.chartDir, `values-${this.name}.yaml`);
    if (!existsSync(envValues)) throw new ClusterError('values', `${this.config.chart.directory}/values-${this.name}.yaml is missing`, 're-create it with `npx nx g chart`');
    this.registry = (this.env.registry ?? '').replace(/\/+$/, '');
    const local = this.cluster.type === 'kind' && !this.registry && localRegistryWanted(options.localRegistry);
    this.kind = this.cluster.type === 'kind' ? kindOptions(this.cluster.name, process.env, { kubeconfig: this.target.kubeconfig, ...(local ? { registry: true } : {}) }) : undefined;
    this.images = Object.keys(this.config.services).map((s) => imageProject(s, workspace, this.name));
    this.valuesFiles = [join(this.chartDir, 'values.yaml'), envValues, ...extra];
    this.sets = options.set ?? [];
    if (local) {
      this.localRegistry = registryOptions();
      this.registry = `localhost:${this.localRegistry.hostPort}`;
      // Before the user's --set: the chart prefixes every image (ours and the database's) with it.
      this.sets = [`global.imageRegistry=${this.registry}`, ...this.sets];
    }
    this.timeout = options.timeout ?? '5m';
  }

  /**
   * The cluster was created without the local registry (containerd's config_path is only set at
   * creation): this run loads images with `kind load`, as before, and says how to get the registry.
   */
  withoutLocalRegistry(): void {
    if (!this.localRegistry) return;
    this.sets = this.sets.filter((s) => s !== `global.imageRegistry=${this.registry}`);
    this.registry = '';
    this.localRegistry = undefined;
    Object.assign(this, { kind: { ...this.kind!, registry: false } });
  }

  get cluster() {
    return this.target.cluster;
  }
  get kubeContext() {
    return this.target.kubeContext;
  }

  /**
   * Finds docker, kubectl, helm and the cluster's CLI (@todo/cluster's one order); with install,
   * downloads the pinned ones that are missing. Returns the missing ones (only without install: a
   * dry run uses their bare names).
   */
  async findTools(install: boolean): Promise<ToolName[]> {
    const docker = dockerBin();
    const info = this.runner(docker, ['info', '--format', '{{.ServerVersion}}']);
    if (info.status !== 0) throw dockerNotRunning(info.stderr || info.stdout);
    const missing: ToolName[] = [];
    const path = async (t: ToolName): Promise<string> => {
      try {
        return await resolveTool(t, { autoInstall: install });
      } catch (e) {
        if (install || !(e instanceof ClusterError)) throw e;
        missing.push(t);
        return t;
      }
    };
    const kubectl = await path('kubectl');
    const helm = await path('helm');
    this.tools = {
      docker,
      kubectl,
      helm: missing.includes('helm') ? { bin: 'helm', major: 3, version: 'v3 (not installed yet)' } : probeHelm(helm, this.runner),
      ...(this.cluster.type === 'kind' ? { kind: await path('kind') } : {}),
      ...(this.cluster.type === 'minikube' ? { minikube: await path('minikube') } : {}),
    };
    return missing;
  }

  /** A command with the terminal attached (what the user watches: a push, a load), printed first; its exit status. */
  stream(bin: string, args: string[], input?: string): number {
    console.log(`$ ${commandLine(bin, args)}`);
    const r = this.runner(bin, args, { input, inherit: true });
    if (r.status === 127 && r.stderr) console.error(`${bin}: ${r.stderr}`);
    return r.status;
  }

  /**
   * stream() without blocking this process: for the long transfers (a push, a load) of a step, so the dev
   * loop, whose passes share this process, goes on syncing meanwhile. Output to the terminal as it comes.
   */
  async streamAsync(bin: string, args: string[]): Promise<number> {
    console.log(`$ ${commandLine(bin, args)}`);
    const r = await this.spawn(bin, args, { discard: true });
    if (r.status === 127 && r.stderr) console.error(`${bin}: ${r.stderr}`);
    return r.status;
  }

  /** stream(), or in a dry run only the command printed (with its stdin). True when it succeeded. */
  execOrPrint(bin: string, args: string[], input?: string): boolean {
    return this.dryRun ? execOrPrint(true, bin, args, input) : this.stream(bin, args, input) === 0;
  }

  /** kubectl on the environment's cluster (its context and kubeconfig), output captured. */
  kubectl(args: string[], input?: string): RunResult {
    return this.runner(this.tools.kubectl, [...this.target.kubectlContext, '--request-timeout=20s', ...args], { input });
  }

  /** The kind cluster's node containers (listed once: no step changes them). */
  nodes(): string[] {
    if (this.nodeList) return this.nodeList;
    const r = this.runner(this.tools.kind!, ['get', 'nodes', '--name', this.cluster.name]);
    if (r.status !== 0) throw new ClusterError('load', `\`kind get nodes\` failed: ${lastLine(r.stderr)}`, 'nx run cluster:cluster-status');
    return (this.nodeList = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
  }

  /** The images a kind node's containerd has (crictl, one call per node until forgetNodeImages()). */
  nodeImages(node: string): NodeImage[] {
    const hit = this.nodeImageLists.get(node);
    if (hit) return hit;
    const r = this.runner(this.tools.docker, ['exec', node, 'crictl', 'images', '-o', 'json']);
    if (r.status !== 0) throw new ClusterError('load', `cannot list the images of kind node ${node}: ${lastLine(r.stderr)}`, `check the node with \`docker logs ${node}\`; \`nx run cluster:cluster-down\` then deploy again recreates it`);
    const list = ((JSON.parse(r.stdout) as { images?: NodeImage[] }).images ?? []).map((i) => ({ id: i.id, repoTags: i.repoTags ?? [] }));
    this.nodeImageLists.set(node, list);
    return list;
  }

  /** After a failed load: the node lists are stale. */
  forgetNodeImages(): void {
    this.nodeImageLists.clear();
  }

  /** After a successful `kind load` (which loads into every node or fails): note the image in the
   *  listings already made instead of listing every node's images again (a `docker exec crictl` each). */
  loadedIntoNodes(id: string, repoTags: string[]): void {
    for (const list of this.nodeImageLists.values()) list.push({ id, repoTags });
  }

  /** Docker's CLI: the tools step's, or before it (a build started with the checks) the one it will find. */
  private get docker(): string {
    return this.tools?.docker ?? dockerBin();
  }

  /** The image's build plan (bases, content key, tags), computed once. `pull` false: a missing base throws instead of being pulled. */
  plan(image: ServiceImage, pull = true): BuildPlan {
    return (image.plan ??= planBuild({ ...image.build, dryRun: this.dryRun }, this.workspaceRoot, this.docker, this.runner, pull));
  }

  /** The daemon's image under the content tag, inspected once per run. */
  daemonImage(image: ServiceImage): InspectedImage | undefined {
    return (image.inspected ??= { image: inspectImage(this.plan(image).contentRef, this.docker, this.runner) }).image;
  }

  /** The image's record (tags added, dist/images/<project>.json written) from what the daemon has; undefined in a dry run. */
  record(image: ServiceImage): ImageRecord | undefined {
    if (image.record || this.dryRun) return image.record;
    return (image.record = ensureImage({ ...image.build, dryRun: this.dryRun }, this.workspaceRoot, image.project, this.plan(image), true, { image: this.daemonImage(image) }));
  }

  /**
   * Builds the image (when the daemon lacks its content tag) and records it; a build started ahead
   * (buildAhead) is waited for instead. `force`: build even when the daemon has the content tag (an
   * explicit rebuild).
   */
  async build(image: ServiceImage, force = false): Promise<ImageRecord | undefined> {
    const ahead = this.buildsAhead.get(image.service);
    this.buildsAhead.delete(image.service);
    let finished: FinishedBuild | undefined = ahead && !force ? await ahead.finished : undefined;
    // Built here: asynchronously, so the dev loop (whose passes share this process) syncs meanwhile.
    if (!finished && !this.dryRun && (force || !this.daemonImage(image)))
      finished = await buildStreaming({ ...image.build, ...(force ? { force } : {}) }, this.workspaceRoot, this.plan(image), this.spawn);
    image.record = ensureImage({ ...image.build, dryRun: this.dryRun, ...(force ? { force } : {}) }, this.workspaceRoot, image.project, this.plan(image), false, image.inspected, finished);
    image.inspected = undefined;
    return image.record;
  }

  /**
   * Starts now, in the background, the builds this run's build steps would run (the images whose
   * content tag the daemon lacks), each one's output into dist/deploy/<env>.build-<service>.log;
   * build() then waits for that build instead of starting one. A build needs only Docker, so it can
   * overlap what comes before its step:
   *   'checks'   deploy-<env> calls it as the run starts, while the checks' reads run together
   *              (runStepsReadingAhead): a one-file deploy's build no longer waits for them;
   *   'cluster'  the cluster step calls it before kind creates a cluster (no node yet) or minikube
   *              starts: the cluster's creation mostly waits, and a cold deploy's two longest steps overlap.
   * The pushes are not started ahead: on 2 CPUs, pushes (dockerd compresses every layer) during the
   * cluster's start-up slowed it by more than they saved (docs/deploy.md, "Speed").
   */
  buildAhead(log: (line: string) => void, startedWith: BuildAheadOrigin = 'cluster'): void {
    if (this.dryRun) return;
    for (const image of this.images) {
      const output = join('dist', 'deploy', `${this.name}.build-${image.service}.log`);
      const ahead = this.buildsAhead.get(image.service);
      if (ahead) {
        // Started with the checks, and now the cluster is created while it runs: that is what its step will say.
        if (startedWith === 'cluster' && ahead.startedWith === 'checks') {
          ahead.startedWith = 'cluster';
          log(`building ${this.plan(image).contentRef} in the background meanwhile (started as the deploy began; output: ${output})`);
        }
        continue;
      }
      if (startedWith === 'checks') {
        // Before any step: an image whose base is missing is left to its step (which pulls it on the terminal, once).
        try {
          this.plan(image, false);
        } catch {
          continue;
        }
      }
      if (this.daemonImage(image)) continue;
      this.buildsAhead.set(image.service, { ...startBuild({ ...image.build }, this.workspaceRoot, this.plan(image), join(this.workspaceRoot, output)), startedWith });
      log(`${startedWith === 'checks' ? 'build: ' : ''}building ${this.plan(image).contentRef} in the background meanwhile (output: ${output})`);
    }
  }

  /** What the image's build was started ahead with, while no step has waited for it yet (its step says so). */
  buildingAhead(image: ServiceImage): BuildAheadOrigin | undefined {
    return this.buildsAhead.get(image.service)?.startedWith;
  }

  /** Stops the builds started ahead that no step waited for (the run failed before them). */
  stopBuildsAhead(): void {
    for (const b of this.buildsAhead.values()) b.stop();
    this.buildsAhead.clear();
  }

  /**
   * Another pass of the same session (the dev loop, as Skaffold's runner keeps its own across
   * iterations): the scope, the tools, the cluster options, the values and each image's build options
   * stay as the session resolved them. What a pass reads again is forgotten: the plan, daemon answer
   * and record of the images in `rebuild` (the others keep the image their pods run), the kind nodes'
   * image lists, and the release.
   */
  nextPass(rebuild: string[]): void {
    for (const image of this.images) if (rebuild.includes(image.service)) Object.assign(image, { plan: undefined, record: undefined, inspected: undefined });
    this.nodeImageLists.clear();
    this.releaseRead = undefined;
    this.releaseStale = undefined;
  }

  /** The release's newest revision, read now from the cluster; remembered as releaseBefore. */
  readRelease(): StoredRelease | undefined {
    return (this.releaseRead = latestRelease((args) => this.kubectl(args), this.release, this.namespace));
  }

  /** The release as the last readRelease() found it (before an upgrade). */
  get releaseBefore(): StoredRelease | undefined {
    return this.releaseRead;
  }
}
