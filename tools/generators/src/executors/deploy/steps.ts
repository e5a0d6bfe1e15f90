/**
 * The steps of deploy-<env>, in order. Each needed() looks at the real state (the Docker daemon, the
 * kind node's image store, the cluster, the Helm release's storage) rather than at a cache, so an image
 * removed from the node, a recreated cluster or a release changed by hand is noticed and repaired.
 *
 *   tools -> cluster -> namespace -> build <svc>... -> load <svc>... -> other images -> helm release -> smoke check
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { ClusterError, dockerNotRunning } from '../../../../cluster/src/errors';
import { run as clusterRun } from '../../../../cluster/src/exec';
import { ingressManifests } from '../../../../cluster/src/ingress';
import { kindUp } from '../../../../cluster/src/kind';
import { minikubeImageLoadArgs } from '../../../../cluster/src/minikube';
import { resolveTool } from '../../../../cluster/src/tools';
import { render } from '@todo/k8s-templates';
import { ensureImage, planBuild } from '../docker-build/executor';
import { dockerBin, inspectImage } from '../lib/docker';
import { exec } from '../lib/exec';
import { probeHelm, rollbackOnFailureFlag } from '../lib/helm';
import { capture, commandLine, stream } from '../lib/proc';
import type { Step, StepCheck } from '../lib/steps';
import { DeployContext, ServiceImage, appUrl, chartImageSets, ingressAddress } from './context';
import { OtherImage, deployDigest, effectiveValues, thirdPartyImages } from './values';
import { findSyncedPods, replaceSyncedPods, workloadsOf } from '../../dev/marker';

/**
 * The deploy digest (values.ts deployDigest) is kept in the revision's description: Helm replaces
 * the description on every upgrade or rollback made another way ("Upgrade complete", "Rollback to
 * 3"), while release labels are carried forward, so a label would survive a hand upgrade.
 */
export const DIGEST_PREFIX = 'deploy-digest=';
export const digestOf = (description: string | undefined) => new RegExp(`${DIGEST_PREFIX}([0-9a-f]{40})`).exec(description ?? '')?.[1];

/** The last non-empty line of a command's output (where CLIs put the error). */
const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
/** --kubeconfig when the cluster tool was told to keep the kind context elsewhere (CLUSTER_KUBECONFIG). */
const kubeconfigArgs = (ctx: DeployContext) => (ctx.kubeconfig ? ['--kubeconfig', ctx.kubeconfig] : []);
const kubectl = (ctx: DeployContext, args: string[], input?: string) =>
  capture(ctx.tools.kubectl, [...kubeconfigArgs(ctx), '--context', ctx.kubeContext, '--request-timeout=20s', ...args], { input });

// ------------------------------------------------------------------------------------------ tools

type ToolName = 'kubectl' | 'helm' | 'kind' | 'minikube';

/**
 * Finds docker, kubectl, helm and the cluster's CLI (KUBECTL/HELM, <TOOL>_BIN, PATH, .tools/bin);
 * with install, downloads the pinned, checksummed ones that are missing. Returns the missing ones
 * (only possible without install: a dry run uses their bare names).
 */
async function resolveAll(ctx: DeployContext, install: boolean): Promise<ToolName[]> {
  const docker = dockerBin();
  const info = capture(docker, ['info', '--format', '{{.ServerVersion}}']);
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
  const kubectlBin = process.env.KUBECTL || (await path('kubectl'));
  const helmBin = process.env.HELM || (await path('helm'));
  ctx.tools = {
    docker,
    kubectl: kubectlBin,
    helm: missing.includes('helm') ? { bin: 'helm', major: 3, version: 'v3 (not installed yet)' } : probeHelm(helmBin),
    ...(ctx.cluster.type === 'kind' ? { kind: await path('kind') } : {}),
    ...(ctx.cluster.type === 'minikube' ? { minikube: await path('minikube') } : {}),
  };
  return missing;
}

