/*
 * A throwaway PostgreSQL server for the container tests, from Debian's binaries on this host (no
 * postgres image can be pulled here). It listens on 127.0.0.1 and on the gateway address of the
 * test's Docker network, so the backend container reaches it as it would reach a managed database;
 * pg_hba admits only that network's subnet, with a password. Removed when the tests end.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../processes';
import { run } from './docker';

export const INSTALL_HINT =
  'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): install them with `apt-get install postgresql` (.ci/install-system-deps.sh does)';

export interface ThrowawayPostgres {
  /** For the container: postgresql://postgres:<pw>@<gateway>:<port>/todo */
  containerUrl: string;
  stop: () => void;
}

function bindir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))) : [];
  if (versions.length === 0) throw new Error(INSTALL_HINT);
  versions.sort((a, b) => Number(a) - Number(b));
  return join(root, versions[versions.length - 1], 'bin');
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = run('id', ['-u', 'postgres']);
  const g = run('id', ['-g', 'postgres']);
  if (r.status !== 0) throw new Error('running as root but there is no `postgres` user to run the server as; `apt-get install postgresql` creates it');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function startPostgres(gateway: string, subnet: string): Promise<ThrowawayPostgres> {
  const bin = bindir();
  const ids = postgresIds();
  const base = mkdtempSync(join(tmpdir(), 'todo-pg-containers-'));
  const data = join(base, 'data');
  const password = randomBytes(18).toString('base64url');
  writeFileSync(join(base, 'pw'), `${password}\n`);
  if (ids) {
    chownSync(base, ids.uid, ids.gid);
    chownSync(join(base, 'pw'), ids.uid, ids.gid);
  }
  const as = (cmd: string, args: string[]) => (ids ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const must = (what: string, r: ReturnType<typeof run>) => {
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  };
  must('initdb', as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', join(base, 'pw'), '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']));
  appendFileSync(join(data, 'pg_hba.conf'), `host all all ${subnet} scram-sha-256\n`);
  const port = await freePort();
  const opts = `-p ${port} -k ${base} -c listen_addresses='127.0.0.1,${gateway}' -c fsync=off -c full_page_writes=off`;
  must('pg_ctl start', as(join(bin, 'pg_ctl'), ['-D', data, '-l', join(base, 'log'), '-o', opts, '-w', '-t', '60', 'start']));
  const stop = () => {
    as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    must('createdb', as(join(bin, 'psql'), ['-h', base, '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE DATABASE todo']));
  } catch (err) {
    stop();
    throw err;
  }
  return { containerUrl: `postgresql://postgres:${password}@${gateway}:${port}/todo`, stop };
}
