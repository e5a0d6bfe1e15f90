/**
 * The services' pod logs in one terminal: log streams per service that pick up the pods a rollout
 * creates (fed by pod-watcher.ts), and a report when a container crashes or cannot start.
 */
import type { Children } from './children';
import type { PodSummary } from '../release/pods';
import { KubeScope, follow } from './kube';

const COLOURS = [36, 35, 33, 32, 34, 31];

export function prefixer(services: string[], colour: boolean): (service: string) => string {
  const width = Math.max(...services.map((s) => s.length));
  return (service) => {
    const text = `[${service}]`.padEnd(width + 2);
    const c = COLOURS[Math.max(0, services.indexOf(service)) % COLOURS.length];
    return colour ? `\x1b[${c}m${text}\x1b[0m` : text;
  };
}

/**
 * One `kubectl logs -f` per running service container, per container start (a restarted container
 * is followed again from its start). Pods present when following begins show `initialTail` lines
 * (or --since), pods that appear later show everything.
 */
export class LogFollowers {
  private readonly followed = new Set<string>();
  private readonly reported = new Set<string>();
  private first = true;

  constructor(
    private readonly children: Children,
    private readonly k: KubeScope,
    private readonly services: string[],
    private readonly print: (line: string) => void,
    private readonly options: { colour: boolean; initialTail?: number; since?: string; reportCrashes?: boolean },
  ) {}

  readonly prefix = (service: string) => prefixer(this.services, this.options.colour)(service);

  update(pods: PodSummary[]): void {
    for (const pod of pods) {
      if (!this.services.includes(pod.component) || pod.deleting) continue;
      for (const c of pod.containers.filter((c) => c.name === pod.component)) {
        if (this.options.reportCrashes !== false) this.reportTrouble(pod, c);
        const key = `${pod.uid}/${c.name}/${c.restarts}`;
        if (!c.running || this.followed.has(key)) continue;
        this.followed.add(key);
        this.follow(pod, c.name, this.first ? 'initial' : 'new');
      }
    }
    this.first = false;
  }

  private reportTrouble(pod: PodSummary, c: PodSummary['containers'][number]): void {
    const trouble = c.waiting && c.waiting !== 'ContainerCreating' && c.waiting !== 'PodInitializing' ? c.waiting : undefined;
    if (!trouble && c.restarts === 0) return;
    const key = `${pod.uid}/${c.restarts}/${trouble ?? ''}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const what = trouble ? `${trouble}${c.lastExit ? `, last exit: ${c.lastExit}` : ''}` : `restarted (${c.restarts}x, last exit: ${c.lastExit ?? 'unknown'})`;
    this.print(`${this.prefix(pod.component)} ✗ pod ${pod.name}: ${what}. Its log is above; fix the cause and save, the loop keeps watching (kubectl -n ${this.k.namespace} describe pod ${pod.name}).`);
  }

  private follow(pod: PodSummary, container: string, when: 'initial' | 'new'): void {
    const range = when === 'new' ? [] : this.options.since ? [`--since=${this.options.since}`] : [`--tail=${this.options.initialTail ?? 10}`];
    const prefix = this.prefix(pod.component);
    // Ends by itself when the container stops (a rollout, a crash), or when the loop stops.
    void follow(this.children, this.k, ['logs', '-f', pod.name, '-c', container, ...range], { onLine: (line) => this.print(`${prefix} ${line}`) });
  }
}
