/*
 * The two images as they ship, with real Docker: built through `nx run <image>:docker-build` on the
 * offline bases (tools/base-images; $TODO_BASE_IMAGES picks others), inspected, run the way the
 * cluster runs them (numeric user, read-only root, only the declared paths writable, ports on
 * 127.0.0.1 only), and driven through the browser. Without a usable Docker daemon every test here
 * fails: nothing is skipped.
 */
import { readFileSync, readdirSync, lstatSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';
import {
  ImageRecord,
  docker,
  ensureBaseImages,
  exportFilesystem,
  inspect,
  logs,
  nxDockerBuild,
  publishedUrl,
  removeQuietly,
  requireDocker,
  stopTimed,
  tryDocker,
  uniqueName,
  waitHealthy,
} from './containers/docker';
import { ThrowawayPostgres, startPostgres } from './containers/postgres';
import { firstUserJourney, secondUserSeesNothing } from './user-journey';

const UID = '10001';
const IMAGES = [
  { project: 'backend-image', port: 8000 },
  { project: 'frontend-image', port: 3000 },
] as const;
const JWT_SECRET = `containers-e2e-${Math.random().toString(36).slice(2)}-not-a-real-secret`;

const records: Record<string, ImageRecord> = {};
const network = uniqueName('todo-e2e-net');
const created: { containers: string[]; volumes: string[] } = { containers: [], volumes: [] };
let gateway = '';
let subnet = '';

/** docker run -d with the cluster's constraints; returns the container name. */
function runContainer(name: string, image: string, args: string[]): string {
  created.containers.push(name);
  docker(['run', '-d', '--name', name, '--network', network, '--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges', ...args, image]);
  return name;
}

function backendArgs(extra: { databaseUrl: string; volume?: string; alias?: string }): string[] {
  return [
    ...(extra.alias ? ['--network-alias', extra.alias] : []),
    '--tmpfs', '/tmp',
    ...(extra.volume ? ['-v', `${extra.volume}:/data`] : []),
    '-p', '127.0.0.1::8000',
    '-e', 'APP_ENV=production',
    '-e', `JWT_SECRET=${JWT_SECRET}`,
    '-e', `DATABASE_URL=${extra.databaseUrl}`,
    '-e', 'MIGRATE_ON_START=true',
    '-e', 'AI_PROVIDER=mock',
    '-e', 'LOG_LEVEL=warning',
  ];
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

beforeAll(async () => {
  requireDocker();
  ensureBaseImages();
  for (const { project } of IMAGES) records[project] = nxDockerBuild(project).record;
  docker(['network', 'create', network]);
  gateway = docker(['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}']);
  subnet = docker(['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Subnet}}']);
}, 30 * 60_000);

afterAll(() => {
  removeQuietly('container', ...created.containers);
  removeQuietly('volume', ...created.volumes);
  removeQuietly('network', network);
});

describe.each(IMAGES)('image $project', ({ project, port }) => {
  const record = () => records[project];

  it('runs as a numeric non-root user, exposes its port, has a HEALTHCHECK and the OCI labels', () => {
    const img = inspect<any>(record().ref);
    expect(img.Config.User).toBe(`${UID}:${UID}`);
    expect(Object.keys(img.Config.ExposedPorts ?? {})).toEqual([`${port}/tcp`]);
    expect(img.Config.Healthcheck?.Test?.[0]).toBe('CMD');
    for (const label of ['version', 'revision', 'created', 'source'])
      expect([label, img.Config.Labels?.[`org.opencontainers.image.${label}`]]).toEqual([label, expect.stringMatching(/\S/)]);
    expect(img.Config.Labels['org.opencontainers.image.version']).toBe(JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).version);
  });

  it('has its version, commit and content tags, and never latest', () => {
    const tags = docker(['image', 'ls', record().image, '--format', '{{.Tag}}']).split('\n');
    expect(tags).not.toContain('latest');
    expect(record().tags).toEqual(expect.arrayContaining([expect.stringMatching(/:content-[0-9a-f]{16}$/), expect.stringMatching(/:v\d+\.\d+\.\d+.*-local$/)]));
    for (const t of record().tags) expect(inspect<any>(t).Id).toBe(record().id);
  });

  it('adds nothing but the app to its base (no RUN in the runtime stage); on the offline bases, not even a shell', () => {
    const img = inspect<any>(record().ref);
    const base = img.Config.Labels['org.opencontainers.image.base.name'];
    const history = (ref: string) => docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref]).split('\n');
    const own = history(record().ref).slice(0, -history(base).length);
    expect(own.filter((line) => /^RUN\b|\/bin\/sh -c/.test(line))).toEqual([]);
    expect(own.some((line) => line.startsWith('COPY'))).toBe(true);
    if (inspect<any>(base).Config.Labels?.['org.opencontainers.image.source'] === 'tools/base-images') {
      const r = tryDocker(['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', record().ref, '-c', 'true']);
      expect(r.status).not.toBe(0);
    }
  });

  it('carries no secret material in any layer (history, environment, files)', async () => {
    const history = docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', record().ref]);
    const img = inspect<any>(record().ref);
    const assignment = /\b[A-Z0-9_]*(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*=\S+/;
    expect(history.split('\n').filter((l) => assignment.test(l))).toEqual([]);
    expect((img.Config.Env as string[]).filter((e) => assignment.test(e))).toEqual([]);
    expect(history).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);

    const fs = await exportFilesystem(record().ref);
    try {
      const badName = /^(\.env(\..*)?|id_rsa.*|id_ed25519.*|id_ecdsa.*|.*\.p12|.*\.pfx|.*\.key|\.npmrc|\.pypirc|\.netrc|\.git-credentials|credentials\.json)$/;
      const findings: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          const rel = relative(fs.dir, path);
          const st = lstatSync(path);
          if (st.isDirectory()) {
            if (['.git', '.ssh', 'run/secrets'].some((d) => rel === d || rel.endsWith(`/${d}`))) findings.push(`${rel}/`);
            if (!['proc', 'sys', 'dev'].includes(rel)) walk(path);
          } else if (st.isFile()) {
            if (badName.test(name)) findings.push(rel);
            if (st.size < 4 * 1024 * 1024 && /\.(pem|crt|key|txt|json|env|js|py|cfg|conf|ini|ya?ml)$|^[^.]+$/.test(name)) {
              const text = readFileSync(path, 'latin1');
              if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) findings.push(`${rel} (private key)`);
            }
          }
        }
      };
      walk(fs.dir);
      expect(findings).toEqual([]);
      // Sanity: the walk saw the application.
      expect(statSync(join(fs.dir, 'app')).isDirectory()).toBe(true);
    } finally {
      fs.cleanup();
    }
  });
});