export const toolsStep: Step<DeployContext> = {
  name: 'tools',
  async needed(ctx) {
    const missing = await resolveAll(ctx, false);
    if (missing.length) return { needed: true, reason: `${missing.join(', ')} not found (PATH, <TOOL>_BIN, .tools/bin): installing the pinned, checksum-verified versions into .tools/bin` };
    const t = ctx.tools;
    return { needed: false, reason: `docker, kubectl, helm ${t.helm.version}${t.kind ? ', kind' : ''}${t.minikube ? ', minikube' : ''} found` };
  },
  async run(ctx) {
    if (ctx.dryRun) {
      console.log('$ nx run cluster:tools  (dry run)');
      return true;
    }
    await resolveAll(ctx, true);
    return true;
  },
};

// ---------------------------------------------------------------------------------------- cluster

function kindNode(ctx: DeployContext): string {
  return `${ctx.cluster.name}-control-plane`;
}

export const clusterStep: Step<DeployContext> = {
  name: 'cluster',
  needed(ctx): StepCheck {
    const c = ctx.cluster;
    if (ctx.dryRun) return { needed: true, reason: `ensure ${c.type} cluster ${c.name} (dry run: not checked)` };
    if (c.type === 'context') {
      const r = kubectl(ctx, ['get', '--raw', '/readyz']);
      if (r.status !== 0)
        throw new ClusterError('cluster', `kube context "${c.context}" is not reachable: ${lastLine(r.stderr)}`, '`kubectl config get-contexts` lists the contexts; fix "cluster" in environments.json or your kubeconfig');
      return { needed: false, reason: `context ${c.context} reachable (ingress and storage are the cluster owner's)` };
    }
    if (c.type === 'minikube') {
      const r = capture(ctx.tools.minikube!, ['status', `--profile=${c.name}`, '--output=json']);
      return r.status === 0 ? { needed: false, reason: `minikube profile ${c.name} running` } : { needed: true, reason: `minikube profile ${c.name} is not running: starting it` };
    }
    const clusters = capture(ctx.tools.kind!, ['get', 'clusters']);
    if (clusters.status !== 0) throw new ClusterError('cluster', `\`kind get clusters\` failed: ${lastLine(clusters.stderr)}`, 'check that Docker runs and kind works (`kind get clusters`)');
    if (!clusters.stdout.split('\n').map((s) => s.trim()).includes(c.name)) return { needed: true, reason: `kind cluster ${c.name} does not exist: creating it` };
    const running = capture(ctx.tools.docker, ['inspect', '-f', '{{.State.Running}}', kindNode(ctx)]).stdout.trim();
    if (running !== 'true') return { needed: true, reason: `kind node ${kindNode(ctx)} is not running: starting it` };
    // The ingress controller's Deployments, as cluster-up installs them (INGRESS_MANIFESTS; Traefik by default).
    for (const d of ingressManifests().deployments) {
      const [ns, name] = d.split('/');
      const ing = kubectl(ctx, ['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.status.readyReplicas}']);
      if (ing.status !== 0 || !(Number(ing.stdout) >= 1))
        return { needed: true, reason: `cluster ${c.name} exists but ${ing.status !== 0 ? `${d} cannot be read through context ${ctx.kubeContext} (${lastLine(ing.stderr)})` : `its ingress controller ${d} is not ready`}: repairing` };
    }
    return { needed: false, reason: `kind cluster ${c.name} running, ingress ready` };
  },
  async run(ctx) {
    const c = ctx.cluster;
    if (ctx.dryRun) {
      console.log(`$ nx run cluster:cluster-up --env=${ctx.name}  (dry run)`);
      return true;
    }
    if (c.type === 'minikube') {
      return stream('node', ['-r', '@swc-node/register', 'tools/cluster/src/cli.ts', 'up', `--env=${ctx.name}`], { cwd: ctx.workspaceRoot }) === 0;
    }
    if (capture(ctx.tools.docker, ['inspect', '-f', '{{.State.Running}}', kindNode(ctx)]).stdout.trim() === 'false') {
      // A stopped node (after a reboot): start it rather than recreate it, which would lose the volumes.
      if (stream(ctx.tools.docker, ['start', kindNode(ctx)]) !== 0) return false;
    }
    await kindUp(ctx.kind!, { kind: ctx.tools.kind!, kubectl: ctx.tools.kubectl, docker: ctx.tools.docker }, clusterRun, (m) => console.log(`cluster: ${m}`));
    return true;
  },
};

