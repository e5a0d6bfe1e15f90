/**
 * `helm upgrade --wait` with progress: while Helm waits, the release's Deployments, StatefulSets and
 * pods are read every few seconds and one line says each workload's ready/desired and why any pod is
 * not ready (workloads.ts). Helm's own output is captured as before (stdout printed after, stderr kept
 * for the diagnosis).
 */
import { type RunResult, streamAndCapture } from '@todo/cluster';
import { type Output, progressLine } from './line';
import { type K8sList, type Pod, type PodProblem, type Workload, allReady, formatProgress, podProblems, readySummary } from './workloads';

/** Where the release's objects are: kubectl with its --kubeconfig/--context, the namespace, a label selector. */
export interface WatchTarget {
  kubectl: string;
  /** --kubeconfig/--context arguments. */
  kubectlArgs: string[];
  namespace: string;
  /** e.g. app.kubernetes.io/instance=todo */
  selector: string;
}

/** How the commands start (the run's spawn; a test's recorder). */
type Spawn = typeof streamAndCapture;

/** kubectl in the background (the poll must not block Helm's output), captured only. */
const quiet = (w: WatchTarget, args: string[], spawn: Spawn) =>
  spawn(w.kubectl, [...w.kubectlArgs, '--request-timeout=10s', '-n', w.namespace, ...args], { timeoutMs: 15_000, onLine: () => undefined });

async function kubectlJson<T>(w: WatchTarget, args: string[], spawn: Spawn): Promise<T | undefined> {
  const r = await quiet(w, args, spawn);
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return undefined;
  }
}

async function lastLogLine(w: WatchTarget, pod: string, container: string, spawn: Spawn): Promise<string> {
  const r = await quiet(w, ['logs', pod, '-c', container, '--previous', '--tail=5'], spawn);
  return r.status === 0 ? (r.stdout.trim().split('\n').filter(Boolean).pop() ?? '') : '';
}

/**
 * One look at the release: the progress line, and the summary that tells a change. With `watched` (the
 * Deployments as the watch reports them, fresher than any poll) only StatefulSets are read here.
 */
export async function snapshot(
  w: WatchTarget,
  seconds: number,
  spawn: Spawn = streamAndCapture,
  watched?: Workload[],
): Promise<{ text: string; summary: string; workloads: Workload[]; problems: PodProblem[]; logs: Record<string, string> } | undefined> {
  const kinds = watched ? 'statefulsets' : 'deployments,statefulsets';
  const [polled, pods] = await Promise.all([
    kubectlJson<K8sList<Workload>>(w, ['get', kinds, '-l', w.selector, '-o', 'json'], spawn),
    kubectlJson<K8sList<Pod>>(w, ['get', 'pods', '-l', w.selector, '-o', 'json'], spawn),
  ]);
  if (!polled || !pods) return undefined;
  const problems = podProblems(pods.items);
  const logs: Record<string, string> = {};
  await Promise.all(problems.filter((p) => p.crashing).map(async (p) => (logs[p.pod] = await lastLogLine(w, p.pod, p.crashing!, spawn))));
  return { ...describe(seconds, [...(watched ?? []), ...polled.items], problems, logs), workloads: polled.items, problems, logs };
}

/** The line and its summary (ready/desired and each pod's reason: a change prints at once). */
function describe(seconds: number, workloads: Workload[], problems: PodProblem[], logs: Record<string, string>) {
  const summary = `${readySummary(workloads)}|${problems.map((p) => `${p.pod}:${p.reason}`).join(',')}`;
  return { text: formatProgress(seconds, workloads, problems, logs), summary };
}

/**
 * `kubectl get deployments --watch`, one line per event: "<type> <name> <replicas> <readyReplicas>".
 * A poll every few seconds misses a replica that becomes ready between two looks (a second backend pod
 * starts in about 2 s); the watch sees every step of ready/desired, in one process for the whole wait.
 */
const WATCH_ARGS = ['get', 'deployments', '--watch', '--output-watch-events', '-o', 'jsonpath={.type} {.object.metadata.name} {.object.spec.replicas} {.object.status.readyReplicas}{"\\n"}'];

