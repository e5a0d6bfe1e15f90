/*
 * todo-base/postgres (the offline stand-in for the official postgres image, see README.md) run the way
 * charts/todo runs it: uid 999, read-only root, no capabilities, writable only the data volume at
 * /var/lib/postgresql, /var/run/postgresql and /tmp. Needs Docker; builds the image if it is missing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workspace = join(__dirname, '..', '..', '..');
const DOCKER = process.env.DOCKER || '/usr/bin/docker';
const id = `pgt-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const net = `${id}-net`;
const volume = `${id}-data`;
const volume2 = `${id}-data2`;
const server = `${id}-db`;
const containers = [server, `${id}-db2`, `${id}-pgdata`, `${id}-nopw`, `${id}-root`, `${id}-file`, `${id}-old`];
const volume3 = `${id}-data3`;
// The major and suite the stand-in is built from (versions.env): the chart's major, 18.
const versionsEnv = readFileSync(join(__dirname, '..', 'versions.env'), 'utf8');
const MAJOR = /^POSTGRES_MAJOR=(\d+)/m.exec(versionsEnv)?.[1] ?? 'missing';
const SUITE = /^POSTGRES_DEBIAN_SUITE=(\w+)/m.exec(versionsEnv)?.[1] ?? 'missing';
const USER = 'todo';
const DB = 'todo';
const PASSWORD = 'correct horse $battery-1';
let image = '';

interface Result { status: number; stdout: string; stderr: string }

function docker(args: string[], input?: string): Result {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', input, env: { ...process.env, DOCKER_BUILDKIT: '1' }, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ok(args: string[], input?: string): string {
  const r = docker(args, input);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** The chart's pod security context, as docker flags. */