// -------------------------------------------------------------------------------------- namespace

export const namespaceStep: Step<DeployContext> = {
  name: 'namespace',
  needed(ctx) {
    if (ctx.dryRun) return { needed: true, reason: `ensure namespace ${ctx.namespace} (dry run: not checked)` };
    const r = kubectl(ctx, ['get', 'namespace', ctx.namespace, '-o', 'json']);
    if (r.status !== 0)
      return { needed: true, reason: /NotFound|not found/.test(r.stderr) ? `create namespace ${ctx.namespace}` : `cannot read namespace ${ctx.namespace}: ${lastLine(r.stderr)}` };
    const labels = (JSON.parse(r.stdout).metadata?.labels ?? {}) as Record<string, string>;
    return labels['pod-security.kubernetes.io/enforce'] === 'restricted'
      ? { needed: false, reason: `namespace ${ctx.namespace} exists with restricted Pod Security` }
      : { needed: true, reason: `label namespace ${ctx.namespace} for restricted Pod Security` };
  },
  run(ctx) {
    const manifest = render('k8s/namespace.yaml', { name: ctx.namespace, environment: ctx.name });
    return exec(ctx.dryRun, ctx.tools.kubectl, [...kubeconfigArgs(ctx), '--context', ctx.kubeContext, 'apply', '-f', '-'], manifest);
  },
};

// ----------------------------------------------------------------------------------------- images

export function buildStep(image: ServiceImage): Step<DeployContext> {
  return {
    name: `build ${image.service}`,
    needed(ctx) {
      image.plan = planBuild({ ...image.build, dryRun: ctx.dryRun }, ctx.workspaceRoot, ctx.tools.docker);
      const found = inspectImage(image.plan.contentRef, ctx.tools.docker);
      if (!found) return { needed: true, reason: `${image.plan.contentRef} is not in the Docker daemon: building ${image.project}` };
      image.record = ensureImage({ ...image.build, dryRun: ctx.dryRun }, ctx.workspaceRoot, image.project, image.plan, true);
      return { needed: false, reason: `${image.plan.contentRef} is in the Docker daemon (its inputs are unchanged)` };
    },
    run(ctx) {
      image.record = ensureImage({ ...image.build, dryRun: ctx.dryRun }, ctx.workspaceRoot, image.project, image.plan);
      return true;
    },
  };
}

/** containerd's names for a Docker reference (docker.io/library/ for official-style names). */
export function containerdNames(ref: string): string[] {
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return [ref];
  return ref.includes('/') ? [ref, `docker.io/${ref}`] : [ref, `docker.io/library/${ref}`];
}

interface NodeImage {
  id: string;
  repoTags: string[];
}

/** The images a kind node's containerd has (crictl, one call per node; refreshed after a load). */
function nodeImages(ctx: DeployContext, node: string, cache: Map<string, NodeImage[]>): NodeImage[] {
  const hit = cache.get(node);
  if (hit) return hit;
  const r = capture(ctx.tools.docker, ['exec', node, 'crictl', 'images', '-o', 'json']);
  if (r.status !== 0) throw new ClusterError('load', `cannot list the images of kind node ${node}: ${lastLine(r.stderr)}`, `check the node with \`docker logs ${node}\`; \`nx run cluster:cluster-down\` then deploy again recreates it`);
  const list = ((JSON.parse(r.stdout) as { images?: NodeImage[] }).images ?? []).map((i) => ({ id: i.id, repoTags: i.repoTags ?? [] }));
  cache.set(node, list);
  return list;
}

