/**
 * The real state pruning acts on: which image ids containers use (Docker's and every kind node's
 * containerd), and removal from each place. Nothing here decides what is ours (ledger.ts does).
 */
import { capture } from '@todo/cluster';
import { containerdNames } from '../images/docker';
import type { LedgerEntry } from './ledger';


/** Image ids any container uses, running or not: Docker's own, and each node's (pods, crash-looping ones too). */
export function imagesInUse(docker: string, nodes: string[]): { ids: Set<string>; errors: string[] } {
  const ids = new Set<string>();
  const errors: string[] = [];
  const ps = capture(docker, ['ps', '-aq', '--no-trunc']);
  const containers = ps.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  if (ps.status !== 0) errors.push(`docker ps: ${ps.stderr.trim()}`);
  else if (containers.length) {
    const r = capture(docker, ['inspect', '-f', '{{.Image}}', ...containers]);
    r.stdout.split('\n').map((s) => s.trim()).filter(Boolean).forEach((id) => ids.add(id));
  }
  for (const node of nodes) {
    const r = capture(docker, ['exec', node, 'crictl', 'ps', '-a', '-o', 'json']);
    if (r.status !== 0) {
      errors.push(`crictl ps on ${node}: ${r.stderr.trim().split('\n').pop()}`);
      continue;
    }
    // A container names its image by id, by a repo digest or by a tag, depending on how it came: map all to ids.
    const images = capture(docker, ['exec', node, 'crictl', 'images', '-o', 'json']);
    const byName = new Map<string, string>();
    for (const i of images.status === 0 ? ((JSON.parse(images.stdout) as { images?: (NodeImage & { repoDigests?: string[] })[] }).images ?? []) : [])
      for (const n of [i.id, ...(i.repoTags ?? []), ...(i.repoDigests ?? [])]) byName.set(n, i.id);
    for (const c of (JSON.parse(r.stdout) as { containers?: { imageRef?: string; image?: { image?: string } }[] }).containers ?? []) {
      for (const ref of [c.imageRef, c.image?.image]) if (ref) ids.add(byName.get(ref) ?? ref);
    }
  }
  return { ids, errors };
}

/** Untags our refs of the entry that still point at its image (the image goes with its last tag). */
export function removeFromDaemon(docker: string, e: LedgerEntry): { removed: string[]; error?: string } {
  const removed: string[] = [];
  for (const ref of [e.ref, ...e.tags.filter((t) => t !== e.ref)]) {
    const id = capture(docker, ['image', 'inspect', '-f', '{{.Id}}', ref]);
    if (id.status !== 0 || id.stdout.trim() !== e.id) continue; // gone, or the tag moved to a newer image
    const r = capture(docker, ['rmi', ref]); // never -f: Docker refuses an image a container uses
    if (r.status !== 0) return { removed, error: r.stderr.trim().split('\n').pop() };
    removed.push(ref);
  }
  return { removed };
}

interface NodeImage {
  id: string;
  repoTags?: string[];
}

/**
 * Removes the entry's image from a kind node when the node has it and every name it carries there is
 * one of ours (CRI removes an image with all its names, so one foreign name keeps it).
 */
export function removeFromNode(docker: string, node: string, e: LedgerEntry): { removed: boolean; error?: string } {
  const r = capture(docker, ['exec', node, 'crictl', 'images', '-o', 'json']);
  if (r.status !== 0) return { removed: false, error: r.stderr.trim().split('\n').pop() };
  const ours = new Set([e.ref, ...e.tags].flatMap(containerdNames));
  const img = ((JSON.parse(r.stdout) as { images?: NodeImage[] }).images ?? []).find((i) => i.id === e.id);
  if (!img) return { removed: false };
  const foreign = (img.repoTags ?? []).filter((t) => !ours.has(t));
  if (foreign.length) return { removed: false, error: `also named ${foreign.join(', ')} (not ours): kept` };
  const rm = capture(docker, ['exec', node, 'crictl', 'rmi', e.id]);
  return rm.status === 0 ? { removed: true } : { removed: false, error: rm.stderr.trim().split('\n').pop() };
}