const restricted = ['--read-only', '--user', '999:999', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--tmpfs', '/tmp'];

/** The server; `alias` is the name clients use (a Service's, in the cluster). */
function startServer(name: string, vol: string, env: Record<string, string>, alias?: string): void {
  const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  ok(['run', '-d', '--name', name, '--network', net, ...(alias ? ['--network-alias', alias] : []), ...restricted, '--tmpfs', '/var/run/postgresql',
    '-v', `${vol}:/var/lib/postgresql`, ...envFlags, image]);
}

const logs = (name: string): string => {
  const r = docker(['logs', name]);
  return r.stdout + r.stderr;
};

/**
 * The container's log once it matches `pattern`. Docker copies a container's output to its log
 * asynchronously, so a line the server wrote just before answering a client (an auth failure, the
 * "listening" line before pg_isready succeeds) can be missing from a `docker logs` run right after,
 * on a loaded machine. Returns the last log read either way; the caller's expect says what was missing.
 */
async function logsMatching(name: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const start = Date.now();
  let log = logs(name);
  while (!pattern.test(log) && Date.now() - start < timeoutMs) {
    await new Promise((r) => setTimeout(r, 200));
    log = logs(name);
  }
  return log;
}

/** What the chart's probes run: pg_isready over TCP. */
async function waitReady(name: string, timeoutMs = 60_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (docker(['exec', name, 'pg_isready', '--host', '127.0.0.1', '--port', '5432', '--username', USER, '--dbname', DB]).status === 0)
      return Date.now() - start;
    if (ok(['inspect', '-f', '{{.State.Running}}', name]) !== 'true') throw new Error(`${name} exited:\n${logs(name)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not ready over TCP after ${timeoutMs} ms:\n${logs(name)}`);
}

/** SQL over the unix socket inside the server container (trust, like the official image). */
const sql = (name: string, query: string, db = DB): string => ok(['exec', name, 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-U', USER, '-d', db, '-c', query]);

/** A client container from the same image on the network, as the backup/restore pods run: /bin/sh -c. */
function client(script: string, password = PASSWORD): Result {
  return docker(['run', '--rm', '--network', net, ...restricted,
    '-e', 'PGHOST=postgres', '-e', 'PGPORT=5432', '-e', `PGUSER=${USER}`, '-e', `PGDATABASE=${DB}`, '-e', `PGPASSWORD=${password}`,
    '--entrypoint', '/bin/sh', image, '-c', script]);
}

beforeAll(async () => {
  const build = spawnSync('bash', [join(workspace, 'tools/base-images/scripts/build.sh')], { cwd: workspace, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`tools/base-images/scripts/build.sh failed:\n${(build.stderr ?? '').slice(-4000)}`);
  const images = JSON.parse(readFileSync(join(workspace, 'dist/base-images/images.json'), 'utf8'));
  image = images.postgres.IMAGE;
  ok(['network', 'create', net]);
  ok(['volume', 'create', volume]);
  ok(['volume', 'create', volume2]);
  startServer(server, volume, { POSTGRES_USER: USER, POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: DB }, 'postgres');
  await waitReady(server);
}, 15 * 60_000);

afterAll(() => {
  docker(['rm', '-f', '-v', ...containers]);
  docker(['volume', 'rm', '-f', volume, volume2, volume3]);
  docker(['network', 'rm', net]);
});

describe('todo-base/postgres, run like charts/todo runs postgres', () => {
  it('is listed in images.json next to the python and node bases', () => {
    const images = JSON.parse(readFileSync(join(workspace, 'dist/base-images/images.json'), 'utf8'));
    expect(Object.keys(images)).toEqual(['python', 'node', 'postgres']);
    expect(images.postgres).toEqual({ IMAGE: expect.stringMatching(new RegExp(`^todo-base/postgres:${MAJOR}-${SUITE}-[0-9a-f]{12}$`)) });
    const cfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', image]));
    expect(MAJOR).toBe('18');
    expect(cfg.Env).toContain(`PGDATA=/var/lib/postgresql/${MAJOR}/docker`);
    expect(Object.keys(cfg.Volumes ?? {})).toEqual(['/var/lib/postgresql']);
    expect(cfg.StopSignal).toBe('SIGINT');
  });

  it('initialises an empty volume: TCP only after the socket-only init server stopped; postgres is PID 1 as 999:999', async () => {
    const log = await logsMatching(server, /listening on IPv4 address/);
    const initDone = log.indexOf('initialisation complete');
    expect(initDone).toBeGreaterThan(0);
    // The temporary server: socket only, stopped before the real one listens on TCP.
    expect(log.indexOf('listening on Unix socket')).toBeLessThan(initDone);
    expect(log.slice(0, initDone)).not.toMatch(/listening on IPv[46] address/);
    expect(log.slice(0, initDone)).toMatch(/database system is shut down/);
    expect(log.slice(initDone)).toMatch(/listening on IPv4 address "0\.0\.0\.0", port 5432/);

    expect(ok(['exec', server, 'cat', '/proc/1/comm'])).toBe('postgres');
    expect(ok(['exec', server, 'id', '-u'])).toBe('999');
    expect(ok(['exec', server, 'id', '-g'])).toBe('999');
    expect(sql(server, 'SHOW data_directory')).toBe(`/var/lib/postgresql/${MAJOR}/docker`);
    expect(sql(server, 'SHOW listen_addresses')).toBe('*');
    expect(sql(server, 'SHOW password_encryption')).toBe('scram-sha-256');
    expect(sql(server, `SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '${USER}'`)).toBe('SCRAM-SHA-256$');
    expect(sql(server, `SELECT datname FROM pg_database WHERE datname = '${DB}'`)).toBe(DB);
    expect(sql(server, 'SELECT current_setting(\'server_version_num\')::int / 10000')).toBe(MAJOR);
  });

  it('takes the password over the network and refuses a wrong one', async () => {
    const good = client('psql -XAt -c "SELECT current_user || \' \' || current_database()"');
    expect(good.stderr).toBe('');
    expect(good.stdout.trim()).toBe(`${USER} ${DB}`);
    const bad = client('psql -XAt -c "SELECT 1"', 'wrong password');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/password authentication failed for user "todo"/);
    // The server log names the method: scram-sha-256 from pg_hba.
    // PostgreSQL 18 names the file: 'Connection matched file "<PGDATA>/pg_hba.conf" line N' (15: 'matched pg_hba.conf line N').
    const authFailed = /password authentication failed for user "todo"[\s\S]*?Connection matched (?:file "[^"]*\/)?pg_hba\.conf"? line \d+: "host\s+all\s+all\s+all\s+scram-sha-256"/;
    expect(await logsMatching(server, authFailed)).toMatch(authFailed);
  });

  it('round-trips pg_dump -Fc | pg_restore into a fresh database (the backup CronJob and restore Job commands)', () => {
    sql(server, "CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL); INSERT INTO items (title) VALUES ('a'), ('b'), ('ü')");
    const r = client(`set -eu
      pg_dump --format=custom --no-owner --file=/tmp/todo.dump.partial
      mv /tmp/todo.dump.partial /tmp/todo.dump
      createdb restored
      pg_restore --clean --if-exists --single-transaction --no-owner --exit-on-error --dbname=restored /tmp/todo.dump
      psql -XAt -d restored -c "SELECT string_agg(title, ',' ORDER BY id) FROM items"`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('a,b,ü');
  });

  it('stops quickly and cleanly; a new container on the same volume keeps the data and skips init', async () => {
    const t0 = Date.now();
    ok(['stop', '-t', '30', server]);
    // Well inside the 30 s after which Docker would SIGKILL it (exit 137): the fast shutdown answered SIGINT.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(ok(['inspect', '-f', '{{.State.ExitCode}}', server])).toBe('0');
    const stopped = logs(server);
    expect(stopped).toMatch(/received fast shutdown request/);
    expect(stopped.trim().split('\n').pop()).toMatch(/database system is shut down/);

    const again = `${id}-db2`;
    ok(['rm', server]);
    // A different password in the environment: ignored, since the volume already has a cluster.
    startServer(again, volume, { POSTGRES_USER: USER, POSTGRES_PASSWORD: 'not used', POSTGRES_DB: DB }, 'postgres');
    await waitReady(again);
    const log = await logsMatching(again, /skipping initialisation/);
    expect(log).toMatch(new RegExp(`holds a PostgreSQL ${MAJOR} database; skipping initialisation`));
    expect(log).not.toMatch(/initialising|initdb|CREATE DATABASE/i);
    expect(sql(again, 'SELECT count(*) FROM items')).toBe('3');
    expect(client('psql -XAt -d restored -c "SELECT count(*) FROM items"').stdout.trim()).toBe('3');
    expect(client('psql -XAt -c "SELECT 1"', 'not used').status).not.toBe(0);
  });

  it('honours PGDATA and refuses to initialise without a password', async () => {
    const name = `${id}-pgdata`;
    startServer(name, volume2, { POSTGRES_USER: USER, POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: DB, PGDATA: '/var/lib/postgresql/data/pgdata' });
    await waitReady(name);
    expect(sql(name, 'SHOW data_directory')).toBe('/var/lib/postgresql/data/pgdata');
    docker(['rm', '-f', '-v', name]);

    const r = docker(['run', '--name', `${id}-nopw`, ...restricted, '--tmpfs', '/var/run/postgresql', '--tmpfs', '/var/lib/postgresql', image]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD is not set/);
  });

  it('reads POSTGRES_*_FILE like the official file_env; the plain variable and its _FILE together are an error', async () => {
    const name = `${id}-file`;
    const dir = mkdtempSync(join(tmpdir(), 'pgfile-'));
    writeFileSync(join(dir, 'password'), PASSWORD);
    writeFileSync(join(dir, 'user'), USER);
    chmodSync(dir, 0o755);
    const mount = ['-v', `${dir}:/run/secrets:ro`];
    const both = docker(['run', '--name', `${name}-both`, ...restricted, '--tmpfs', '/var/run/postgresql', '--tmpfs', '/var/lib/postgresql', ...mount,
      '-e', `POSTGRES_PASSWORD=${PASSWORD}`, '-e', 'POSTGRES_PASSWORD_FILE=/run/secrets/password', image]);
    docker(['rm', '-f', `${name}-both`]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set/);

    ok(['run', '-d', '--name', name, '--network', net, ...restricted, '--tmpfs', '/var/run/postgresql', '--tmpfs', '/var/lib/postgresql', ...mount,
      '-e', 'POSTGRES_USER_FILE=/run/secrets/user', '-e', 'POSTGRES_PASSWORD_FILE=/run/secrets/password', '-e', `POSTGRES_DB=${DB}`, image]);
    await waitReady(name);
    const tcp = docker(['exec', '-e', `PGPASSWORD=${PASSWORD}`, name, 'psql', '-XAtq', '-h', '127.0.0.1', '-U', USER, '-d', DB, '-c', 'SELECT current_user']);
    expect(tcp.stdout.trim()).toBe(USER);
    docker(['rm', '-f', '-v', name]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to initialise the 18 layout beside data of an older layout or major, as the official 18 entrypoint does', () => {
    ok(['volume', 'create', volume3]);
    // A volume that a postgres 17-or-older release used: PGDATA was /var/lib/postgresql/data.
    ok(['run', '--rm', '--user', '999:999', '-v', `${volume3}:/var/lib/postgresql`, '--entrypoint', '/bin/sh', image, '-c',
      'mkdir -p /var/lib/postgresql/data && echo 15 > /var/lib/postgresql/data/PG_VERSION']);
    const r = docker(['run', '--name', `${id}-old`, ...restricted, '--tmpfs', '/var/run/postgresql', '-v', `${volume3}:/var/lib/postgresql`,
      '-e', `POSTGRES_USER=${USER}`, '-e', `POSTGRES_PASSWORD=${PASSWORD}`, image]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/holds data of another layout or major: \/var\/lib\/postgresql\/data \(PostgreSQL 15\).*pg_upgrade/);
    const left = ok(['run', '--rm', '--user', '999:999', '-v', `${volume3}:/var/lib/postgresql`, '--entrypoint', '/bin/sh', image, '-c',
      `ls -A /var/lib/postgresql/${MAJOR}/docker 2>/dev/null | wc -l`]);
    expect(left).toBe('0'); // no initdb ran: at most the empty PGDATA, as the official entrypoint leaves it
  });

  it('started as root (docker run without --user), drops to postgres 999:999 like the official image', async () => {
    const name = `${id}-root`;
    ok(['run', '-d', '--name', name, '--tmpfs', '/var/lib/postgresql', '-e', `POSTGRES_USER=${USER}`, '-e', `POSTGRES_PASSWORD=${PASSWORD}`, image]);
    await waitReady(name);
    expect(ok(['exec', name, 'sh', '-c', "grep -E '^(Uid|Gid):' /proc/1/status | awk '{print $2}' | tr '\\n' ' '"])).toBe('999 999');
    expect(ok(['exec', name, 'cat', '/proc/1/comm'])).toBe('postgres');
    docker(['rm', '-f', '-v', name]);
  });
});