const nodesOfRun = new WeakMap<DeployContext, string[]>();

/** The kind cluster's node containers (listed once per deploy: steps before never change them). */
function kindNodes(ctx: DeployContext): string[] {
  const known = nodesOfRun.get(ctx);
  if (known) return known;
  const r = capture(ctx.tools.kind!, ['get', 'nodes', '--name', ctx.cluster.name]);
  if (r.status !== 0) throw new ClusterError('load', `\`kind get nodes\` failed: ${lastLine(r.stderr)}`, 'nx run cluster:cluster-status');
  const nodes = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  nodesOfRun.set(ctx, nodes);
  return nodes;
}

/** Nodes lacking `ref` with image id `id` (any id when undefined). */
function nodesMissing(ctx: DeployContext, ref: string, id: string | undefined, cache: Map<string, NodeImage[]>): string[] {
  const names = containerdNames(ref);
  return kindNodes(ctx).filter((n) => !nodeImages(ctx, n, cache).some((i) => (!id || i.id === id) && i.repoTags.some((t) => names.includes(t))));
}

async function registryHas(ref: string, localDigests: string[]): Promise<boolean> {
  const m = /^([^/]+)\/(.+):([^:@]+)$/.exec(ref);
  if (!m) return false;
  const [, host, repo, tag] = m;
  const scheme = /^(localhost|127\.0\.0\.1)(:|$)/.test(host) ? 'http' : 'https';
  try {
    // localhost may resolve to ::1 first, while a local registry publishes on 127.0.0.1.
    const address = host.replace(/^localhost(?=:|$)/, '127.0.0.1');
    const res = await fetch(`${scheme}://${address}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      signal: AbortSignal.timeout(5000),
    });
    const digest = res.headers.get('docker-content-digest');
    return res.ok && !!digest && localDigests.includes(`${host}/${repo}@${digest}`);
  } catch {
    return false;
  }
}

export function loadStep(image: ServiceImage, nodeCache: Map<string, NodeImage[]>): Step<DeployContext> {
  const target = (ctx: DeployContext) => (ctx.registry ? `${ctx.registry}/${image.record!.image}:${image.record!.contentTag}` : image.record!.ref);
  return {
    name: `load ${image.service}`,
    async needed(ctx) {
      if (!image.record) return { needed: true, reason: `load ${image.build.image} (dry run: not checked)` };
      const ref = target(ctx);
      if (ctx.registry) {
        const local = inspectImage(ref, ctx.tools.docker) ?? inspectImage(image.record.ref, ctx.tools.docker);
        if (await registryHas(ref, local?.RepoDigests ?? [])) return { needed: false, reason: `${ref} is in the registry with this image's digest` };
        return { needed: true, reason: `push ${ref} to ${ctx.registry}` };
      }
      if (ctx.cluster.type === 'minikube') {
        const ls = capture(ctx.tools.minikube!, ['image', 'ls', `--profile=${ctx.cluster.name}`]).stdout.split('\n').map((s) => s.trim());
        return containerdNames(ref).some((n) => ls.includes(n)) ? { needed: false, reason: `minikube already has ${ref}` } : { needed: true, reason: `minikube image load ${ref}` };
      }
      if (ctx.cluster.type !== 'kind') throw new ClusterError(`load ${image.service}`, `environment ${ctx.name} deploys to an existing cluster (${ctx.kubeContext}) without a registry, so its nodes cannot get ${ref}`, `give the environment a registry: npx nx g env ${ctx.name} --force --cluster=${ctx.env.cluster} --registry=<registry>`);
      const missing = nodesMissing(ctx, ref, image.record.id, nodeCache);
      return missing.length
        ? { needed: true, reason: `node ${missing.join(', ')} lacks ${ref} (${image.record.id.slice(7, 19)}): kind load` }
        : { needed: false, reason: `the node already has ${ref} (${image.record.id.slice(7, 19)})` };
    },
    run(ctx) {
      if (ctx.dryRun || !image.record) {
        console.log(`$ kind load docker-image ${image.build.image}:<content tag> --name ${ctx.cluster.name}  (dry run)`);
        return true;
      }
      const ref = target(ctx);
      if (ctx.registry) {
        if (capture(ctx.tools.docker, ['tag', image.record.ref, ref]).status !== 0) return false;
        if (stream(ctx.tools.docker, ['push', ref]) !== 0) {
          throw new ClusterError(`push ${image.service}`, `docker push ${ref} failed`, `log in (\`docker login ${ctx.registry}\`) and check that the registry is reachable; a local registry must be in Docker's insecure-registries unless it is localhost`);
        }
        return true;
      }
      if (ctx.cluster.type === 'minikube') return stream(ctx.tools.minikube!, minikubeImageLoadArgs(ctx.cluster.name, ref)) === 0;
      nodeCache.clear();
      return stream(ctx.tools.kind!, ['load', 'docker-image', ref, '--name', ctx.cluster.name]) === 0;
    },
  };
}

