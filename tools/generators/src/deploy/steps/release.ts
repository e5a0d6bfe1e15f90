/**
 * Step "helm release": helm upgrade --install with the environment's values and the images' content
 * tags, waiting for every pod, rolling back on failure. Skipped when the deployed revision carries this
 * deploy's digest (chart files, values, --set, image ids; release/values.ts) and its workloads are
 * Ready, and no pod runs files synced by the dev loop (release/sync-marker.ts: those pods are
 * replaced by image-built ones, with or without an upgrade). The release is read from the cluster by
 * DeployRun.readRelease(), which remembers it so a failed upgrade can tell whether Helm rolled back.
 */
import { ClusterError, commandLine, lastLine, rollbackOnFailureFlag } from '@todo/cluster';
import { DIGEST_PREFIX, StoredRelease, digestOf, notReady } from '../../release/stored';
import { durationMs, findSyncedPods, replaceSyncedPods, workloadsOf } from '../../release/sync-marker';
import { migrationsHash } from '../../release/migrations';
import { deployDigest } from '../../release/values';
import { releaseWatch, runWithProgress } from '../progress';
import type { DeployRun } from '../run';
import type { Step } from '../step';

/**
 * The repository:tag the chart gets for a service image (registry-prefixed by the chart itself), and
 * for a service with migrations their content hash (the chart skips migrate when the running
 * Deployment already has it: release/migrations.ts).
 */
export function chartImageSets(run: DeployRun): string[] {
  return run.images.flatMap((i) => {
    // A dry run has no record (nothing was built): the planned content tag is what a real run would set.
    const image = i.record?.image ?? i.plan?.image;
    const tag = i.record?.contentTag ?? i.plan?.tags[0];
    const module = run.config.services[i.service]?.migrateModule;
    const hash = module ? migrationsHash(run.workspaceRoot, i.service, module) : undefined;
    return image && tag ? [`services.${i.service}.image.repository=${image}`, `services.${i.service}.image.tag=${tag}`, ...(hash ? [`services.${i.service}.migrations.hash=${hash}`] : [])] : [];
  });
}

export function imageRefs(run: DeployRun): string[] {
  return run.images.map((i) => (i.record ? `${i.service}=${i.record.ref}@${i.record.id}` : `${i.service}=?`));
}

/** The digest of what this run would deploy (computed from the run's current images and values). */
export function digestFor(run: DeployRun): string {
  return deployDigest({ chartDir: run.chartDir, valuesFiles: run.valuesFiles, sets: run.sets, images: imageRefs(run), release: run.release, namespace: run.namespace });
}

export function upgradeArgs(run: DeployRun, digest: string): string[] {
  return [
    'upgrade', '--install', run.release, run.chartDir,
    ...run.target.helmScope,
    '--create-namespace',
    ...run.valuesFiles.flatMap((f) => ['-f', f]),
    ...[...chartImageSets(run), ...run.sets].flatMap((kv) => ['--set', kv]),
    '--description', `${DIGEST_PREFIX}${digest} (nx deploy-${run.name})`,
    '--wait',
    '--timeout', run.timeout,
    rollbackOnFailureFlag(run.tools.helm),
    // Helm's "OpenAPI validation" (on by default) adds no check on a server that has server-side field
    // validation (GA since Kubernetes 1.27): kubectl's factory Validator (k8s.io/kubectl v0.37, in
    // Helm 3.22 and 4.3) only asks the server's OpenAPI v3 documents whether PATCH takes the
    // fieldValidation parameter and, as it does, validates nothing on the client. What checks fields is
    // the apply itself, unchanged by this flag: Helm 4 applies with fieldValidation=Strict (an unknown
    // field fails the upgrade), Helm 3 without it (the server warns, as it did with the flag off). The
    // question costs a read (from the API server or kubectl's HTTP cache) and a parse of the OpenAPI v3
    // document of each group-version the chart uses, twice per upgrade (the new manifest is built twice):
    // see docs/deploy.md "Speed". What we render is checked before: values.schema.json and validate.yaml
    // at render, kubeconform --strict in the chart's lint.
    '--disable-openapi-validation',
  ];
}

/** Why the release differs from what this run would deploy; undefined when it matches and its workloads are ready. */
function staleness(run: DeployRun, rel: StoredRelease | undefined): string | undefined {
  if (!rel) return `no release ${run.release} in ${run.namespace} yet`;
  if (rel.status.startsWith('pending'))
    throw new ClusterError(
      'helm release',
      `revision ${rel.revision} of ${run.release} is "${rel.status}": another Helm operation is in progress or was interrupted`,
      `wait for it, or if nothing runs: npx nx run ${run.config.chart.name}:rollback-${run.name} (helm rollback ${run.release} -n ${run.namespace}); see docs/troubleshooting.md`,
    );
  if (rel.status !== 'deployed') return `revision ${rel.revision} is "${rel.status}"`;
  const stored = digestOf(rel.description);
  if (stored !== digestFor(run)) return `revision ${rel.revision} ${stored ? 'was made from other chart files, values or images' : `was not made by this deploy ("${rel.description}")`}`;
  const bad = notReady((args) => run.kubectl(args), run.namespace, rel.workloads);
  if (bad.length) return `revision ${rel.revision} is current but ${bad.join(', ')}`;
  return undefined;
}