describe('backend container', () => {
  const image = () => records['backend-image'].ref;

  it('with SQLite on a volume: read-only root, numeric user, healthy, /readyz, stops within 5 s of SIGTERM', async () => {
    const volume = uniqueName('todo-e2e-data');
    created.volumes.push(volume);
    const name = runContainer(uniqueName('todo-e2e-backend-sqlite'), image(), backendArgs({ databaseUrl: 'sqlite:////data/todo.db', volume }));
    await waitHealthy(name);
    const url = publishedUrl(name, 8000);
    expect(await getJson(`${url}/readyz`)).toEqual({ status: 200, body: expect.objectContaining({ database: 'ok' }) });
    expect(docker(['exec', name, 'python', '-c', 'import os; print(os.getuid(), os.getgid())'])).toBe(`${UID} ${UID}`);
    const write = tryDocker(['exec', name, 'python', '-c', "open('/app/x', 'w')"]);
    expect(write.stderr).toMatch(/Read-only file system/);
    expect(docker(['exec', name, 'python', '-c', "import os; print(os.path.getsize('/data/todo.db') > 0)"])).toBe('True');
    const stop = stopTimed(name);
    expect(stop.ms).toBeLessThan(5000);
    expect(stop.exitCode).toBe(0);
  });

  it('with PostgreSQL: migrations as the chart runs them, then healthy, /readyz, stops within 5 s of SIGTERM', async () => {
    let pg: ThrowawayPostgres | undefined;
    try {
      pg = await startPostgres(gateway, subnet);
      // The chart's init container: command ["python", "-m", "todo_api.migrate"].
      const migrate = tryDocker(['run', '--rm', '--network', network, '--read-only', '--tmpfs', '/tmp', '--cap-drop=ALL',
        '-e', `DATABASE_URL=${pg.containerUrl}`, '--entrypoint', 'python', image(), '-m', 'todo_api.migrate']);
      expect([migrate.status, migrate.stderr.slice(-2000)]).toEqual([0, expect.anything()]);
      const args = backendArgs({ databaseUrl: pg.containerUrl }).map((a) => (a === 'MIGRATE_ON_START=true' ? 'MIGRATE_ON_START=false' : a));
      const name = runContainer(uniqueName('todo-e2e-backend-pg'), image(), args);
      await waitHealthy(name);
      const url = publishedUrl(name, 8000);
      const ready = await getJson(`${url}/readyz`);
      expect([ready, logs(name)]).toEqual([{ status: 200, body: expect.objectContaining({ database: 'ok' }) }, expect.anything()]);
      const stop = stopTimed(name);
      expect(stop.ms).toBeLessThan(5000);
      expect(stop.exitCode).toBe(0);
    } finally {
      pg?.stop();
    }
  });
});