/**
 * Images the chart uses that we don't build (the database). When the Docker daemon has one, the
 * cluster gets it from there: loaded into a kind node that lacks it, or pushed to the environment's
 * registry when the registry lacks it (offline machines, registry rate limits, air-gapped clusters).
 * Otherwise the cluster pulls it as usual.
 */
export function otherImagesStep(nodeCache: Map<string, NodeImage[]>): Step<DeployContext> {
  let todo: OtherImage[] = [];
  const verb = (ctx: DeployContext) => (ctx.registry ? 'push' : 'kind load');
  return {
    name: 'other images',
    async needed(ctx) {
      const images = thirdPartyImages(effectiveValues(ctx.valuesFiles, ctx.sets));
      if (images.length === 0) return { needed: false, reason: 'none' };
      if ((ctx.cluster.type !== 'kind' && !ctx.registry) || ctx.dryRun) return { needed: false, reason: `the cluster pulls ${images.map((i) => i.ref).join(', ')}` };
      const local = images.map((i) => ({ image: i, found: inspectImage(i.ref, ctx.tools.docker) ?? inspectImage(i.source, ctx.tools.docker) }));
      const pulled = local.filter((l) => !l.found).map((l) => l.image.ref);
      todo = [];
      for (const { image, found } of local) {
        if (!found) continue;
        const missing = ctx.registry ? !(await registryHas(image.ref, found.RepoDigests ?? [])) : nodesMissing(ctx, image.ref, found.Id, nodeCache).length > 0;
        if (missing) todo.push(image);
      }
      const also = pulled.length ? `; the cluster pulls ${pulled.join(', ')}` : '';
      return todo.length
        ? { needed: true, reason: `${verb(ctx)} ${todo.map((i) => i.ref).join(', ')} from the Docker daemon${also}` }
        : { needed: false, reason: `${local.filter((l) => l.found).map((l) => l.image.ref).join(', ') || 'nothing'} already ${ctx.registry ? 'in the registry' : 'on the node'}${also}` };
    },
    run(ctx) {
      nodeCache.clear();
      return todo.every((i) => {
        if (!ctx.registry) return stream(ctx.tools.kind!, ['load', 'docker-image', i.ref, '--name', ctx.cluster.name]) === 0;
        if (i.ref !== i.source && !inspectImage(i.ref, ctx.tools.docker) && capture(ctx.tools.docker, ['tag', i.source, i.ref]).status !== 0) return false;
        return stream(ctx.tools.docker, ['push', i.ref]) === 0;
      });
    },
  };
}

