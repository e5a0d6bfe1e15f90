/**
 * `helm upgrade --wait` with progress: while Helm waits, the release's Deployments, StatefulSets and
 * pods are read every few seconds and one line says each workload's ready/desired and why any pod is
 * not ready (workloads.ts). Helm's own output is captured as before (stdout printed after, stderr kept
 * for the diagnosis).
 */
import { type RunResult, streamAndCapture } from '@todo/cluster';
import { type Output, progressLine } from './line';
import { type K8sList, type Pod, type Workload, allReady, formatProgress, podProblems, readySummary } from './workloads';

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

/** One look at the release: the progress line, and the ready summary (to tell a change). */
export async function snapshot(w: WatchTarget, seconds: number, spawn: Spawn = streamAndCapture): Promise<{ text: string; summary: string; ready: boolean } | undefined> {
  const [workloads, pods] = await Promise.all([
    kubectlJson<K8sList<Workload>>(w, ['get', 'deployments,statefulsets', '-l', w.selector, '-o', 'json'], spawn),
    kubectlJson<K8sList<Pod>>(w, ['get', 'pods', '-l', w.selector, '-o', 'json'], spawn),
  ]);
  if (!workloads || !pods) return undefined;
  const problems = podProblems(pods.items);
  const logs: Record<string, string> = {};
  await Promise.all(problems.filter((p) => p.crashing).map(async (p) => (logs[p.pod] = await lastLogLine(w, p.pod, p.crashing!, spawn))));
  const summary = `${readySummary(workloads.items)}|${problems.map((p) => `${p.pod}:${p.reason}`).join(',')}`;
  return { text: formatProgress(seconds, workloads.items, problems, logs), summary, ready: allReady(workloads.items) };
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

/** Runs `bin args` (Helm with --wait) and reports the release's progress until it exits. */
export async function runWithProgress(bin: string, args: string[], w: WatchTarget, o: WaitOptions = {}): Promise<RunResult> {
  const line = progressLine(o.out ?? process.stdout, o.everyMs ?? 5000);
  const started = Date.now();
  let exited = false;
  // Helm's own output is captured (printed by the caller after it exits); the progress line is ours.
  const spawn = o.spawn ?? streamAndCapture;
  const result = spawn(bin, args, { onLine: () => undefined }).then((r) => {
    exited = true;
    return r;
  });
  let previous = '';
  let lastText = '';
  const poll = (async () => {
    while (!exited) {
      await Promise.race([result, new Promise((r) => setTimeout(r, o.pollMs ?? 3000))]);
      if (exited) break;
      const s = await snapshot(w, (Date.now() - started) / 1000, spawn);
      if (!s || exited) continue;
      line.update(s.text, s.summary !== previous);
      previous = s.summary;
      lastText = s.text;
    }
  })();
  const r = await result;
  await poll;
  line.done(lastText ? `  waited ${((Date.now() - started) / 1000).toFixed(0)}s (helm exited ${r.status})` : undefined);
  return r;
}
