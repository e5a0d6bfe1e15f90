/*
 * A Tree over a folder on disk, for the tests that need "committed" files (a hand edit on disk, then
 * a generator run whose listChanges() shows exactly what it changed). Nx's own FsTree is not part of
 * its public API; this is the small part of it the generators use. Writing the same bytes a file
 * already has is no change, as in Nx.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { FileChange, Tree } from '@nx/devkit';

export class DiskTree implements Tree {
  /** Pending content by path; null: deleted. */
  private readonly pending = new Map<string, Buffer | null>();

  constructor(readonly root: string) {}

  private norm = (p: string) => posix.normalize(p.replace(/\\/g, '/')).replace(/^\.?\/+/, '').replace(/\/+$/, '');
  private onDisk = (p: string) => existsSync(join(this.root, p));
  private diskFile = (p: string) => this.onDisk(p) && statSync(join(this.root, p)).isFile();

  read(filePath: string): Buffer | null;
  read(filePath: string, encoding: BufferEncoding): string | null;
  read(filePath: string, encoding?: BufferEncoding): Buffer | string | null {
    const p = this.norm(filePath);
    const buf = this.pending.has(p) ? this.pending.get(p)! : this.diskFile(p) ? readFileSync(join(this.root, p)) : null;
    return buf === null ? null : encoding ? buf.toString(encoding) : buf;
  }

  write(filePath: string, content: Buffer | string): void {
    const p = this.norm(filePath);
    const buf = Buffer.from(content);
    if (this.diskFile(p) && readFileSync(join(this.root, p)).equals(buf)) this.pending.delete(p);
    else this.pending.set(p, buf);
  }

  exists(filePath: string): boolean {
    const p = this.norm(filePath);
    if (this.pending.has(p)) return this.pending.get(p) !== null;
    return this.onDisk(p) || this.children(p).length > 0;
  }

  delete(filePath: string): void {
    const p = this.norm(filePath);
    for (const child of this.children(p)) this.delete(`${p}/${child}`);
    if (this.diskFile(p)) this.pending.set(p, null);
    else this.pending.delete(p);
  }

  rename(from: string, to: string): void {
    const content = this.read(from);
    if (content === null) throw new Error(`rename: ${from} does not exist`);
    this.delete(from);
    this.write(to, content);
  }

  isFile(filePath: string): boolean {
    const p = this.norm(filePath);
    return this.pending.has(p) ? this.pending.get(p) !== null : this.diskFile(p);
  }

  children(dirPath: string): string[] {
    const dir = this.norm(dirPath);
    const names = new Set<string>();
    const abs = join(this.root, dir);
    if (existsSync(abs) && statSync(abs).isDirectory()) for (const n of readdirSync(abs)) names.add(n);
    const prefix = dir ? `${dir}/` : '';
    for (const [p, c] of this.pending) {
      if (!p.startsWith(prefix)) continue;
      const [first, ...rest] = p.slice(prefix.length).split('/');
      if (c !== null || rest.length > 0) names.add(first);
      else if (rest.length === 0) names.delete(first);
    }
    return [...names].filter((n) => this.exists(prefix + n)).sort();
  }

  listChanges(): FileChange[] {
    return [...this.pending]
      .map(([path, content]): FileChange => (content === null ? { path, type: 'DELETE', content: null } : { path, type: this.diskFile(path) ? 'UPDATE' : 'CREATE', content }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  changePermissions(): void {
    /* the generators set no file modes */
  }
}
