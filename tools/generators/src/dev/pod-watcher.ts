/**
 * Watching the release's pods (kubectl get pods, every interval) for the followers: the log followers
 * (log-followers.ts) and the port-forwards' choice of pod (port-forward.ts) listen to each listing.
 */
import type { Children } from './children';
import type { PodSummary } from '../release/pods';
import { KubeScope, listPods } from './kube';

export class PodWatcher {
  private timer?: NodeJS.Timeout;
  private readonly listeners: ((pods: PodSummary[]) => void)[] = [];
  private busy = false;
  pods: PodSummary[] = [];

  constructor(
    private readonly children: Children,
    private readonly k: KubeScope,
    private readonly intervalMs = 1500,
  ) {}

  onPods(listener: (pods: PodSummary[]) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.pods = await listPods(this.children, this.k);
      for (const l of this.listeners) l(this.pods);
    } catch {
      // The API may blink during a rollout; the next poll tries again.
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