describe('frontend and backend containers together', () => {
  let backend = '';
  let frontend = '';
  let frontendUrl = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    const volume = uniqueName('todo-e2e-data');
    created.volumes.push(volume);
    backend = runContainer(uniqueName('todo-e2e-backend'), records['backend-image'].ref,
      backendArgs({ databaseUrl: 'sqlite:////data/todo.db', volume, alias: 'backend' }));
    frontend = runContainer(uniqueName('todo-e2e-frontend'), records['frontend-image'].ref, [
      '--tmpfs', '/tmp',
      '--tmpfs', `/app/apps/frontend/.next/cache:uid=${UID},gid=${UID}`,
      '-p', '127.0.0.1::3000',
      '-e', 'BACKEND_URL=http://backend:8000',
    ]);
    await Promise.all([waitHealthy(backend), waitHealthy(frontend)]);
    frontendUrl = publishedUrl(frontend, 3000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('serves its pages and proxies /api to the backend container', async () => {
    for (const path of ['/login', '/signup']) {
      const res = await fetch(`${frontendUrl}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
      expect(await res.text()).toMatch(/<html/i);
    }
    expect(await getJson(`${frontendUrl}/api/health`)).toEqual({ status: 200, body: expect.anything() });
    // Reaches the backend (which refuses an anonymous task list) through the proxy.
    expect((await fetch(`${frontendUrl}/api/tasks`)).status).toBe(401);
    expect(docker(['exec', frontend, 'node', '-e', 'console.log(process.getuid())'])).toBe(UID);
  });

  it('passes the browser journey against the two containers', async () => {
    browser = await launchBrowser();
    try {
      const { titles } = await firstUserJourney(browser, frontendUrl);
      await secondUserSeesNothing(browser, frontendUrl, titles);
    } catch (err) {
      console.error(`backend logs:\n${logs(backend)}\n\nfrontend logs:\n${logs(frontend)}`);
      throw err;
    }
  }, 180_000);

  it('the frontend stops within 5 s of SIGTERM', () => {
    const stop = stopTimed(frontend);
    expect(stop.ms).toBeLessThan(5000);
    // 137 would mean SIGKILL after the timeout; Next.js exits on its own SIGTERM handler.
    expect(stop.exitCode).not.toBe(137);
    expect(stop.oomKilled).toBe(false);
  });
});

describe('docker-build decides against the daemon, not a cache', () => {
  it('unchanged inputs: same content tag, nothing built', () => {
    const again = nxDockerBuild('backend-image');
    expect(again.record.contentTag).toBe(records['backend-image'].contentTag);
    expect(again.record.built).toBe(false);
    expect(again.output).toContain('nothing to build');
  }, 120_000);

  it('after docker rmi of every tag, the next run builds the image again', () => {
    const before = records['backend-image'];
    // The containers above are done; they would keep the image referenced.
    removeQuietly('container', ...created.containers.splice(0));
    docker(['rmi', ...before.tags]);
    expect(tryDocker(['image', 'inspect', before.ref]).status).not.toBe(0);
    const again = nxDockerBuild('backend-image');
    expect(again.record.built).toBe(true);
    expect(again.record.contentTag).toBe(before.contentTag);
    expect(tryDocker(['image', 'inspect', before.ref]).status).toBe(0);
    records['backend-image'] = again.record;
  }, 15 * 60_000);
});