/** Pods running files the dev loop synced (release/sync-marker.ts); none when this run keeps them (the loop's own passes). */
const syncedPodsOf = (run: DeployRun) => (run.options.keepSyncedPods ? [] : findSyncedPods((args) => run.kubectl(args), run.namespace, run.release));

/** After an upgrade, or instead of one: synced pods are replaced by image-built ones (an upgrade that kept a pod template keeps its pods). */
const replaceSynced = (run: DeployRun) =>
  run.options.keepSyncedPods ? true : replaceSyncedPods((args) => run.kubectl(args), run.namespace, run.release, durationMs(run.timeout), console.log);

/**
 * For a stale release, the check also lists the pods that carry the dev loop's marker (the same read a
 * current release's check makes, so the next run's read-ahead starts it beside the other checks). An
 * upgrade makes pods only from images: when none was marked at the check, none is after the upgrade,
 * and the listing after it (replaceSynced: a kubectl call on the step's path) is left out. Unknown (the read
 * failed, a first install, run() without the check): listed after the upgrade as before. Not looked for:
 * a file synced between the check and the end of the upgrade (a dev loop writing into the release while
 * a deploy runs), as one synced just after the listing never was.
 */
const markedAtCheck = new WeakMap<DeployRun, boolean>();

function noteMarked(run: DeployRun): void {
  try {
    markedAtCheck.set(run, syncedPodsOf(run).length > 0);
  } catch {
    markedAtCheck.delete(run);
  }
}

export const releaseStep: Step<DeployRun> = {
  name: 'helm release',
  needed(run) {
    const what = `helm upgrade --install ${run.release} (Helm ${run.tools.helm.version}) into ${run.namespace}`;
    if (run.dryRun) return { needed: true, reason: what };
    const rel = run.readRelease();
    const why = (run.releaseStale = staleness(run, rel));
    if (why) {
      if (rel) noteMarked(run);
      else markedAtCheck.delete(run);
      return { needed: true, reason: `${why}: ${what}` };
    }
    const synced = syncedPodsOf(run);
    if (synced.length)
      return { needed: true, reason: `revision ${rel!.revision} is current but pods ${synced.map((p) => p.name).join(', ')} run files synced by the dev loop: restarting ${workloadsOf(synced).join(', ')} from their images` };
    return { needed: false, reason: `revision ${rel!.revision} already has these chart files, values and images; ${rel!.workloads.length} workloads ready` };
  },
  async run(run) {
    const args = upgradeArgs(run, digestFor(run));
    if (run.dryRun) return run.execOrPrint(run.tools.helm.bin, args);
    // The check found the release current, so only synced pods made the step run: read it again (it may
    // have changed since) and replace those pods without an upgrade when it still matches. A stale
    // release is upgraded without a second read (one kubectl call less on every upgrade).
    if (!run.options.keepSyncedPods && !run.releaseStale && !staleness(run, run.readRelease())) return replaceSynced(run);
    console.log(`$ ${commandLine(run.tools.helm.bin, args)}`);
    console.log(`(waiting up to ${run.timeout} for every pod to be Ready; progress every few seconds)`);
    // stderr is kept for the diagnosis (and printed in full on failure); stdout goes to the terminal after.
    // While Helm waits, progress/ prints each workload's ready/desired and why a pod is not ready.
    const r = await runWithProgress(run.tools.helm.bin, args, releaseWatch(run), { spawn: run.spawn });
    process.stdout.write(r.stdout);
    if (r.status === 0) return markedAtCheck.get(run) === false ? true : replaceSynced(run);
    process.stderr.write(r.stderr);
    const before = run.releaseBefore;
    const after = run.readRelease();
    const rolledBack = !!before && after?.status === 'deployed' && after.revision > before.revision;
    const why = lastLine(r.stderr) || `helm exited ${r.status}`;
    const schema = /values don't meet the specifications|values\.schema\.json|execution error at \(.*validate\.yaml/i.test(r.stderr);
    if (!schema) {
      const pods = run.kubectl(['-n', run.namespace, 'get', 'pods', '-o', 'wide']).stdout.trim();
      if (pods) console.error(pods);
    }
    const rel = (f: string) => (f.startsWith(run.workspaceRoot) ? f.slice(run.workspaceRoot.length + 1) : f);
    throw new ClusterError(
      'helm release',
      rolledBack
        ? `the upgrade failed and Helm rolled back (now revision ${after!.revision}, the previous release's manifests): ${why}`
        : `helm upgrade failed${before ? '' : ' (first install: nothing to roll back to)'}: ${why}`,
      schema
        ? `the chart refused the values (Helm's message above names each one): fix them in ${run.valuesFiles.map(rel).join(' / ')} or the --set given; charts/${run.config.chart.name}/values.schema.json says what is allowed`
        : `look at the pods above (\`kubectl -n ${run.namespace} describe pod <name>\`, \`kubectl -n ${run.namespace} logs <name>\`); docs/troubleshooting.md lists ImagePullBackOff (no container registry on this machine: deploy with --offline), pending PVCs and failing probes`,
    );
  },
};