/** One watch line as a Deployment (replicas defaults to 1, ready to 0, as the API leaves them out), or undefined. */
export function parseWatchLine(line: string): { type: string; workload: Workload } | undefined {
  const m = /^(ADDED|MODIFIED|DELETED|BOOKMARK|ERROR) (\S+) (\d*) ?(\d*)$/.exec(line.trim());
  if (!m || m[1] === 'BOOKMARK' || m[1] === 'ERROR') return undefined;
  return { type: m[1], workload: { kind: 'Deployment', metadata: { name: m[2] }, spec: { replicas: m[3] === '' ? 1 : Number(m[3]) }, status: { readyReplicas: m[4] === '' ? 0 : Number(m[4]) } } };
}

export interface WaitOptions {
  out?: Output;
  /** ms between looks at the cluster (default 3000). */
  pollMs?: number;
  /** ms between plain lines when nothing changed (default 5000). */
  everyMs?: number;
  /** Starts Helm and the polls (default: @todo/cluster streamAndCapture; DeployRun.spawn). */
  spawn?: Spawn;
}

/** Whether `pod` is one of Deployment `deployment`'s (<deployment>-<template hash>-<suffix>). */
const podOf = (pod: string, deployment: string) => pod.startsWith(`${deployment}-`) && /^[a-z0-9]+-[a-z0-9]+$/.test(pod.slice(deployment.length + 1));

/**
 * Runs `bin args` (Helm with --wait) and reports the release's progress until it exits: Deployments
 * from a watch (each change of ready/desired prints at once), StatefulSets and pods from a poll every
 * few seconds (the pods' reasons, and a plain line when nothing changed). Should the watch end early
 * (kubectl refused it), the poll reads Deployments too.
 */
export async function runWithProgress(bin: string, args: string[], w: WatchTarget, o: WaitOptions = {}): Promise<RunResult> {
  const line = progressLine(o.out ?? process.stdout, o.everyMs ?? 5000);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  let exited = false;
  // Helm's own output is captured (printed by the caller after it exits); the progress line is ours.
  const spawn = o.spawn ?? streamAndCapture;
  const result = spawn(bin, args, { onLine: () => undefined }).then((r) => {
    exited = true;
    return r;
  });
  let previous = '';
  let lastText = '';
  const show = (s: { text: string; summary: string }) => {
    line.update(s.text, s.summary !== previous);
    previous = s.summary;
    lastText = s.text;
  };

  // The Deployments as the watch last reported them; `first` is each one's state when the wait began, so
  // the watch's opening list prints nothing and only a change does.
  const deployments = new Map<string, Workload>();
  const first = new Map<string, string>();
  let polled: { workloads: Workload[]; problems: PodProblem[]; logs: Record<string, string> } | undefined;
  let watching = true;
  const stop = new AbortController();
  const watch = spawn(w.kubectl, [...w.kubectlArgs, '-n', w.namespace, ...WATCH_ARGS, '-l', w.selector], {
    signal: stop.signal,
    onLine: (text, from) => {
      const event = from === 'stdout' ? parseWatchLine(text) : undefined;
      if (!event || exited) return;
      const { name } = event.workload.metadata;
      if (event.type === 'DELETED') deployments.delete(name);
      else deployments.set(name, event.workload);
      const now = readySummary([event.workload]);
      if (!first.has(name)) first.set(name, now);
      if (!polled && first.get(name) === now) return;
      // Pods of a Deployment now fully ready are no longer waited for, whatever the last poll said.
      const done = [...deployments.values()].filter((d) => allReady([d])).map((d) => d.metadata.name);
      const problems = (polled?.problems ?? []).filter((p) => !done.some((d) => podOf(p.pod, d)));
      show(describe(seconds(), [...deployments.values(), ...(polled?.workloads ?? [])], problems, polled?.logs ?? {}));
    },
  }).then((r) => {
    watching = false;
    return r;
  });

  const poll = (async () => {
    while (!exited) {
      await Promise.race([result, new Promise((r) => setTimeout(r, o.pollMs ?? 3000))]);
      if (exited) break;
      const s = await snapshot(w, seconds(), spawn, watching ? [...deployments.values()] : undefined);
      if (!s || exited) continue;
      polled = s;
      show(s);
    }
  })();
  const r = await result;
  stop.abort();
  await Promise.all([poll, watch]);
  line.done(lastText ? `  waited ${seconds().toFixed(0)}s (helm exited ${r.status})` : undefined);
  return r;
}