// ---------------------------------------------------------------------------------------- release

export function imageRefs(ctx: DeployContext): string[] {
  return ctx.images.map((i) => (i.record ? `${i.service}=${i.record.ref}@${i.record.id}` : `${i.service}=?`));
}

export function upgradeArgs(ctx: DeployContext, digest: string): string[] {
  return [
    'upgrade', '--install', ctx.release, ctx.chartDir,
    ...kubeconfigArgs(ctx),
    '--kube-context', ctx.kubeContext, '--namespace', ctx.namespace,
    '--create-namespace',
    ...ctx.valuesFiles.flatMap((f) => ['-f', f]),
    ...[...chartImageSets(ctx), ...ctx.sets].flatMap((kv) => ['--set', kv]),
    '--description', `${DIGEST_PREFIX}${digest} (nx deploy-${ctx.name})`,
    '--wait',
    '--timeout', ctx.timeout,
    rollbackOnFailureFlag(ctx.tools.helm),
  ];
}

export interface StoredRelease {
  revision: number;
  status: string;
  labels: Record<string, string>;
  /** The revision's description (helm history's DESCRIPTION). */
  description: string;
  /** Deployment/StatefulSet names of the release manifest. */
  workloads: { kind: string; name: string }[];
}

/** Decodes Helm's release Secret (base64 of gzip'd JSON inside the Secret's base64). */
export function decodeRelease(secret: { metadata: { labels?: Record<string, string> }; data?: { release?: string } }): StoredRelease {
  const labels = secret.metadata.labels ?? {};
  let workloads: StoredRelease['workloads'] = [];
  let description = '';
  if (secret.data?.release) {
    const inner = Buffer.from(Buffer.from(secret.data.release, 'base64').toString('utf8'), 'base64');
    const json = JSON.parse((inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner) : inner).toString('utf8')) as { manifest?: string; info?: { description?: string } };
    description = json.info?.description ?? '';
    workloads = parseAllDocuments(json.manifest ?? '')
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((o): o is { kind: string; metadata: { name: string } } => !!o && (o.kind === 'Deployment' || o.kind === 'StatefulSet') && !!o.metadata?.name)
      .map((o) => ({ kind: o.kind, name: o.metadata.name }));
  }
  return { revision: Number(labels.version ?? 0), status: labels.status ?? 'unknown', labels, description, workloads };
}

/** The newest revision of the release, from its storage Secrets; undefined when never installed. */
export function latestRelease(ctx: DeployContext): StoredRelease | undefined {
  const r = kubectl(ctx, ['-n', ctx.namespace, 'get', 'secret', '-l', `owner=helm,name=${ctx.release}`, '-o', 'json']);
  if (r.status !== 0) throw new ClusterError('helm release', `cannot read the release of ${ctx.release} in ${ctx.namespace}: ${lastLine(r.stderr)}`, 'check your access to Secrets in that namespace (`kubectl auth can-i get secrets -n <namespace>`)');
  const items = (JSON.parse(r.stdout) as { items: { metadata: { labels?: Record<string, string> } }[] }).items;
  const newest = items.sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
  return newest ? decodeRelease(newest as Parameters<typeof decodeRelease>[0]) : undefined;
}

function notReady(ctx: DeployContext, workloads: StoredRelease['workloads']): string[] {
  if (workloads.length === 0) return [];
  const kinds = [...new Set(workloads.map((w) => w.kind.toLowerCase()))].join(',');
  const r = kubectl(ctx, ['-n', ctx.namespace, 'get', kinds, '-o', 'json']);
  if (r.status !== 0) return [`cannot list workloads (${lastLine(r.stderr)})`];
  const live = (JSON.parse(r.stdout) as { items: { kind: string; metadata: { name: string }; spec: { replicas?: number }; status: { readyReplicas?: number; updatedReplicas?: number } }[] }).items;
  const bad: string[] = [];
  for (const w of workloads) {
    const o = live.find((l) => l.kind === w.kind && l.metadata.name === w.name);
    if (!o) bad.push(`${w.kind} ${w.name} is missing`);
    else if ((o.status.readyReplicas ?? 0) < (o.spec.replicas ?? 1)) bad.push(`${w.kind} ${w.name} has ${o.status.readyReplicas ?? 0}/${o.spec.replicas ?? 1} ready`);
  }
  return bad;
}

