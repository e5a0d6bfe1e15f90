/*
 * A docker CLI stand-in for tests that build images without a daemon: its "daemon" is images.json next
 * to it, every call is appended to calls.log, and a build writes build-started (ms since the epoch) first.
 * FAKE_BUILD_MS makes a build take time, FAKE_BUILD_FAIL makes it fail as BuildKit says it.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A docker CLI stand-in: its "daemon" is images.json next to it; every call is appended to calls.log. */
export function fakeDocker(dir: string, opts: { pullable?: string[] } = {}): string {
  const path = join(dir, 'docker');
  writeFileSync(
    path,
    `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const dir = ${JSON.stringify(dir)}, db = path.join(dir, 'images.json');
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.log'), args.join(' ') + '\\n');
const images = fs.existsSync(db) ? JSON.parse(fs.readFileSync(db, 'utf8')) : {};
const save = () => fs.writeFileSync(db, JSON.stringify(images));
const find = (ref) => Object.values(images).find((i) => i.RepoTags.includes(ref) || i.Id === ref);
const add = (id, ref) => { images[id] = images[id] || { Id: id, RepoTags: [], Size: 108800000, Created: '', Config: { Labels: {}, User: '10001:10001' } }; for (const i of Object.values(images)) i.RepoTags = i.RepoTags.filter((t) => t !== ref); images[id].RepoTags.push(ref); };
if (args[0] === 'image' && args[1] === 'inspect') {
  const img = find(args[2]);
  if (!img) { console.error('Error: No such image: ' + args[2]); process.exit(1); }
  console.log(JSON.stringify([img]));
} else if (args[0] === 'build') {
  // FAKE_BUILD_MS: a build that takes time; FAKE_BUILD_FAIL: one that fails, as BuildKit says it.
  fs.writeFileSync(path.join(dir, 'build-started'), String(Date.now()));
  console.log('#1 [internal] load build definition from Dockerfile');
  if (process.env.FAKE_BUILD_MS) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.FAKE_BUILD_MS));
  if (process.env.FAKE_BUILD_FAIL) { console.error('ERROR: failed to solve: process "/bin/sh -c pip install" did not complete successfully: exit code: 1'); process.exit(1); }
  const id = 'sha256:' + Date.now().toString(16).padStart(64, '0');
  args.forEach((a, i) => { if (a === '--tag') add(id, args[i + 1]); });
  save();
} else if (args[0] === 'tag') {
  add(find(args[1]).Id, args[2]); save();
} else if (args[0] === 'pull') {
  const ok = ${JSON.stringify(opts.pullable ?? [])}.includes(args[1]);
  if (ok) { add('sha256:' + Buffer.from(args[1]).toString('hex').slice(0, 64).padEnd(64, '0'), args[1]); save(); }
  else { console.error('Error response from daemon: pull access denied'); process.exit(1); }
} else if (args[0] === 'rmi') {
  for (const ref of args.slice(1)) for (const i of Object.values(images)) i.RepoTags = i.RepoTags.filter((t) => t !== ref);
  save();
}
`,
  );
  chmodSync(path, 0o755);
  return path;
}