/** Milliseconds of a Go duration such as 5m, 90s or 1h30m (Helm's --timeout). */
const durationMs = (d: string) => [...d.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)].reduce((ms, [, n, u]) => ms + Number(n) * { h: 3600e3, m: 60e3, s: 1e3 }[u as 'h' | 'm' | 's'], 0) || 300e3;

export function releaseStep(): Step<DeployContext> {
  let digest = '';
  let before: StoredRelease | undefined;
  // Only the sync marker (dev/marker.ts) makes the release step run: restart, no upgrade.
  let restartOnly = false;
  const replaceSynced = (ctx: DeployContext) =>
    ctx.keepSyncedPods ? Promise.resolve(true) : replaceSyncedPods((a) => kubectl(ctx, a), ctx.namespace, ctx.release, durationMs(ctx.timeout), console.log);
  return {
    name: 'helm release',
    needed(ctx) {
      digest = deployDigest({
        chartDir: ctx.chartDir,
        valuesFiles: ctx.valuesFiles,
        sets: ctx.sets,
        images: imageRefs(ctx),
        release: ctx.release,
        namespace: ctx.namespace,
      });
      const what = `helm upgrade --install ${ctx.release} (Helm ${ctx.tools.helm.version}) into ${ctx.namespace}`;
      if (ctx.dryRun) return { needed: true, reason: what };
      const rel = (before = latestRelease(ctx));
      if (!rel) return { needed: true, reason: `no release ${ctx.release} in ${ctx.namespace} yet: ${what}` };
      if (rel.status.startsWith('pending'))
        throw new ClusterError(
          'helm release',
          `revision ${rel.revision} of ${ctx.release} is "${rel.status}": another Helm operation is in progress or was interrupted`,
          `wait for it, or if nothing runs: npx nx run ${ctx.config.chart.name}:rollback-${ctx.name} (helm rollback ${ctx.release} -n ${ctx.namespace}); see docs/troubleshooting.md`,
        );
      if (rel.status !== 'deployed') return { needed: true, reason: `revision ${rel.revision} is "${rel.status}": ${what}` };
      const stored = digestOf(rel.description);
      if (stored !== digest)
        return { needed: true, reason: `revision ${rel.revision} ${stored ? 'was made from other chart files, values or images' : `was not made by this deploy ("${rel.description}")`}: ${what}` };
      const bad = notReady(ctx, rel.workloads);
      if (bad.length) return { needed: true, reason: `revision ${rel.revision} is current but ${bad.join(', ')}: ${what}` };
      const synced = ctx.keepSyncedPods ? [] : findSyncedPods((a) => kubectl(ctx, a), ctx.namespace, ctx.release);
      if ((restartOnly = synced.length > 0))
        return { needed: true, reason: `revision ${rel.revision} is current but pods ${synced.map((p) => p.name).join(', ')} run files synced by the dev loop: restarting ${workloadsOf(synced).join(', ')} from their images` };
      return { needed: false, reason: `revision ${rel.revision} already has these chart files, values and images; ${rel.workloads.length} workloads ready` };
    },
    async run(ctx) {
      if (restartOnly && !ctx.dryRun) return replaceSynced(ctx);
      const args = upgradeArgs(ctx, digest);
      if (ctx.dryRun) return exec(true, ctx.tools.helm.bin, args);
      console.log(`$ ${commandLine(ctx.tools.helm.bin, args)}`);
      console.log(`(waiting up to ${ctx.timeout} for every pod to be Ready)`);
      // stderr is kept for the diagnosis (and printed in full on failure); stdout goes to the terminal.
      const r = capture(ctx.tools.helm.bin, args);
      process.stdout.write(r.stdout);
      // An upgrade that left a pod template as it was leaves its synced pods too.
      if (r.status === 0) return replaceSynced(ctx);
      process.stderr.write(r.stderr);
      const after = latestRelease(ctx);
      const rolledBack = !!before && after?.status === 'deployed' && after.revision > before.revision;
      const why = lastLine(r.stderr) || `helm exited ${r.status}`;
      const schema = /values don't meet the specifications|values\.schema\.json|execution error at \(.*validate\.yaml/i.test(r.stderr);
      if (!schema) {
        const pods = kubectl(ctx, ['-n', ctx.namespace, 'get', 'pods', '-o', 'wide']).stdout.trim();
        if (pods) console.error(pods);
      }
      throw new ClusterError(
        'helm release',
        rolledBack
          ? `the upgrade failed and Helm rolled back (now revision ${after!.revision}, the previous release's manifests): ${why}`
          : `helm upgrade failed${before ? '' : ' (first install: nothing to roll back to)'}: ${why}`,
        schema
          ? `the chart refused the values (Helm's message above names each one): fix them in ${ctx.valuesFiles.map((f) => (f.startsWith(ctx.workspaceRoot) ? f.slice(ctx.workspaceRoot.length + 1) : f)).join(' / ')} or the --set given; charts/${ctx.config.chart.name}/values.schema.json says what is allowed`
          : `look at the pods above (\`kubectl -n ${ctx.namespace} describe pod <name>\`, \`kubectl -n ${ctx.namespace} logs <name>\`); docs/troubleshooting.md lists ImagePullBackOff, pending PVCs and failing probes`,
      );
    },
  };
}

// ------------------------------------------------------------------------------------ smoke check

function get(address: string, port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, headers: { host }, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Through the ingress: the login page (the frontend renders), and the task API without a session,
 * which only the backend answers with 401 (the frontend's proxy reached it). The database is already
 * proven by the backend pods being Ready (their readiness probe runs SELECT 1).
 */
export const SMOKE_CHECKS: { path: string; expect: number }[] = [
  { path: '/login', expect: 200 },
  { path: '/api/tasks', expect: 401 },
];

export const smokeStep: Step<DeployContext> = {
  name: 'smoke check',
  needed: (ctx) => ({ needed: true, reason: `GET ${SMOKE_CHECKS.map((c) => `${c.path} (${c.expect})`).join(', ')} on ${appUrl(ctx)} through the ingress` }),
  async run(ctx) {
    if (ctx.dryRun) return true;
    const { address, port } = ingressAddress(ctx);
    const deadline = Date.now() + 60_000;
    let last: number[] = [];
    while (Date.now() < deadline) {
      last = await Promise.all(SMOKE_CHECKS.map((c) => get(address, port, ctx.env.host, c.path)));
      if (last.every((s, i) => s === SMOKE_CHECKS[i].expect)) return true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new ClusterError(
      'smoke check',
      `${appUrl(ctx)} did not answer as expected within 60 s (${SMOKE_CHECKS.map((c, i) => `${c.path}: ${last[i] || 'no answer'}, expected ${c.expect}`).join('; ')})`,
      `404 everywhere: the Ingress host is not ${ctx.env.host} or the ingress controller is not ready (\`kubectl -n ${ctx.namespace} get ingress\`); 502/503 on /api/tasks: the frontend cannot reach the backend (\`kubectl -n ${ctx.namespace} logs deploy/${ctx.release}-frontend\`); no answer: nothing listens on ${ingressAddress(ctx).address}:${ingressAddress(ctx).port} (\`nx run cluster:cluster-status\`); see docs/troubleshooting.md`,
    );
  },
};
